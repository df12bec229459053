"""For domain owners: the DNS records that lead mail clients to their servers, each
checked in DNS, the autoconfig document and a provider file, for any domain.

The records pointing at this service use MAILSETUP_PUBLIC_URL, or the request's origin
when it is unset (:mod:`app.web.http.origin`), and are left out when the internet
cannot reach that host. The work is in :mod:`app.web.routes.owner_check`.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from app.documents.dns_records import CheckStatus, RecordCheck, render_zone
from app.errors import InvalidAddress
from app.hostnames import normalize_domain
from app.i18n import N_
from app.web.http.deps import StateDep
from app.web.http.i18n import current_lang, translations
from app.web.http.origin import public_origin
from app.web.http.templating import render
from app.web.http.throttle import DiscoveryLimit, limit_discovery
from app.web.routes.owner_check import (
    MxStatus,
    OwnerView,
    ServerProblem,
    ServersFrom,
    check_domain,
    choose_servers,
    documents_for,
    server_line,
    today,
)

router = APIRouter()

BAD_DOMAIN = N_(
    "This is not a domain name. Type the part of your address after the @, such as example.com."
)
TOML_TYPE = "application/toml"


class RecordOut(BaseModel):
    """One record to publish and what DNS holds for it now."""

    name: str
    type: str
    value: str = Field(description="The record's data as a zone file writes it.")
    purpose: str
    priority: int | None = None
    weight: int | None = None
    port: int | None = None
    target: str | None = None
    status: CheckStatus = Field(
        description="present; missing (the name has no such record); different (records "
        "with other values, in found); unchecked (the lookup failed, which says nothing "
        "about the record)."
    )
    found: list[str] = Field(
        description="What DNS holds for the name and type (empty when missing or unchecked)."
    )
    detail: str = Field("", description="Why the lookup failed, when unchecked.")


class MxHost(BaseModel):
    preference: int
    host: str


class MxOut(BaseModel):
    status: MxStatus = Field(description="no-domain: the domain does not exist (NXDOMAIN).")
    hosts: list[MxHost]


class DomainRecords(BaseModel):
    """The records a domain publishes, each checked, its MX records and its servers."""

    domain: str
    servers_from: ServersFrom = Field(
        description="database, entered (the server parameters), discovery (found for this "
        "domain earlier), or none (no SRV records until servers are given)."
    )
    servers: list[str] = Field(description="protocol:host:port:security of each server used.")
    reachable: bool = Field(
        description="Whether the internet can reach this service's host; if not (loopback, "
        "private, link-local or a local-only name), the autoconfig and Autodiscover records "
        "pointing at it are left out."
    )
    records: list[RecordOut]
    mx: MxOut
    zone: str = Field(description="The records as zone-file lines, each after its purpose.")


def _record(check: RecordCheck) -> RecordOut:
    r = check.expected
    return RecordOut(
        name=r.name,
        type=r.type,
        value=r.value,
        purpose=r.purpose,
        priority=r.priority,
        weight=r.weight,
        port=r.port,
        target=r.target,
        status=check.status,
        found=list(check.found),
        detail=check.detail,
    )


@router.get(
    "/api/v1/domains/{domain}/records",
    tags=["api"],
    response_model=DomainRecords,
    responses={422: {"description": "Not a domain name, or a server that cannot be used"}},
    dependencies=[DiscoveryLimit],
)
async def domain_records(
    request: Request,
    domain: str,
    state: StateDep,
    server: Annotated[
        list[str] | None,
        Query(description="A server, protocol:host:port:security (imap:mail.example.com:993:tls)"),
    ] = None,
) -> DomainRecords:
    """The DNS records any valid domain publishes so mail clients find its servers, each
    looked up in DNS now, and the domain's MX records.

    Servers come from the provider database when it lists the domain, else from the
    ``server`` parameters (at most 8), else from what discovery found for the domain
    earlier; without any, only the records pointing at this service are given. Each
    record's ``status`` is present, missing, different (see ``found``) or unchecked
    (the lookup failed: nothing is known about the record). A 422 answers a string
    that is not a domain name, or names a bad server by its line, counting the lines of
    all ``server`` parameters in order ("Line 2 ...").
    """
    try:
        name = normalize_domain(domain)
        lines = [line for text in server or () for line in text.splitlines()]
        view = await check_domain(state, name, lines, public_origin(request))
    except (InvalidAddress, ServerProblem) as exc:
        raise HTTPException(422, str(exc)) from exc
    return DomainRecords(
        domain=view.domain,
        servers_from=view.servers.source,
        servers=[server_line(e) for e in view.servers.endpoints],
        reachable=view.public_host is not None,
        records=[_record(c) for c in view.checks],
        mx=MxOut(
            status=view.mx.status,
            hosts=[MxHost(preference=p, host=h) for p, h in view.mx.hosts],
        ),
        zone=view.zone,
    )


def _lines(view: OwnerView) -> str:
    return "\n".join(server_line(e) for e in view.servers.endpoints)


def download_url(view: OwnerView) -> str:
    """The provider file's download, with the servers it is built from."""
    query = urlencode({"servers": _lines(view)}, quote_via=quote)
    return f"/domains/{quote(view.domain)}/provider.toml?{query}"


