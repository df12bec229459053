"""Why a server refused an OAuth2 access token, read from its error challenge (RFC 7628
section 3.2.2; Google's XOAUTH2 challenge has the same ``status`` and ``scope``) or,
when it sent none, from whose server it is. Pure: no I/O."""

from __future__ import annotations

import json

from app.models import Protocol
from app.probe.report import Code, ProbeResult

# Exchange Online and Outlook.com (global, 21Vianet, US government): they send no
# challenge, only "NO AUTHENTICATE failed." or "535 5.7.3 Authentication unsuccessful".
MICROSOFT_HOSTS = ("office365.com", "outlook.com", "partner.outlook.cn", "office365.us")
# RFC 6750 section 3.1 error codes and the HTTP statuses Google puts in their place:
# Google answers 400 to a token without https://mail.google.com/ (reported by its users).
_EXPIRED = {"401", "invalid_token"}
_SCOPE = {"400", "403", "insufficient_scope"}
# The scope names that say which protocol they allow (Microsoft's do).
_PROTOCOL_WORDS = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP", Protocol.SMTP: "SMTP"}


def challenge_fields(challenge: str) -> dict[str, str]:
    """The text fields of a JSON error challenge; empty when it is not JSON."""
    try:
        body = json.loads(challenge)
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {str(k): str(v) for k, v in body.items() if isinstance(v, str | int)}


def is_microsoft(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in MICROSOFT_HOSTS)


def token_refusal(result: ProbeResult) -> Code:
    """The finding for a refused token whose refusal text no provider rule explains."""
    status = challenge_fields(result.auth.challenge).get("status", "").lower()
    if status in _EXPIRED:
        return Code.OAUTH_TOKEN_INVALID
    if status in _SCOPE:
        return Code.OAUTH_SCOPE_MISSING
    if is_microsoft(result.endpoint.host):
        return Code.OAUTH_REFUSED_MICROSOFT
    return Code.OAUTH_REFUSED


def needed_scope(result: ProbeResult, scopes: tuple[str, ...]) -> str:
    """The scope the server named in its challenge, else those of the provider's
    ``scopes`` for the probed protocol (all but ``offline_access`` if none names it)."""
    named = challenge_fields(result.auth.challenge).get("scope", "")
    if named:
        return named
    usable = [s for s in scopes if s != "offline_access"]
    word = _PROTOCOL_WORDS[result.endpoint.protocol]
    return ", ".join([s for s in usable if word in s.upper()] or usable)
