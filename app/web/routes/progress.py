"""Discovery as it happens: ``GET /api/v1/discover``, one JSON line per event.

The address's domain is discovered as ``/setup`` would (same limits, same cache),
and each source is reported when it is tried and when it answers, in the visitor's
language; the last line says whether settings were found and where the setup page
for them is. ``static/discover.js`` shows these lines while the visitor waits: under
a lookup form, or on the page :func:`discovering_page` gives a browser that opens
``/setup`` for a domain not looked up yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from app.discovery.service import Discoverer, Discovery, Trying
from app.errors import InvalidAddress
from app.models import Attempt
from app.providers.lookup import parse_query
from app.web.http.deps import DiscovererDep
from app.web.http.i18n import current_lang, translations
from app.web.http.templating import render
from app.web.http.throttle import DiscoveryLimit
from app.web.http.tracewords import attempt_outcome, source_short_label
from app.web.routes.live_page import settings_url

NDJSON = "application/x-ndjson"
NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger(__name__)
router = APIRouter()

Event = Trying | Attempt | Discovery


def _line(event: Event, gettext: Callable[[str], str], url: str) -> dict[str, Any]:
    if isinstance(event, Discovery):
        return {"type": "done", "found": event.config is not None, "url": url}
    base = {
        "source": event.source.value,
        "source_label": gettext(source_short_label(event.source)),
        "target": event.target,
    }
    if isinstance(event, Trying):
        return {"type": "trying", **base}
    return {
        "type": "attempt",
        **base,
        "ok": event.ok,
        "outcome": event.outcome.value,
        "words": gettext(attempt_outcome(event)),
        "duration_ms": event.duration_ms,
    }


@router.get(
    "/api/v1/discover",
    tags=["api"],
    dependencies=[DiscoveryLimit],
    response_model=None,
    responses={
        200: {
            "description": "NDJSON: `trying` and `attempt` lines per source, then `done` "
            "(`found`, and `url`, the setup page for the address)",
            "content": {NDJSON: {}},
        },
        422: {"description": "Not an email address"},
    },
)
async def discover_progress(
    discoverer: DiscovererDep,
    email: Annotated[str, Query(max_length=320)],
    client: Annotated[str, Query(max_length=40)] = "",
) -> StreamingResponse | JSONResponse:
    """Discover the settings for ``email``, reporting each source as it goes; answers
    within ``MAILSETUP_DISCOVERY_DEADLINE`` (and at once for a known domain)."""
    try:
        address, domain = parse_query(email)
    except InvalidAddress as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422, headers=NO_STORE)
    gettext = translations(current_lang.get()).gettext
    url = settings_url(email.strip(), client or None)
    events: asyncio.Queue[Event] = asyncio.Queue()
    asker = address.address if address else None
    task = asyncio.create_task(discoverer.discover(domain, asker, events.put_nowait))

    async def lines() -> AsyncIterator[bytes]:
        try:
            while True:
                getter = asyncio.ensure_future(events.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                yield _encode(_line(getter.result(), gettext, url))
            while not events.empty():
                yield _encode(_line(events.get_nowait(), gettext, url))
            if task.exception() is None:
                yield _encode(_line(task.result(), gettext, url))
            else:  # refused (a limit) or failed: the setup page says why, as without script
                log.info("discovery for the progress stream ended: %r", task.exception())
                yield _encode({"type": "done", "found": False, "url": url})
        finally:
            task.cancel()

    return StreamingResponse(lines(), media_type=NDJSON, headers=NO_STORE)


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode() + b"\n"


def _navigation(request: Request) -> bool:
    """A browser opening a page itself (Fetch Metadata), not a script, a crawler or a
    mail client."""
    headers = request.headers
    return headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") in (
        "document",
        None,
    )


async def discovering_page(
    request: Request, discoverer: Discoverer, email: str, client: str
) -> HTMLResponse | None:
    """For a browser opening ``/setup`` at a domain neither known nor looked up lately:
    a page that shows discovery's progress, then goes on to ``/setup?…&wait=1`` (at
    once without JavaScript, by a refresh). None when ``/setup`` can answer now."""
    if not _navigation(request):
        return None
    try:
        address, domain = parse_query(email)
    except InvalidAddress:
        return None  # the setup page explains it
    if address is None or await discoverer.known_or_cached(domain) is not None:
        return None
    keep = {"client": client} if client else {}
    context = {
        "email": address.address,
        "domain": domain,
        "client": client,
        "next_url": "/setup?" + urlencode({"email": email, **keep, "wait": "1"}),
    }
    response = render(request, "discovering.html", context)
    response.headers.update(NO_STORE)
    return response
