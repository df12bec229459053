"""The edge: what every HTTP request gets, in one middleware layer.

In order: a request id and the client (:mod:`app.web.http.context`); the request
rules (secret-looking query parameters dropped, 415 and 413, a capped body:
:mod:`app.web.http.rules`; pages for browsers, :mod:`app.web.http.errorpages`);
Autodiscover paths in any letter case (:func:`canonical_path`); the language
(:mod:`app.web.http.i18n`). On the way out every response gets the request id, the
security headers
(:mod:`app.web.http.security`; and a new CSRF cookie), ``Cache-Control: private`` when
its links came from the request's origin (:mod:`app.web.http.origin`), and HTML its
language; then the request is counted and logged under its route template.

One layer instead of one per concern: each ASGI layer wraps every send, and
for the small documents mail clients fetch most, the layers cost more than
the answer.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.logging_setup import request_id
from app.settings import Settings
from app.web.http.clientip import resolve_client
from app.web.http.context import (
    RequestInfo,
    access_log,
    log_request,
    request_id_of,
    route_label,
)
from app.web.http.errorpages import refuser
from app.web.http.i18n import current_lang, label_html, load_catalogs, request_language
from app.web.http.origin import private_headers
from app.web.http.rules import call_with_capped_body, drop_secret_params, refusal
from app.web.http.security import secure_headers
from app.web.http.statekeys import StateKey

# The Autodiscover routes (app.web.routes.clientconfig), matched in any letter case.
AUTODISCOVER_PATHS = ("/autodiscover/autodiscover.xml", "/autodiscover/autodiscover.json")


def canonical_path(path: str, paths: tuple[str, ...] = AUTODISCOVER_PATHS) -> str:
    """``path`` with a prefix from ``paths`` in its registered letter case: Outlook
    asks for /AutoDiscover/AutoDiscover.xml and other spellings."""
    lowered = path.lower()
    for known in paths:
        if lowered == known or lowered.startswith(known + "/"):
            return known + path[len(known) :]
    return path


class Edge:
    """ASGI middleware in front of the whole app (:class:`app.main.Service`): see the
    module's docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.max_bytes = settings.max_body_bytes
        load_catalogs()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = self.settings
        rid = request_id_of(scope)
        rid_header = (b"x-request-id", rid.encode())
        client = resolve_client(scope, settings.trusted_proxies, settings.proxy_header)
        info = RequestInfo(rid, client.address, client.https)
        state = scope.setdefault("state", {})
        state[StateKey.REQUEST] = info
        state[StateKey.HTTPS] = https = client.https
        status = 500  # unless a response starts: an exception became the server's 500
        lang: str | None = None  # known once the request passed the rules

        async def send_out(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                if StateKey.REQUEST_ORIGIN in state or StateKey.CSRF_TOKEN in state:
                    headers = private_headers(headers)  # made for this visitor alone
                headers = secure_headers(headers, https, state.get(StateKey.CSRF_COOKIE))
                headers.append(rid_header)
                if lang is not None:
                    label_html(headers, lang)
                message["headers"] = headers
            await send(message)

        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            drop_secret_params(scope)
            headers = Headers(scope=scope)
            refused = refusal(scope, headers, self.max_bytes)
            if refused is not None:
                lang = request_language(scope, headers)
                lang_token = current_lang.set(lang)
                try:
                    await refuser(scope)(send_out, *refused)
                finally:
                    current_lang.reset(lang_token)
                return
            scope["path"] = canonical_path(scope["path"])
            lang = request_language(scope, headers)
            lang_token = current_lang.set(lang)
            before = dict(scope)  # the router rewrites paths of mounts in place
            try:
                if "transfer-encoding" in headers:  # a declared length was checked above
                    refuse = refuser(scope)
                    await call_with_capped_body(
                        self.app, scope, receive, send_out, self.max_bytes, refuse
                    )
                else:
                    await self.app(scope, receive, send_out)
            finally:
                info.route = route_label(scope, before)
                current_lang.reset(lang_token)
        except Exception:
            access_log.exception("unhandled error in %s %s", scope["method"], info.route)
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.request_done(info.route, scope["method"], status, seconds)
            log_request(scope["method"], info, status, seconds)
            request_id.reset(token)
