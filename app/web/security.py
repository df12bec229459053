"""Response headers and request rules that every route gets, and CSRF tokens for forms.

The edge middleware (:mod:`app.web.edge`) applies the first two to every request:

- :func:`secure_headers`: a strict Content-Security-Policy (no inline script or
  style; a route may send its own, as /docs does), ``Referrer-Policy: no-referrer``,
  ``nosniff``, no framing, and HSTS when the request came over TLS.
- :func:`refusal`, :func:`call_with_capped_body`, :func:`drop_secret_params`:
  bodies over ``MAILSETUP_MAX_BODY_BYTES`` get 413, and
  API calls that send a body must say ``Content-Type: application/json``, which a
  cross-site form or simple request cannot do (so no simple-request CSRF). Query
  parameters named like a password are dropped before any route, template or log
  sees them: no route takes a secret from a URL, and none may echo one.
- CSRF for HTML forms: a signed double-submit token. The page puts it in a hidden
  field (:func:`csrf_input`) and a ``SameSite=Strict`` cookie; :func:`require_csrf`
  accepts a post only when both match and the HMAC is ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterable
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import Form, Request
from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import MailsetupError
from app.settings import Settings
from app.web.clientip import resolve_client

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000"
STATE_HTTPS = "mailsetup.https"  # set in the scope's state by app.web.edge
STATE_CSRF_TOKEN = "mailsetup.csrf_token"  # noqa: S105 - a state key, not a secret
STATE_CSRF_COOKIE = "mailsetup.csrf_set_cookie"
CSRF_FIELD = "csrf_token"
MAX_TOKEN = 200
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "secret", "authorization_code"})


def docs_csp(html: str, *, runtime_styles: bool = False) -> str:
    """The CSP for an API docs page: everything from 'self', plus the page's own inline
    script and style by hash. ``runtime_styles`` is for ReDoc, which writes ``<style>``
    elements as it runs and searches in a worker made from a ``blob:`` URL."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    scripts = " ".join(["'self'", *hashes["script"]])
    styles = " ".join(["'self'", *(["'unsafe-inline'"] if runtime_styles else hashes["style"])])
    worker = "worker-src 'self' blob:; " if runtime_styles else ""
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        f"{worker}frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def request_is_https(scope: Scope, settings: Settings) -> bool:
    """Whether the client reached us over TLS (directly, or as a trusted proxy says)."""
    state = scope.get("state") or {}
    if STATE_HTTPS in state:
        return bool(state[STATE_HTTPS])
    return resolve_client(scope, settings.trusted_proxies, settings.proxy_header).https


def csrf_cookie_name(https: bool) -> str:
    """``__Host-`` cookies cannot be set by a sibling subdomain; browsers allow the
    prefix only on secure origins."""
    return "__Host-mailsetup_csrf" if https else "mailsetup_csrf"


def _csrf_cookie(token: str, https: bool) -> str:
    secure = "; Secure" if https else ""
    return f"{csrf_cookie_name(https)}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"


_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_CSP = (b"content-security-policy", CSP.encode())
_HSTS = (b"strict-transport-security", HSTS.encode())
_SECURITY_NAMES = frozenset(name for name, _ in _HEADERS) | {_HSTS[0]}


def secure_headers(
    headers: Iterable[tuple[bytes, bytes]], https: bool, csrf_cookie: str | None
) -> list[tuple[bytes, bytes]]:
    """A response's ``headers`` with ours set: a route's own CSP stays, the others
    replace theirs; plus the CSRF cookie when a page issued a new token."""
    kept = []
    has_csp = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == _CSP[0]:
            has_csp = True
        elif lowered in _SECURITY_NAMES:
            continue
        kept.append((name, value))
    kept += _HEADERS
    if not has_csp:
        kept.append(_CSP)
    if https:
        kept.append(_HSTS)
    if csrf_cookie:
        kept.append((b"set-cookie", _csrf_cookie(csrf_cookie, https).encode("latin-1")))
    return kept


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
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, max_bytes: int
) -> None:
    """Runs ``app``, answering 413 once a chunked body passes ``max_bytes``. (A body
    with a declared length needs no watching: the server reads no more than that.)"""
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
                    await send_refusal(send, 413, too_large(max_bytes))
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


class CsrfRejected(MailsetupError, PermissionError):
    """A form post without a valid CSRF token."""


class CsrfSigner:
    """Issues and checks ``nonce.mac`` tokens, the MAC an HMAC-SHA256 under ``key``."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_settings(cls, settings: Settings) -> CsrfSigner:
        """``MAILSETUP_SECRET_KEY``, or a random key for this process."""
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(secrets.token_bytes(32))

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._key, b"csrf\x00" + nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def valid(self, token: str) -> bool:
        nonce, _, mac = token.partition(".")
        if not nonce or not mac or len(token) > MAX_TOKEN or not token.isascii():
            return False
        return hmac.compare_digest(mac, self._mac(nonce))


def _signer(request: Request) -> CsrfSigner:
    signer: CsrfSigner = request.app.state.mailsetup.csrf
    return signer


def csrf_token(request: Request) -> str:
    """This request's token: the cookie's if it is valid, else a new one (and the
    response sets the cookie)."""
    state = request.scope.setdefault("state", {})
    token: str | None = state.get(STATE_CSRF_TOKEN)
    if token is None:
        signer = _signer(request)
        https = request_is_https(request.scope, request.app.state.mailsetup.settings)
        cookie = request.cookies.get(csrf_cookie_name(https), "")
        token = cookie if signer.valid(cookie) else signer.issue()
        if token != cookie:
            state[STATE_CSRF_COOKIE] = token
        state[STATE_CSRF_TOKEN] = token
    return token


def csrf_input(request: Request) -> Markup:
    """The hidden form field with this request's CSRF token (a Jinja global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


async def require_csrf(
    request: Request, csrf_token: Annotated[str, Form(max_length=MAX_TOKEN)] = ""
) -> None:
    """A dependency for form posts: the field must equal the cookie and carry our MAC."""
    https = request_is_https(request.scope, request.app.state.mailsetup.settings)
    cookie = request.cookies.get(csrf_cookie_name(https), "")
    signer = _signer(request)
    same = hmac.compare_digest(cookie.encode(), csrf_token.encode())
    if not (cookie and same and signer.valid(csrf_token)):
        raise CsrfRejected("the form's security token is missing or does not match")
