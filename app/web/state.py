"""What the running app holds: settings, the provider database, rendered documents,
and the shared-state clients (rate limiter, Redis) and the CSRF signer."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from app.discovery.pipeline import Discoverer
from app.documents.autodiscover import ResponseTemplate
from app.documents.mozilla import render_autoconfig
from app.models import AccountConfig, Source
from app.providers.db import ProviderDB
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.web.security import CsrfSigner


@dataclass(frozen=True)
class Rendered:
    """A rendered document with its strong ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@dataclass
class AppState:
    settings: Settings
    db: ProviderDB
    discoverer: Discoverer
    signer: Callable[[bytes], bytes] | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter({}, enabled=False))
    redis: aioredis.Redis | None = None  # set when MAILSETUP_REDIS_URL is
    csrf: CsrfSigner = field(default_factory=lambda: CsrfSigner(secrets.token_bytes(32)))
    _autoconfig: dict[tuple[str | None, str | None], Rendered] = field(default_factory=dict)
    _autodiscover: dict[tuple[str | None, str | None], ResponseTemplate] = field(
        default_factory=dict
    )

    def autoconfig(self, config: AccountConfig) -> Rendered:
        """The autoconfig document for ``config``, rendered once per provider.

        A provider that lists its domains renders the same document for all of
        them; one known only by MX (domains empty) names the asked domain.
        """
        key = (config.provider_id, None if config.domains else config.domain)
        found = self._autoconfig.get(key)
        if found is None:
            found = self._autoconfig[key] = Rendered.of(render_autoconfig(config))
        return found

    def autodiscover(self, config: AccountConfig) -> ResponseTemplate:
        """The Autodiscover response template for ``config``: made once per provider
        for the database's configs; discovered ones may change, so they are not kept."""
        if config.source is not Source.DATABASE:
            return ResponseTemplate.of(config)
        key = (config.provider_id, None if config.domains else config.domain)
        found = self._autodiscover.get(key)
        if found is None:
            found = self._autodiscover[key] = ResponseTemplate.of(config)
        return found
