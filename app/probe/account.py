"""What the provider's record says about a probed endpoint: how its users log in,
the steps they must take first, and its quirks."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import AccountConfig, AuthMethod, Localized, Quirk, ServerEndpoint, Step
from app.probe.report import Code
from app.providers.schema import ProviderRecord

Account = AccountConfig | ProviderRecord


@dataclass(frozen=True)
class AccountFacts:
    """What the provider's record says about the probed endpoint."""

    name: Localized | None = None
    auth: frozenset[AuthMethod] = frozenset()
    steps: tuple[Step, ...] = ()
    quirks: frozenset[Quirk] = frozenset()
    scopes: tuple[str, ...] = ()  # the provider's OAuth2 scopes, when it has any

    @classmethod
    def of(cls, account: Account | None, endpoint: ServerEndpoint) -> AccountFacts:
        """The auth methods of the matching server, else of the same protocol, else any."""
        if account is None:
            return cls(auth=frozenset(endpoint.auth))
        servers = account.servers if isinstance(account, ProviderRecord) else account.endpoints
        key = (endpoint.protocol, endpoint.host, endpoint.port)
        chosen = [s.auth for s in servers if (s.protocol, s.host, s.port) == key]
        chosen = chosen or [s.auth for s in servers if s.protocol is endpoint.protocol]
        chosen = chosen or [s.auth for s in servers] or [endpoint.auth]
        auth = frozenset(m for methods in chosen for m in methods)
        quirks = frozenset(account.quirks)
        scopes = account.oauth2.scopes if account.oauth2 else ()
        return cls(name=account.name, auth=auth, steps=account.steps, quirks=quirks, scopes=scopes)

    def login_code(self) -> Code:
        """What a refused password most likely means for this provider."""
        if AuthMethod.AUTHORIZATION_CODE in self.auth:
            return Code.AUTH_NEEDS_AUTHORIZATION_CODE
        if AuthMethod.APP_PASSWORD in self.auth:
            return Code.AUTH_NEEDS_APP_PASSWORD
        oauth_only = AuthMethod.OAUTH2 in self.auth and not any(m.is_password for m in self.auth)
        if Quirk.OAUTH2_ONLY in self.quirks or oauth_only:
            return Code.AUTH_NEEDS_OAUTH2
        return Code.AUTH_FAILED
