"""The operator's OAuth2 client registrations, one per sign-in provider, read from
``MAILSETUP_OAUTH_<PROVIDER>_CLIENT_ID`` and ``…_CLIENT_SECRET``. Without one, the
tester offers no "Sign in with …" for that provider and says what to register."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class Registration:
    """One provider's client: its id, and its secret when the operator set one."""

    client_id: str
    secret: SecretStr | None = None


class OAuthClients(BaseSettings):
    """``MAILSETUP_OAUTH_MICROSOFT_CLIENT_ID`` and the like; ``microsoft_cn`` is Microsoft
    365 operated by 21Vianet, a cloud of its own with its own registrations."""

    model_config = SettingsConfigDict(env_prefix="MAILSETUP_OAUTH_", frozen=True, extra="ignore")

    microsoft_client_id: str | None = None
    microsoft_client_secret: SecretStr | None = None
    microsoft_cn_client_id: str | None = None
    microsoft_cn_client_secret: SecretStr | None = None
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    yahoo_client_id: str | None = None
    yahoo_client_secret: SecretStr | None = None
    aol_client_id: str | None = None
    aol_client_secret: SecretStr | None = None

    def registration(self, provider: str) -> Registration | None:
        """``provider``'s registration (``microsoft``, ``microsoft-cn`` …), if set."""
        key = provider.replace("-", "_")
        client_id = getattr(self, f"{key}_client_id", None)
        if not client_id:
            return None
        secret: SecretStr | None = getattr(self, f"{key}_client_secret", None)
        return Registration(client_id.strip(), secret)
