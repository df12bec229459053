"""Security headers on every response, and CSRF tokens for forms.

- :func:`secure_headers`, applied by the edge (:mod:`app.web.http.edge`) to every
  response: a strict Content-Security-Policy (no inline script or style; a route
  may send its own, as /docs does), ``Referrer-Policy: no-referrer``, ``nosniff``,
  no framing, and HSTS when the request came over TLS.
- CSRF for HTML forms: a signed double-submit token. The page puts it in a hidden
  field (:func:`csrf_input`) and a ``SameSite=Strict`` cookie; :func:`require_csrf`
  accepts a post only when both match and the HMAC is ours.

The request rules (body size, JSON-only API bodies, no secrets in URLs) are in
:mod:`app.web.http.rules`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Form, Request
from markupsafe import Markup
from starlette.types import Scope

from app.errors import MailsetupError
from app.settings import Settings
from app.web.http.clientip import resolve_client
from app.web.http.statekeys import StateKey

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000"
CSRF_FIELD = "csrf_token"
MAX_TOKEN = 200
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


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


def csp_with_form_action(origin: str) -> str:
    """Our CSP, letting forms go to ``origin`` too: "Sign in with …" posts to us, and our
    redirect to the provider's page is a form action as well (CSP ``form-action`` covers
    redirects). ``origin`` comes from a provider file, never from a request."""
    return CSP.replace("form-action 'self'", f"form-action 'self' {origin}")


def request_is_https(scope: Scope, settings: Settings) -> bool:
    """Whether the client reached us over TLS (directly, or as a trusted proxy says)."""
    state = scope.get("state") or {}
    if StateKey.HTTPS in state:
        return bool(state[StateKey.HTTPS])
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
    token: str | None = state.get(StateKey.CSRF_TOKEN)
    if token is None:
        signer = _signer(request)
        https = request_is_https(request.scope, request.app.state.mailsetup.settings)
        cookie = request.cookies.get(csrf_cookie_name(https), "")
        token = cookie if signer.valid(cookie) else signer.issue()
        if token != cookie:
            state[StateKey.CSRF_COOKIE] = token
        state[StateKey.CSRF_TOKEN] = token
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
