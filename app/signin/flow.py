"""The authorization code flow with PKCE (RFC 6749 section 4.1, RFC 7636 with S256):
:func:`begin` builds the provider's sign-in URL and the flow to seal into a cookie,
:func:`finish` checks what the provider sent back and exchanges the code for an access
token at the provider file's token endpoint. No refresh token is asked for or kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import quote, urlencode

import httpx
from pydantic import SecretStr

from app.errors import MailsetupError
from app.models import AuthMethod
from app.oauth_clients import Registration
from app.probe.credential import check_token
from app.providers.oauth2_record import RecordOAuth2
from app.providers.schema import ProviderRecord
from app.signin.seal import Flow
from app.untrusted import escape_controls

CALLBACK = "/signin/callback"
TOKEN_TIMEOUT = 10.0  # seconds for the token endpoint to answer
MAX_TOKEN_RESPONSE = 64 * 1024
_SHOWN = 200  # characters of a provider's error text kept


class SignInFailure(StrEnum):
    NO_FLOW = "no-flow"  # no sign-in cookie, or an altered or expired one
    STATE_MISMATCH = "state-mismatch"  # the state sent back is not this browser's
    DENIED = "denied"  # the user did not allow access (access_denied)
    PROVIDER_ERROR = "provider-error"  # any other error from the authorization endpoint
    CODE_REFUSED = "code-refused"  # the token endpoint refused the code (used, expired …)
    UNANSWERED = "unanswered"  # no usable answer from the token endpoint


class SignInError(MailsetupError):
    """A sign-in that ended without a token; ``detail`` is the provider's error code."""

    def __init__(self, reason: SignInFailure, detail: str = "") -> None:
        self.reason = reason
        self.detail = escape_controls(detail[:_SHOWN])
        super().__init__(f"sign-in failed: {reason.value} {self.detail}".rstrip())


def redirect_uri(public_url: str) -> str:
    """Where the provider sends the browser back: register exactly this."""
    return public_url.rstrip("/") + CALLBACK


def _challenge(verifier: str) -> str:
    """RFC 7636 section 4.2: BASE64URL(SHA256(ASCII(code_verifier))), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_scopes(record: ProviderRecord, oauth: RecordOAuth2) -> tuple[str, ...]:
    """The scopes for every protocol the provider takes tokens on."""
    return oauth.scopes_for({s.protocol for s in record.servers if AuthMethod.OAUTH2 in s.auth})


def begin(
    record: ProviderRecord,
    registration: Registration,
    public_url: str,
    *,
    email: str,
    client: str = "",
    username: str = "",
    servers: str = "",
) -> tuple[str, Flow]:
    """The provider's authorization URL to send the browser to, and the flow to seal."""
    oauth = record.oauth2
    assert oauth is not None  # only offered for a record with sign_in (app.signin.offer)
    flow = Flow(
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(64),  # 86 characters (RFC 7636: 43 to 128)
        email=email,
        provider_id=record.id,
        client=client,
        username=username,
        servers=servers,
    )
    params = {
        "response_type": "code",
        "client_id": registration.client_id,
        "redirect_uri": redirect_uri(public_url),
        "scope": " ".join(token_scopes(record, oauth)),
        "state": flow.nonce,
        "code_challenge": _challenge(flow.verifier),
        "code_challenge_method": "S256",
        "login_hint": username or email,  # Microsoft and Google preselect the account
    }
    url = str(oauth.auth_url)
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode(params, quote_via=quote), flow


def check_return(query: Mapping[str, str], flow: Flow | None) -> str:
    """The authorization code the provider sent back to this browser's flow, or why not."""
    if flow is None:
        raise SignInError(SignInFailure.NO_FLOW)
    if not hmac.compare_digest(query.get("state", "").encode(), flow.nonce.encode()):
        raise SignInError(SignInFailure.STATE_MISMATCH)
    error = query.get("error", "")
    if error == "access_denied":
        raise SignInError(SignInFailure.DENIED)
    code = query.get("code", "")
    if error or not code:
        raise SignInError(SignInFailure.PROVIDER_ERROR, error or "no code")
    return code


async def exchange(
    oauth: RecordOAuth2, registration: Registration, public_url: str, code: str, flow: Flow
) -> SecretStr:
    """The access token for ``code`` (RFC 6749 section 4.1.3), the client authenticated
    by its secret in the body when it has one (section 2.3.1)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(public_url),
        "client_id": registration.client_id,
        "code_verifier": flow.verifier,
    }
    if registration.secret is not None:
        form["client_secret"] = registration.secret.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=TOKEN_TIMEOUT, trust_env=False) as http:
            response = await http.post(
                str(oauth.token_url), data=form, headers={"Accept": "application/json"}
            )
    except httpx.HTTPError as exc:
        raise SignInError(SignInFailure.UNANSWERED, type(exc).__name__) from exc
    return _token(response)


def _token(response: httpx.Response) -> SecretStr:
    if len(response.content) > MAX_TOKEN_RESPONSE:
        raise SignInError(SignInFailure.UNANSWERED, "answer too large")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SignInError(SignInFailure.UNANSWERED, f"HTTP {response.status_code}")
    if response.status_code in {400, 401}:  # RFC 6749 section 5.2
        raise SignInError(SignInFailure.CODE_REFUSED, str(body.get("error", "")))
    token, kind = body.get("access_token"), str(body.get("token_type", ""))
    if response.status_code != 200 or not isinstance(token, str) or kind.lower() != "bearer":
        raise SignInError(SignInFailure.UNANSWERED, f"HTTP {response.status_code}")
    try:
        check_token(token)
    except ValueError as exc:
        raise SignInError(SignInFailure.UNANSWERED, "not a bearer token") from exc
    return SecretStr(token)
