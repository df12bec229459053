"""The JSON API under ``/api/v1``: providers and lookup."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict

from app.discovery.service import DiscoveryFinding, NotDiscovered, typo_suggestions
from app.discovery.service import lookup as discover_lookup
from app.errors import InvalidAddress
from app.models import Confidence, EmailAddress, Localized, Protocol, Status
from app.providers.lookup import LookupAnswer
from app.providers.schema import ProviderRecord
from app.web.http.deps import DBDep, DiscovererDep
from app.web.http.throttle import DiscoveryLimit

router = APIRouter(prefix="/api/v1", tags=["api"])

CACHE_PUBLIC = "public, max-age=300"


class ProviderSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: Localized
    domains: tuple[str, ...]
    country: str
    status: Status
    confidence: Confidence
    protocols: tuple[Protocol, ...]
    last_verified: dt.date

    @classmethod
    def of(cls, rec: ProviderRecord) -> ProviderSummary:
        protocols = tuple(p for p in Protocol if any(s.protocol is p for s in rec.servers))
        return cls(
            id=rec.id,
            name=rec.name,
            domains=rec.domains,
            country=rec.country,
            status=rec.status,
            confidence=rec.confidence,
            protocols=protocols,
            last_verified=rec.last_verified,
        )


class ProviderPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ProviderSummary]


@router.get("/providers", response_model=ProviderPage)
def list_providers(
    db: DBDep,
    response: Response,
    q: Annotated[str, Query(max_length=200, description="Name or domain, any language.")] = "",
    protocol: Protocol | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Status | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProviderPage:
    """Search providers by name (English, 简体中文, 繁體中文) or domain, with filters."""
    found = db.search(q, protocol=protocol, country=country, status=status)
    start = (page - 1) * per_page
    response.headers["Cache-Control"] = CACHE_PUBLIC
    return ProviderPage(
        total=len(found),
        page=page,
        per_page=per_page,
        items=[ProviderSummary.of(r) for r in found[start : start + per_page]],
    )


@router.get("/providers/{provider_id}")
def get_provider(provider_id: str, db: DBDep, response: Response) -> dict[str, Any]:
    """One provider record, with its sources, confidence and last-verified date."""
    record = db.get(provider_id.lower())
    if record is None:
        raise HTTPException(404, f"no provider with id {provider_id!r}; see /api/v1/providers")
    response.headers["Cache-Control"] = CACHE_PUBLIC
    return record.model_dump(mode="json", by_alias=True)


def not_found_message(exc: NotDiscovered) -> str:
    """What to tell a person when no source had settings for the domain."""
    domain = exc.discovery.domain
    if DiscoveryFinding.DOMAIN_NOT_FOUND in exc.discovery.findings:
        return f"{domain} does not exist in DNS. Check the spelling of the address."
    return (
        f"No mail settings found for {domain}: it is not in the provider database, and its "
        "autoconfig, ISPDB, MX and SRV records gave nothing, nor did any guessed server answer. "
        "If it is a company or school domain, ask its mail administrator for the IMAP and SMTP "
        "servers."
    )


@router.get(
    "/lookup",
    response_model=LookupAnswer,
    responses={
        404: {
            "description": (
                "No source has settings for the domain. `detail` holds `message`, `findings`, "
                "`trace` and `suggestions`: up to 3 known domains the domain may be a typo of "
                "(`gmail.com` for `gmial.com`), likeliest first, given only when the domain "
                "does not exist in DNS (finding `domain-not-found`), else empty."
            )
        },
        422: {},
    },
    dependencies=[DiscoveryLimit],
)
async def lookup(
    discoverer: DiscovererDep,
    response: Response,
    email: Annotated[str | None, Query(max_length=320)] = None,
    domain: Annotated[str | None, Query(max_length=253)] = None,
) -> LookupAnswer:
    """Settings for an address (usernames filled in) or a domain (templates kept).

    The database answers known domains at once; other domains go through
    discovery, and the answer carries its trace. For a domain that does not exist,
    the 404's `detail.suggestions` names the known domains it may be a typo of.
    """
    if email is None and domain is None:
        raise HTTPException(422, "give ?email=someone@example.com or ?domain=example.com")
    try:
        if email is not None:
            EmailAddress.parse(email)  # an email must be an address, not a bare domain
        answer = await discover_lookup(discoverer, email if email is not None else domain or "")
    except InvalidAddress as exc:
        raise HTTPException(422, str(exc)) from exc
    except NotDiscovered as exc:
        detail = {
            "message": not_found_message(exc),
            "findings": list(exc.discovery.findings),
            "trace": [a.model_dump(mode="json") for a in exc.discovery.trace],
            "suggestions": typo_suggestions(exc.discovery, discoverer.db),
        }
        raise HTTPException(404, detail) from exc
    response.headers["Cache-Control"] = CACHE_PUBLIC
    return answer
