"""Whether the tester can offer "Sign in with …" for a provider, and if not, what the
operator is missing."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import AuthMethod, Localized, Quirk
from app.providers.oauth2_record import RecordOAuth2, SignInClient
from app.providers.schema import ProviderRecord
from app.settings import Settings


@dataclass(frozen=True)
class SignInOffer:
    """``missing`` names the settings the operator must set first (empty: ready);
    ``only_way`` says the provider takes no password from mail apps at all."""

    provider_id: str
    name: Localized
    client: SignInClient
    oauth: RecordOAuth2
    missing: tuple[str, ...]
    only_way: bool

    @property
    def ready(self) -> bool:
        return not self.missing


def offer_for(record: ProviderRecord | None, settings: Settings) -> SignInOffer | None:
    """The offer for ``record`` (a curated provider file), or None when it has no sign-in."""
    if record is None or record.oauth2 is None or record.oauth2.sign_in is None:
        return None
    oauth, client = record.oauth2, record.oauth2.sign_in
    missing = []
    registration = settings.oauth.registration(client.value)
    if registration is None:
        missing.append(client.env_prefix + "CLIENT_ID")
    elif oauth.client_secret and registration.secret is None:
        missing.append(client.env_prefix + "CLIENT_SECRET")
    if settings.public_url is None:
        missing.append("MAILSETUP_PUBLIC_URL")  # the redirect URI is derived from it
    passwords = any(m.is_password for s in record.servers for m in s.auth)
    only_way = Quirk.OAUTH2_ONLY in record.quirks or not passwords
    return SignInOffer(
        provider_id=record.id,
        name=record.name,
        client=client,
        oauth=oauth,
        missing=tuple(missing),
        only_way=only_way and any(AuthMethod.OAUTH2 in s.auth for s in record.servers),
    )
