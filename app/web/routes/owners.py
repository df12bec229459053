"""For domain owners: the DNS records that point clients at this instance, and a check.

The records' targets come from MAILSETUP_PUBLIC_URL, or from the request's origin
when it is unset (:mod:`app.web.http.origin`); the check looks each one up through
discovery's resolver and says present, missing or different. The page links the
autoconfig document those records lead Thunderbird to.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from app.discovery.service import DnsClient
from app.documents.dns_records import RecordCheck, compare, records_for, render_zone
from app.errors import InvalidAddress, UnknownDomain
from app.hostnames import normalize_domain
from app.models import Status
from app.web.http.deps import StateDep
from app.web.http.origin import public_origin
from app.web.http.state import AppState
from app.web.http.templating import render

router = APIRouter()


@dataclass(frozen=True)
class Checked:
    """The records of one domain, checked, and whether it has an autoconfig document."""

    domain: str
    checks: list[RecordCheck]
    zone: str
    serves_autoconfig: bool


async def check_records(state: AppState, domain: str, public_url: str) -> Checked:
    """The records a domain in the database publishes for ``public_url``, checked in
    DNS; raise UnknownDomain."""
    config = state.db.config_for(domain)
    expected = records_for(config.domain, config, public_url)
    dns: DnsClient = state.discoverer.dns
    keys = sorted({(r.name, r.type) for r in expected})
    answers = await asyncio.gather(*(dns.values(name, rtype) for name, rtype in keys))
    found = {key: answer.records for key, answer in zip(keys, answers, strict=True)}
    serves = config.status is not Status.RETIRED
    return Checked(config.domain, compare(expected, found), render_zone(expected), serves)


def _check_json(check: RecordCheck) -> dict[str, Any]:
    return {**asdict(check.expected), "status": check.status.value, "found": list(check.found)}


@router.get("/api/v1/domains/{domain}/records", tags=["api"])
async def domain_records(request: Request, domain: str, state: StateDep) -> dict[str, Any]:
    """The records to publish for ``domain`` and whether each is already in DNS."""
    try:
        found = await check_records(state, normalize_domain(domain), public_origin(request))
    except InvalidAddress as exc:
        raise HTTPException(422, str(exc)) from exc
    except UnknownDomain as exc:
        raise HTTPException(
            404,
            f"{exc.domain} is not served by this instance: add a provider file for it in "
            "data/providers/ first.",
        ) from exc
    records = [_check_json(c) for c in found.checks]
    return {"domain": found.domain, "records": records, "zone": found.zone}


@router.get("/domains", response_class=HTMLResponse, include_in_schema=False)
async def domains_page(
    request: Request,
    state: StateDep,
    domain: Annotated[str, Query(max_length=253)] = "",
) -> HTMLResponse:
    """A form, then the records for the domain with their status."""
    public_url = public_origin(request)
    context: dict[str, Any] = {"domain": domain, "checks": None, "error": None, "unknown": None}
    status = 200
    if domain:
        try:
            found = await check_records(state, normalize_domain(domain), public_url)
            context.update(domain=found.domain, checks=found.checks, zone=found.zone)
            if found.serves_autoconfig:
                context["autoconfig_url"] = "/v1.1/" + quote(found.domain)
        except InvalidAddress as exc:
            context["error"], status = str(exc), 422
        except UnknownDomain as exc:
            context["unknown"], status = exc.domain, 404
    context["public_url"] = public_url
    return render(request, "domains.html", context, status_code=status)
