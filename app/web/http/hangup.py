"""Stop a request's work when its client hangs up, and bound it by its deadline.

A live test holds probe slots and connections to mail servers. When the person who
asked has gone, nobody will read the report, so the work stops at once: its probes
are cancelled and close their connections. (A streamed answer needs no help here:
Starlette cancels a streaming body when the client disconnects.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import anyio
from starlette.requests import Request

from app.settings import Settings

_T = TypeVar("_T")


def admitted(settings: Settings) -> float:
    """The deadline of a live test admitted now, on the event loop's clock: everything
    it does (finding its servers, waiting for a probe slot, the probes) ends by then."""
    return asyncio.get_running_loop().time() + settings.probe_deadline


async def _hung_up(request: Request) -> None:
    """Return when the client disconnects (the request body has been read before)."""
    while (await request.receive())["type"] != "http.disconnect":
        continue


async def unless_hung_up(request: Request, work: Awaitable[_T]) -> _T | None:
    """``work``'s result, or None (``work`` cancelled) when the client hangs up first."""
    result: list[_T] = []

    async def run() -> None:
        result.append(await work)
        group.cancel_scope.cancel()

    async def watch() -> None:
        await _hung_up(request)
        group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        group.start_soon(watch)
    return result[0] if result else None
