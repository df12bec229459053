"""The FastAPI application factory."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.resources import files
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.discovery.service import Discovery, RedisCache, open_discovery, open_redis
from app.leases import Leases
from app.logging_setup import configure_logging
from app.paths import DATA_DIR, STATIC_DIR
from app.providers.db import ProviderDB
from app.ratelimit import RateLimited, RateLimiter
from app.settings import Settings, check_settings, get_settings
from app.signin import Sealer
from app.web.http import errorpages, lean, throttle
from app.web.http.edge import Edge
from app.web.http.security import (
    CsrfRejected,
    CsrfSigner,
    csrf_input,
    docs_csp,
)
from app.web.http.state import AppState
from app.web.http.templating import templates
from app.web.routes import (
    api,
    clientconfig,
    health,
    language,
    learn,
    live,
    live_page,
    owners,
    pages,
    progress,
    signin,
    wellknown,
)
from app.web.routes.clientconfig import load_signer

log = logging.getLogger(__name__)

# What mail clients ask most: plain routes first in the router (app.web.http.lean).
LEAN_ROUTES = (*wellknown.LEAN_ROUTES, *clientconfig.LEAN_ROUTES)

DOCS_ASSETS = "/_docs"
LEASE_MARGIN = 10.0  # seconds a login lease outlives twice the probe deadline


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from locally served assets, so /docs works offline."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    swagger_html = bytes(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mailsetup API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        ).body
    ).decode()
    redoc_html = bytes(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="mailsetup API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        ).body
    ).decode()

    # Their own CSP: each page's inline init by hash; ReDoc also styles itself as it runs.
    swagger_csp = {"Content-Security-Policy": docs_csp(swagger_html)}
    redoc_csp = {"Content-Security-Policy": docs_csp(redoc_html, runtime_styles=True)}

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(swagger_html, headers=swagger_csp)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_html, headers=redoc_csp)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 without echoing the input: a request body may hold a password."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422, headers={"Cache-Control": "no-store"})


def _leases(settings: Settings, redis: aioredis.Redis | None) -> Leases:
    """Login leases that outlive any test they guard (see :mod:`app.leases`)."""
    deadline = settings.probe_deadline
    return Leases(
        redis,
        ttl=2 * deadline + LEASE_MARGIN,
        retry_after=math.ceil(deadline),
        enabled=settings.rate_limits,
    )


@asynccontextmanager
async def _open_state(settings: Settings, db: ProviderDB) -> AsyncIterator[AppState]:
    """The app's state; with ``MAILSETUP_REDIS_URL`` the rate limits and the discovery
    cache live in Redis, shared by every instance, otherwise in this process."""
    async with AsyncExitStack() as stack:
        redis = None
        if settings.redis_url:
            redis = await stack.enter_async_context(open_redis(settings.redis_url))
        limiter = RateLimiter.from_settings(settings, redis)
        stack.push_async_callback(limiter.aclose)
        cache = RedisCache(redis, TypeAdapter(Discovery)) if redis is not None else None
        discoverer = await stack.enter_async_context(
            open_discovery(settings, db, cache=cache, limiter=limiter)
        )
        yield AppState(
            settings=settings,
            db=db,
            discoverer=discoverer,
            signer=load_signer(settings),
            limiter=limiter,
            leases=_leases(settings, redis),
            redis=redis,
            csrf=CsrfSigner.from_settings(settings),
            sealer=Sealer.from_settings(settings),
        )


class Service(FastAPI):
    """The FastAPI app behind the edge (:mod:`app.web.http.edge`): every HTTP request passes
    the edge first, and FastAPI's own layers after it, so that a 500 from FastAPI's
    error handler gets the security headers and request id too."""

    edge: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.edge is not None:
            scope["app"] = self
            await self.edge(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def behind_edge(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI itself, for the edge to call."""
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's OpenAPI document, with the lean routes' operations."""
        if self.openapi_schema is None:
            self.openapi_schema = lean.document(super().openapi(), self.routes)
        return self.openapi_schema


def create_app(settings: Settings | None = None, *, db: ProviderDB | None = None) -> Service:
    """Build the app. The provider database (with the ISPDB snapshot of its data folder)
    loads once, when the app starts, unless an already loaded ``db`` is given (tests and
    benchmarks share one).
    """
    settings = settings or get_settings()
    check_settings(settings)
    configure_logging(settings)
    templates.env.globals["csrf_input"] = csrf_input

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = db
        if loaded is None:
            data_dir = settings.data_dir or DATA_DIR
            loaded = ProviderDB.from_dir(data_dir)
            log.info("loaded %d providers from %s", len(loaded), data_dir)
            snapshot = loaded.snapshot
            if snapshot is None:
                log.info("no ISPDB snapshot in %s: discovery has no offline source", data_dir)
            else:
                log.info("loaded %s: %d domains", snapshot.label, len(snapshot))
        if settings.public_url is None:
            log.info(
                "MAILSETUP_PUBLIC_URL is unset: links, QR codes and documents for mail clients "
                "use each request's own origin (Host, or X-Forwarded-Host and -Proto from "
                "MAILSETUP_TRUSTED_PROXIES)"
            )
        async with _open_state(settings, loaded) as state:
            app.state.mailsetup = state
            yield

    app = Service(
        title="mailsetup",
        version=__version__,
        description="Mail account settings, discovery, live tests and client configuration.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # The service reports through its own metrics and logs; left on, FastAPI's
        # OpenTelemetry hooks would look for a configured provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    # Browsers get these errors as pages (app.web.http.errorpages), everyone else as before.
    app.add_exception_handler(RequestValidationError, errorpages.for_browsers(_validation_error))
    app.add_exception_handler(HTTPException, errorpages.http_error)
    app.add_exception_handler(Exception, errorpages.server_error)
    app.add_exception_handler(RateLimited, throttle.rate_limited)
    app.add_exception_handler(CsrfRejected, throttle.csrf_rejected)
    # First in the router, which tries its routes in order: one pattern match each,
    # before the included routers, each of which matches its own routes twice over.
    app.router.routes[0:0] = LEAN_ROUTES
    _mount_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(wellknown.router)
    app.include_router(clientconfig.router)
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(owners.router)
    app.include_router(progress.router)
    app.include_router(live.router)
    app.include_router(live_page.router)
    app.include_router(signin.router)
    app.include_router(language.router)
    app.include_router(learn.router)
    app.include_router(pages.router)
    app.edge = Edge(app.behind_edge, settings)
    return app
