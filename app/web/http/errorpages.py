"""Error pages for browsers: an error a visitor can meet, as a page in their language.

A request gets a page instead of the JSON (or plain text) answer when it is not a HEAD,
its path is not for programs (:data:`MACHINE_PREFIXES`: the API, Autodiscover and
autoconfig) and its ``Accept`` ranks text/html above application/json
(:func:`prefers_html`). The page keeps the status and the headers of the answer it
replaces; both carry ``Vary: Accept``. Where each error comes from:

- raised in the app: :func:`for_browsers` wraps the app's exception handlers;
- crashes: :func:`server_error`, starlette's ServerErrorMiddleware's handler;
- refused by the edge before the app (413, 415): :func:`refuser`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from app.i18n import N_
from app.web.http.context import request_info
from app.web.http.i18n import BABEL_LOCALES, current_lang, translations
from app.web.http.rules import Refuse, send_refusal
from app.web.http.templating import render

log = logging.getLogger(__name__)
AnyResponse = TypeVar("AnyResponse", bound=Response)

# Paths whose errors stay as they are for every client: the API, Autodiscover, autoconfig.
MACHINE_PREFIXES = ("/api/", "/autodiscover/", "/mail/", "/.well-known/", "/v1.1/")
MAX_ACCEPT = 2000  # characters read from the header
MAX_RANGES = 30  # media ranges considered
QVALUE = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")  # RFC 9110 §12.4.2

# Each status's title and what happened, in plain words.
TEXTS: dict[int, tuple[str, str]] = {
    404: (
        N_("Page not found"),
        N_("There is no page at this address. The link may be out of date."),
    ),
    405: (
        N_("This page cannot answer that request"),
        N_("The address exists, but not for this kind of request. Open it from the site's links."),
    ),
    409: (
        N_("This could not be prepared"),
        N_("What was asked for does not fit the settings known for this address."),
    ),
    413: (
        N_("Too much data was sent"),
        N_("What was sent is larger than this service accepts. Send less and try again."),
    ),
    415: (
        N_("This data format is not accepted"),
        N_("The request came in a format this page does not accept. Use the page's own form."),
    ),
    422: (
        N_("This request could not be used"),
        N_("A value in the link or form is missing or not in the expected form."),
    ),
    429: (N_("Please wait a moment"), N_("There have been many requests in a short time.")),
    500: (
        N_("Something went wrong on our side"),
        N_("This is not your fault. Please try again in a few minutes."),
    ),
}
RETRY = N_("You can try again in %(time)s.")
REFERENCE = N_("We have logged the error under the reference %(reference)s.")
NOT_CARRIED = frozenset({"content-type", "content-length"})  # the page has its own


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an ``Accept`` header with their qualities; malformed ones dropped."""
    ranges = []
    for item in accept[:MAX_ACCEPT].split(",")[:MAX_RANGES]:
        media, *params = (part.strip() for part in item.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue
        quality: float | None = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = float(value) if QVALUE.fullmatch(value.strip()) else None
        if quality is not None:
            ranges.append((kind, sub, quality))
    return ranges


def _quality(ranges: Iterable[tuple[str, str, float]], kind: str, sub: str) -> float:
    """The quality of ``kind/sub``: that of its most specific matching range, else 0."""
    best, quality = -1, 0.0
    for range_kind, range_sub, q in ranges:
        if (range_kind, range_sub) == (kind, sub):
            specific = 2
        elif range_kind == kind and range_sub == "*":
            specific = 1
        elif (range_kind, range_sub) == ("*", "*"):
            specific = 0
        else:
            continue
        if specific > best:
            best, quality = specific, q
    return quality


@functools.lru_cache(maxsize=1024)
def prefers_html(accept: str) -> bool:
    """Whether ``accept`` ranks text/html above application/json (RFC 9110 §12.5.1). A tie,
    as with ``*/*``, is no preference: those clients keep the JSON."""
    ranges = _ranges(accept)
    return _quality(ranges, "text", "html") > _quality(ranges, "application", "json")


def negotiable(scope: Scope) -> bool:
    """Whether an error for this request depends on its ``Accept`` (see the module)."""
    return scope["method"] != "HEAD" and not scope["path"].lower().startswith(MACHINE_PREFIXES)


def wants_page(scope: Scope) -> bool:
    """Whether an error for this request is answered with a page (see the module)."""
    if not negotiable(scope):
        return False
    accept = Headers(scope=scope).get("accept")
    return accept is not None and prefers_html(accept)


def vary_on_accept(response: AnyResponse) -> AnyResponse:
    """``response`` with ``Vary: Accept``: a cache must not give a browser's page to a
    program, or a program's JSON to a browser."""
    MutableHeaders(raw=response.raw_headers).add_vary_header("Accept")
    return response


def wait_text(seconds: int) -> str:
    """A wait in the request's language: "30 seconds", "2分钟"."""
    locale = BABEL_LOCALES.get(current_lang.get(), "en")
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.0, locale=locale)


