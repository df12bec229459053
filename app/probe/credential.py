"""What a tester logs in with: a password (or an app password or authorization code,
which travel the same way) or an OAuth2 access token (RFC 6749), sent by SASL XOAUTH2
or OAUTHBEARER (RFC 7628). Both are secrets with the same rules."""

from __future__ import annotations

import re
from enum import StrEnum


class CredentialKind(StrEnum):
    PASSWORD = "password"  # noqa: S105 - a kind of credential, not one
    OAUTH2 = "oauth2"  # an OAuth2 bearer access token


# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
BEARER_CHARSET_RULE = (
    "an access token holds only letters, digits and - . _ ~ + / = (RFC 6750); "
    "copy the token itself, without 'Bearer ' or quotes"
)
MAX_TOKEN = 8192  # Microsoft's tokens run to about 2,500 characters, Google's to about 250


def check_token(token: str) -> None:
    """Refuse (ValueError, naming the problem, never the value) what is not a bearer token.

    Only these characters can be put between XOAUTH2's and OAUTHBEARER's ``\\x01``
    separators without changing the message's meaning."""
    if not token:
        raise ValueError("the access token is empty")
    if len(token) > MAX_TOKEN:
        raise ValueError(f"the access token is longer than {MAX_TOKEN} characters")
    if _B64TOKEN.fullmatch(token) is None:
        raise ValueError(BEARER_CHARSET_RULE)
