"""Mozilla autoconfig routes, as Thunderbird, K-9 and ISPDB clients request them.

Without ``emailaddress`` (K-9 and KMail often send none) the domain comes from
the ``Host`` header: ``autoconfig.example.com:8443`` means ``example.com``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse

from app.documents.mozilla import CONTENT_TYPE
from app.errors import InvalidAddress, UnknownDomain
from app.hostnames import normalize_domain
from app.models import Status
from app.web.deps import StateDep
from app.web.state import AppState

router = APIRouter(tags=["autoconfig"])

CACHE_CONTROL = "public, max-age=3600"


def _domain_from_host(host: str) -> str:
    if host.startswith("["):
        raise InvalidAddress("the Host header is an IP address, not a mail domain")
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = normalize_domain(name)
    return name.removeprefix("autoconfig.")


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _autoconfig(state: AppState, domain: str, if_none_match: str | None) -> Response:
    try:
        config = state.db.config_for(domain)
    except UnknownDomain as exc:
        return PlainTextResponse(f"No autoconfig for {exc.domain}.\n", status_code=404)
    if config.status is Status.RETIRED:
        reason = config.status_reason.en if config.status_reason else "retired"
        return PlainTextResponse(f"{domain} no longer offers mail: {reason}\n", status_code=404)
    doc = state.autoconfig(config)
    headers = {"ETag": doc.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Host"}
    if _etag_matches(if_none_match, doc.etag):
        return Response(status_code=304, headers=headers)
    return Response(doc.body, media_type=CONTENT_TYPE, headers=headers)


def _bad_request(exc: InvalidAddress) -> Response:
    return PlainTextResponse(f"{exc}\n", status_code=400)


@router.get("/mail/config-v1.1.xml", response_class=Response)
@router.get("/.well-known/autoconfig/mail/config-v1.1.xml", response_class=Response)
async def autoconfig(
    request: Request,
    state: StateDep,
    emailaddress: Annotated[str | None, Query(max_length=320)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """Autoconfig for the address's domain, or for the Host header's domain."""
    try:
        if emailaddress and "@" in emailaddress:
            domain = normalize_domain(emailaddress.rpartition("@")[2])
        else:
            domain = _domain_from_host(request.headers.get("host", ""))
    except InvalidAddress as exc:
        return _bad_request(exc)
    return _autoconfig(state, domain, if_none_match)


@router.get("/v1.1/{domain}", response_class=Response)
async def ispdb(
    domain: str,
    state: StateDep,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """The same document at an ISPDB-compatible path."""
    try:
        name = normalize_domain(domain)
    except InvalidAddress as exc:
        return _bad_request(exc)
    return _autoconfig(state, name, if_none_match)