def retry_note(seconds: int) -> str:
    """When to try again, in the request's language."""
    return translations(current_lang.get()).gettext(RETRY) % {"time": wait_text(seconds)}


def _default_note(request: Request, status: int, headers: Headers) -> str:
    if status == 429 and headers.get("retry-after", "").isdigit():
        return retry_note(int(headers["retry-after"]))
    info = request_info(request.scope)
    if status == 500 and info is not None:
        gettext = translations(current_lang.get()).gettext
        return gettext(REFERENCE) % {"reference": info.id}
    return ""


def error_page(
    request: Request,
    status: int,
    headers: Iterable[tuple[bytes, bytes]] = (),
    *,
    title: str | None = None,
    message: str | None = None,
    note: str | None = None,
    back: str | None = None,
) -> HTMLResponse:
    """``error.html`` for ``status`` with the raw ``headers`` of the answer it replaces.
    ``title`` and ``message`` (msgids; required for a status outside :data:`TEXTS`)
    default to the status's :data:`TEXTS`, ``note`` to when to try again (429) or the
    request id (500); ``back`` is a page to return to."""
    carried = [(k, v) for k, v in headers if k.lower().decode("latin-1") not in NOT_CARRIED]
    title, message = title or TEXTS[status][0], message or TEXTS[status][1]
    gettext = translations(current_lang.get()).gettext
    context = {
        "title": gettext(title),
        "message": gettext(message),
        "note": _default_note(request, status, Headers(raw=carried)) if note is None else note,
        "back": back,
        "status": status,
    }
    response = render(request, "error.html", context, status_code=status)
    response.raw_headers.extend(carried)
    return vary_on_accept(response)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def for_browsers(handler: Handler) -> Handler:
    """``handler``, answering with a page instead when :func:`wants_page`."""

    @functools.wraps(handler)
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if response.status_code not in TEXTS or not negotiable(request.scope):
            return response
        if wants_page(request.scope):
            return error_page(request, response.status_code, response.raw_headers)
        return vary_on_accept(response)

    return handle


@for_browsers
async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer to an :class:`HTTPException` (JSON), or the page."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    return await http_exception_handler(request, exc)


async def server_error(request: Request, exc: Exception) -> Response:
    """The 500: starlette's plain text, or for a browser the page."""
    if wants_page(request.scope):
        try:
            return error_page(request, 500)
        except Exception:  # a crash while rendering must not hide the first one
            log.exception("the 500 page failed; answering in plain text")
    plain = PlainTextResponse("Internal Server Error", status_code=500)
    return vary_on_accept(plain) if negotiable(request.scope) else plain


def refuser(scope: Scope) -> Refuse:
    """How the edge answers a request it refuses before the app: the JSON of
    :func:`send_refusal`, or for a browser a page, never cached."""
    if not wants_page(scope):
        return send_refusal
    request = Request(dict(scope))  # the app may rewrite the scope's path meanwhile

    async def send_page(send: Send, status: int, detail: str) -> None:
        page = error_page(request, status, [(b"cache-control", b"no-store")])
        await send({"type": "http.response.start", "status": status, "headers": page.raw_headers})
        await send({"type": "http.response.body", "body": page.body})

    return send_page
