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

    @field_validator("probe_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",")]
            return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built from the environment on first call."""
    return Settings()
