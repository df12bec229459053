"""The request rules the edge (:mod:`app.web.http.edge`) applies before any route.

- :func:`refusal`, :func:`call_with_capped_body`: bodies over
  ``MAILSETUP_MAX_BODY_BYTES`` get 413, and API calls that send a body must say
  ``Content-Type: application/json``, which a cross-site form or simple request
  cannot do (so no simple-request CSRF).
- :func:`drop_secret_params`: query parameters named like a password are dropped
  before any route, template or log sees them: no route takes a secret from a URL,
  and none may echo one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "secret", "authorization_code"})

# How a refused request is answered: (send, status, detail).
Refuse = Callable[[Send, int, str], Awaitable[None]]


def _secret_keys(query: bytes) -> bool:
    """Whether a parameter of ``query`` may be named like a secret. Cheap and
    conservative: any encoded name (``%``, ``+``) counts as maybe."""
    for part in query.split(b"&"):
        name = part.partition(b"=")[0].decode("latin-1")
        if "%" in name or "+" in name or name.strip().lower() in SECRET_PARAMS:
            return True
    return False


def without_secrets(query: bytes) -> bytes | None:
    """``query`` without parameters named in :data:`SECRET_PARAMS` (any case), or None
    when it has none."""
    if not _secret_keys(query):
        return None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.strip().lower() not in SECRET_PARAMS]
    return None if len(kept) == len(pairs) else urlencode(kept).encode("latin-1")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def send_refusal(send: Send, status: int, detail: str) -> None:
    """Answers a refused request with JSON ``{"detail": ...}``, never cached."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def has_body(headers: Headers) -> bool:
    """HTTP/1.1: a request without a length and without chunks has no body."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


def refusal(scope: Scope, headers: Headers, max_bytes: int) -> tuple[int, str] | None:
    """415 for an API call whose body is not declared as JSON, 413 for a declared
    length over ``max_bytes``; None when the request may go on."""
    if (
        scope["method"] in BODY_METHODS
        and scope["path"].startswith("/api/")
        and has_body(headers)
        and not _is_json(headers.get("content-type", ""))
    ):
        return 415, "Send the request body as application/json."
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return 413, too_large(max_bytes)
    return None


def too_large(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


def drop_secret_params(scope: Scope) -> None:
    """Removes secret-looking query parameters from ``scope`` (in place)."""
    query = scope.get("query_string", b"")
    cleaned = without_secrets(query) if query else None
    if cleaned is not None:
        scope["query_string"] = cleaned


async def call_with_capped_body(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    max_bytes: int,
    refuse: Refuse = send_refusal,
) -> None:
    """Runs ``app``, answering 413 with ``refuse`` once a chunked body passes ``max_bytes``.
    (A body with a declared length needs no watching: the server reads no more than that.)"""
    received = 0
    started = answered = False

    async def limited_receive() -> Message:
        nonlocal received, answered
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                if not started and not answered:
                    answered = True
                    await refuse(send, 413, too_large(max_bytes))
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if answered:
            return  # the 413 went out; the app's answer to the cut-off body is dropped
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, limited_receive, guarded_send)
    except Exception as exc:
        if not answered:
            raise
        # The 413 is out; the app stopped on the cut-off body. Not a server error.
        log.debug("request body over the cap ended the app with %s", type(exc).__name__)