@router.get("/domains", response_class=HTMLResponse, include_in_schema=False)
async def domains_page(
    request: Request,
    state: StateDep,
    domain: Annotated[str, Query(max_length=253)] = "",
    servers: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """A form (the domain, and its servers), then the records with their checks, the
    domain's MX records, the autoconfig document and the provider file."""
    gettext = translations(current_lang.get()).gettext
    public_url = public_origin(request)
    context: dict[str, object] = {"domain": domain, "servers": servers, "view": None}
    status = 200
    if domain.strip():
        await limit_discovery(request, state)
        try:
            name = normalize_domain(domain)
            view = await check_domain(state, name, servers.splitlines(), public_url)
        except InvalidAddress:
            context["error"], status = gettext(BAD_DOMAIN), 422
        except ServerProblem as exc:
            context["server_error"], status = gettext(exc.message) % exc.values, 422
        else:
            zone = render_zone([c.expected for c in view.checks], describe=gettext)
            context.update(view=view, domain=view.domain, zone=zone if view.zone else "")
            context["ignored"] = view.servers.source is ServersFrom.DATABASE and bool(
                servers.strip()
            )
            if view.servers.source is ServersFrom.DISCOVERY:
                context["servers"] = _lines(view)
            if view.documents.provider_toml is not None:
                context["download_url"] = download_url(view)
            if view.documents.serves_autoconfig:
                context["autoconfig_url"] = "/v1.1/" + quote(view.domain)
    context["public_url"] = public_url
    return render(request, "domains.html", context, status_code=status)


@router.get("/domains/{domain}/provider.toml", include_in_schema=False)
async def provider_download(
    domain: str, state: StateDep, servers: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    """The provider file of ``domain`` with ``servers`` (one per line), as a download."""
    try:
        name = normalize_domain(domain)
        chosen = await choose_servers(state, name, servers.splitlines())
    except (InvalidAddress, ServerProblem) as exc:
        raise HTTPException(422, str(exc)) from exc
    if chosen.source is ServersFrom.DATABASE:
        raise HTTPException(409, f"the provider database already lists {name}")
    documents = documents_for(name, chosen, today())
    if documents.provider_toml is None:
        needs = " and ".join(documents.missing) or "incoming and outgoing"
        raise HTTPException(422, f"a provider file needs {needs} servers")
    disposition = f'attachment; filename="{name}.toml"'
    return Response(
        documents.provider_toml,
        media_type=TOML_TYPE,
        headers={"Content-Disposition": disposition},
    )
