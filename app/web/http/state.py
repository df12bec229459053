"""What the running app holds: settings, the provider database, rendered documents,
and the shared-state clients (rate limiter, login leases, Redis) and the CSRF signer."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from starlette.responses import Response

from app.discovery.service import Discoverer
from app.documents.autodiscover import ResponseTemplate
from app.documents.mozilla import CONTENT_TYPE as AUTOCONFIG_TYPE
from app.documents.mozilla import render_autoconfig
from app.leases import Leases
from app.models import AccountConfig, Source
from app.providers.db import ProviderDB
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.signin import Sealer
from app.web.http.lean import PreparedResponse
from app.web.http.security import CsrfSigner

# Autoconfig documents are the same for an hour; Host may name the domain (no address).
AUTOCONFIG_HEADERS = {"Cache-Control": "public, max-age=3600", "Vary": "Host"}


@dataclass(frozen=True)
class Rendered:
    """A rendered document with its strong ETag, and its 200 response's headers
    (``media_type`` and ``extra``, with the ETag and length) encoded once."""

    body: bytes
    etag: str
    headers: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def of(cls, body: bytes, media_type: str, extra: Mapping[str, str]) -> Rendered:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        fields = {"content-type": media_type, "content-length": str(len(body)), "etag": etag}
        fields.update({k.lower(): v for k, v in extra.items()})
        headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in fields.items())
        return cls(body, etag, headers)

    def response(self) -> Response:
        """The 200 response, without encoding its headers again."""
        return PreparedResponse(self.body, self.headers)


def _document_key(config: AccountConfig) -> tuple[str | None, str | None]:
    """A provider that lists its domains has one document for all of them; one known
    only by MX (domains empty) names the asked domain in its document."""
    return config.provider_id, None if config.domains else config.domain


@dataclass
class AppState:
    settings: Settings
    db: ProviderDB
    discoverer: Discoverer
    signer: Callable[[bytes], bytes] | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter({}, enabled=False))
    leases: Leases = field(default_factory=lambda: Leases(enabled=False))
    redis: aioredis.Redis | None = None  # set when MAILSETUP_REDIS_URL is
    csrf: CsrfSigner = field(default_factory=lambda: CsrfSigner(secrets.token_bytes(32)))
    sealer: Sealer = field(default_factory=lambda: Sealer(secrets.token_bytes(32)))
    _autoconfig: dict[tuple[str | None, str | None], Rendered] = field(default_factory=dict)
    _autodiscover: dict[tuple[str | None, str | None], ResponseTemplate] = field(
        default_factory=dict
    )

    def autoconfig(self, config: AccountConfig) -> Rendered:
        """The autoconfig document for ``config``, rendered once per provider.

        A provider that lists its domains renders the same document for all of
        them; one known only by MX (domains empty) names the asked domain.
        """
        key = _document_key(config)
        found = self._autoconfig.get(key)
        if found is None:
            body = render_autoconfig(config)
            found = self._autoconfig[key] = Rendered.of(body, AUTOCONFIG_TYPE, AUTOCONFIG_HEADERS)
        return found

    def autodiscover(self, config: AccountConfig) -> ResponseTemplate:
        """The Autodiscover response template for ``config``: made once per provider
        for the database's configs; discovered ones may change, so they are not kept."""
        if config.source is not Source.DATABASE:
            return ResponseTemplate.of(config)
        key = _document_key(config)
        found = self._autodiscover.get(key)
        if found is None:
            found = self._autodiscover[key] = ResponseTemplate.of(config)
        return found
