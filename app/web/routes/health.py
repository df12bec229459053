"""Probes for orchestrators and the Prometheus endpoint.

- ``/healthz``: liveness; the process answers HTTP. Touches nothing else.
- ``/readyz``: readiness; the provider data is loaded and, when configured,
  Redis answers a PING within a second. 503 otherwise, naming what failed.
- ``/metrics``: the Prometheus text exposition (``MAILSETUP_METRICS=false`` hides it).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from app import metrics
from app.web.http.state import AppState

router = APIRouter(include_in_schema=False)

PING_TIMEOUT = 1.0
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def _redis_ok(state: AppState) -> bool:
    if state.redis is None:
        return True
    try:
        async with asyncio.timeout(PING_TIMEOUT):
            return bool(await state.redis.ping())
    except (RedisError, OSError, TimeoutError):
        return False


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state: AppState | None = getattr(request.app.state, "mailsetup", None)
    checks = {"data": state is not None and len(state.db) > 0}
    if state is not None and state.redis is not None:
        checks["redis"] = await _redis_ok(state)
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)


@router.get("/metrics")
def prometheus(request: Request) -> Response:
    state: AppState = request.app.state.mailsetup
    if not state.settings.metrics:
        raise HTTPException(404, "metrics are turned off (MAILSETUP_METRICS)")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers=NO_STORE)
