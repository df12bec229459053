"""Service settings, read from ``MAILSETUP_*`` environment variables.

Nothing is read at import: :func:`get_settings` builds them on first use, and the
web layer reaches them through a dependency (``app.web.http.deps``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.errors import ConfigError
from app.oauth_clients import OAuthClients

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _rate_limit(value: str) -> str:
    """A ``limits`` expression such as ``10/minute`` or ``5/minute;30/hour``."""
    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a rate limit like 10/minute or 5/minute;30/hour"
        ) from exc
    return value


RateLimit = Annotated[str, AfterValidator(_rate_limit)]


def parse_ports(text: str) -> frozenset[int]:
    """``10110,10143,20000-21999`` as the set of ports it names."""
    ports: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not (low.strip().isdigit() and (not dash or high.strip().isdigit())):
            raise ValueError(f"{part!r} is not a port or a range such as 20000-21999")
        first, last = int(low), int(high) if dash else int(low)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"{part!r} is not within 1-65535, low to high")
        ports.update(range(first, last + 1))
    return frozenset(ports)


class Settings(BaseSettings):
    """Everything an operator can set. Environment names are ``MAILSETUP_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="MAILSETUP_", frozen=True, extra="ignore")

    data_dir: Path | None = Field(
        default=None, description="Provider data folder; the embedded data/ when unset."
    )
    public_url: str | None = Field(
        default=None,
        description="The service's public base URL (https://host[:port]) for links, QR codes, "
        "documents and DNS records; when unset, each request's own origin as the trusted "
        "proxies report it.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    probe_allow_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs the probes may reach despite the SSRF guard; "
        "widens the address ranges only, never the ports.",
    )
    probe_allow_ports: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(),
        description="Ports and ranges (10110,20000-21999) probes may use besides the mail "
        "ports 25, 110, 143, 465, 587, 993, 995 and 2525.",
    )
    discovery_allow_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs discovery's HTTP fetches may reach despite the "
        "SSRF guard.",
    )
    discovery_allow_ports: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(),
        description="Ports and ranges discovery's HTTP fetches may use besides 80 and 443.",
    )
    probe_deadline: float = Field(default=20.0, gt=0, le=300)
    probe_concurrency: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Probes (one per server) that run at once in a process; more wait their "
        "turn, so TLS handshakes never stall the event loop for other requests. One client "
        "holds at most a quarter of them (at least the 8 servers of one test).",
    )
    probe_tls_sniff_after: float = Field(
        default=1.5,
        gt=0,
        description="Seconds a plain or STARTTLS port may stay silent before the tester "
        "tries a TLS handshake on a second connection, to tell a TLS port from a late greeting.",
    )
    probe_ca_file: Path | None = None
    organization: str = Field(
        default="mailsetup", max_length=100, description="Named in Apple profiles."
    )
    profile_signing_cert: Path | None = Field(
        default=None, description="PEM certificate that signs Apple profiles (with the key)."
    )
    profile_signing_key: Path | None = None
    profile_signing_chain: Path | None = Field(
        default=None, description="PEM intermediates sent with the signature."
    )
    dns_servers: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated nameservers (host or host:port); the system's when empty.",
    )
    dns_timeout: float = Field(default=3.0, gt=0, le=30)
    ispdb_url: str = Field(
        default="https://autoconfig.thunderbird.net/v1.1/",
        description="ISPDB base URL; a request is this URL plus the domain. Trusted.",
    )
    discovery_deadline: float = Field(default=8.0, gt=0, le=60)
    discovery_cache_ttl: float = Field(default=3600.0, ge=0)
    discovery_negative_ttl: float = Field(default=60.0, ge=0)

    # Production hardening: shared state, rate limits, proxies, requests, logs, metrics.
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL shared by every instance (rate limits, discovery cache); "
        "in memory when unset.",
    )
    rate_limits: bool = Field(default=True, description="off turns every rate limit off.")
    rate_limit_test: RateLimit = Field(
        default="10/minute", description="Servers tested per client (each server is a test)."
    )
    rate_limit_test_account: RateLimit = Field(
        default="5/minute;30/hour", description="Live tests per email address."
    )
    rate_limit_test_host: RateLimit = Field(
        default="600/minute",
        description="Servers tested per target (registrable domain or network), all clients "
        "together: a ceiling that keeps the provider from flagging this service.",
    )
    rate_limit_test_client_host: RateLimit = Field(
        default="20/minute", description="Servers tested per client and target."
    )
    rate_limit_auth_failure: RateLimit = Field(
        default="5/15 minutes",
        description="Logins a server refused (auth-failed), per login name and target.",
    )
    rate_limit_discovery: RateLimit = Field(
        default="60/minute", description="Lookups, setup pages and profiles per client."
    )
    rate_limit_discovery_domain: RateLimit = Field(
        default="20/minute",
        description="Discoveries that leave this machine, per client and registrable domain.",
    )
    rate_limit_discovery_domain_all: RateLimit = Field(
        default="200/minute",
        description="Discoveries that leave this machine, per registrable domain, all clients "
        "together.",
    )
    trusted_proxies: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs of reverse proxies whose forwarding headers count.",
    )
    proxy_header: Literal["x-forwarded-for", "forwarded"] = Field(
        default="x-forwarded-for", description="The header the trusted proxies write."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Signs CSRF tokens and keys the rate limits (HMAC); random per process "
        "when unset. Required with redis_url: every instance must use the same.",
    )
    max_body_bytes: int = Field(default=65_536, ge=1024, le=16 * 1024 * 1024)
    log_format: Literal["text", "json"] = "text"
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    oauth: OAuthClients = Field(
        default_factory=OAuthClients,
        description="Client registrations for the tester's sign-in: MAILSETUP_OAUTH_<PROVIDER>_"
        "CLIENT_ID and _CLIENT_SECRET (app.oauth_clients).",
    )

    @field_validator(
        "probe_allow_networks", "discovery_allow_networks", "trusted_proxies", mode="before"
    )
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",")]
            return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)
        return value

    @field_validator("probe_allow_ports", "discovery_allow_ports", mode="before")
    @classmethod
    def _split_ports(cls, value: object) -> object:
        return parse_ports(value) if isinstance(value, str) else value

    @field_validator("dns_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url", "ispdb_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not urlsplit(value).hostname:
            raise ValueError("must name a host, as in https://mail-setup.example.com")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built from the environment on first call."""
    return Settings()


def check_settings(settings: Settings) -> None:
    """Raise :class:`ConfigError` for settings the service must not start with."""
    if settings.redis_url and settings.secret_key is None:
        raise ConfigError(
            "MAILSETUP_SECRET_KEY must be set when MAILSETUP_REDIS_URL is: every instance "
            "keys the shared rate limits and signs CSRF tokens with it, so all must use the "
            "same long random string"
        )
