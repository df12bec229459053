"""Service settings, read from ``MAILSETUP_*`` environment variables.

Nothing is read at import: :func:`get_settings` builds them on first use, and the
web layer reaches them through a dependency (``app.web.deps``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    """Everything an operator can set. Environment names are ``MAILSETUP_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="MAILSETUP_", frozen=True, extra="ignore")

    data_dir: Path | None = Field(
        default=None, description="Provider data folder; the embedded data/ when unset."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The service's public base URL, used in documents and DNS records.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    probe_allow_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs the probes may reach despite the SSRF guard.",
    )
    probe_deadline: float = Field(default=20.0, gt=0, le=300)
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

    @field_validator("probe_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",")]
            return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)
        return value

    @field_validator("dns_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("public_url", "ispdb_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built from the environment on first call."""
    return Settings()
