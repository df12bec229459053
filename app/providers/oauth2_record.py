"""A provider file's ``[oauth2]`` table: what mail apps read from autoconfig (issuer,
scopes, endpoints), and what the tester's "Sign in with …" needs besides: whose client
registration signs in, the scopes each protocol needs, the SASL mechanism and whether the
provider wants a client secret. Only a provider file can say this: token endpoints are
never taken from imported or discovered data."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models import NonEmpty, OAuth2Info, Protocol

_STRICT = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
REFRESH_SCOPE = "offline_access"  # asks for a refresh token: the tester never keeps one


class SignInClient(StrEnum):
    """Whose client registration a sign-in uses: ``MAILSETUP_OAUTH_<NAME>_CLIENT_ID``."""

    MICROSOFT = "microsoft"
    MICROSOFT_CN = "microsoft-cn"  # Microsoft 365 operated by 21Vianet: its own cloud
    GOOGLE = "google"
    YAHOO = "yahoo"
    AOL = "aol"

    @property
    def env_prefix(self) -> str:
        return "MAILSETUP_OAUTH_" + self.name + "_"


class ProtocolScopes(BaseModel):
    """The scopes a token needs for each protocol, as the provider documents them."""

    model_config = _STRICT

    imap: tuple[NonEmpty, ...] = ()
    pop3: tuple[NonEmpty, ...] = ()
    smtp: tuple[NonEmpty, ...] = ()

    def of(self, protocol: Protocol) -> tuple[str, ...]:
        return {Protocol.IMAP: self.imap, Protocol.POP3: self.pop3, Protocol.SMTP: self.smtp}[
            protocol
        ]

    @model_validator(mode="after")
    def _no_refresh(self) -> ProtocolScopes:
        for scope in (*self.imap, *self.pop3, *self.smtp):
            if scope == REFRESH_SCOPE:
                raise ValueError(
                    f"{REFRESH_SCOPE} asks for a refresh token, which the tester never wants"
                )
        return self


def _https_or_loopback(url: str) -> bool:
    """https, or http to a loopback address (RFC 8252 section 8.3), as test servers use."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    try:
        return parts.scheme == "http" and ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


class RecordOAuth2(OAuth2Info):
    """``[oauth2]`` in a provider file. With ``sign_in`` set, the tester offers "Sign in
    with …" for the provider's addresses once the operator has registered a client."""

    model_config = _STRICT

    sign_in: SignInClient | None = Field(
        default=None, description="Whose client registration signs in for the tester."
    )
    protocol_scopes: ProtocolScopes | None = Field(
        default=None, description="The scopes each protocol needs; no offline_access."
    )
    mechanism: Literal["xoauth2", "oauthbearer"] = Field(
        default="xoauth2", description="The SASL mechanism the provider documents."
    )
    client_secret: bool = Field(
        default=False,
        description="The provider requires a client secret from a web app (Google does).",
    )

    @model_validator(mode="after")
    def _sign_in(self) -> RecordOAuth2:
        for url in (str(self.auth_url), str(self.token_url)):
            if not _https_or_loopback(url):
                raise ValueError(f"{url} must use https (http only to a loopback address)")
        if self.sign_in is not None and self.protocol_scopes is None:
            raise ValueError("sign_in needs protocol_scopes: the scopes each protocol needs")
        return self

    def scopes_for(self, protocols: set[Protocol]) -> tuple[str, ...]:
        """Every scope the ``protocols`` need, each once, in the file's order."""
        if self.protocol_scopes is None:
            return ()
        wanted = [s for p in Protocol if p in protocols for s in self.protocol_scopes.of(p)]
        return tuple(dict.fromkeys(wanted))
