"""Routes that hand configuration to clients: Microsoft Autodiscover and Apple profiles.

Both answer for known and discovered domains. Autodiscover protocol errors come
back as well-formed Autodiscover error documents; HTTP-level problems (wrong
content type, too large a body) get their 4xx status with the same document.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import TypeAdapter

from app.discovery.service import Discoverer
from app.documents import autodiscover as ad
from app.documents import mobileconfig
from app.documents.instructions import CLIENTS, Guide, GuideUnavailable, build_guide
from app.documents.signing import sign_profile
from app.errors import InvalidAddress
from app.models import AccountConfig, EmailAddress
from app.settings import Settings
from app.web.http.deps import DiscovererDep, StateDep, state_of
from app.web.http.lean import LeanRoute, PreparedResponse
from app.web.http.origin import public_origin
from app.web.http.templating import current_lang, translations
from app.web.http.throttle import DiscoveryLimit, limit_discovery

router = APIRouter(tags=["client configuration"])

XML_TYPES = ("text/xml", "application/xml")


async def _config_for(discoverer: Discoverer, address: EmailAddress) -> AccountConfig | None:
    found = await discoverer.discover(address.domain, address.address)
    config = found.config
    if config is None or not config.status.has_servers or not config.endpoints:
        return None
    return config


_XML_TYPE = (b"content-type", ad.CONTENT_TYPE.encode())


def _xml(body: bytes, status: int = 200) -> Response:
    length = (b"content-length", str(len(body)).encode())
    return PreparedResponse(body, (_XML_TYPE, length), status)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        # The server reads no more than the declared length.
        return None if int(declared) > limit else await request.body()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


async def autodiscover(request: Request) -> Response:
    """Outlook's POX Autodiscover (the path matches in any letter case)."""
    state = state_of(request)  # a lean route (app.web.http.lean): no FastAPI dependencies
    await limit_discovery(request, state)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in XML_TYPES:
        message = "Send the request as text/xml or application/xml."
        return _xml(ad.render_error(ad.ERROR_INVALID_REQUEST, message), 415)
    body = await _read_capped(request, ad.MAX_REQUEST_BYTES)
    if body is None:
        message = f"The request is larger than {ad.MAX_REQUEST_BYTES} bytes."
        return _xml(ad.render_error(ad.ERROR_INVALID_REQUEST, message), 413)
    try:
        parsed = ad.parse_request(body)
    except ad.UnsupportedSchema as exc:  # incl. mobilesync: we offer no ActiveSync
        return _xml(ad.render_request_error(exc))
    except ad.AutodiscoverError as exc:
        return _xml(ad.render_request_error(exc), 400)
    config = await _config_for(state.discoverer, parsed.address)
    if config is None:
        message = f"No mail settings are known for {parsed.address.domain}."
        return _xml(ad.render_error(ad.ERROR_ADDRESS_NOT_FOUND, message))
    return _xml(state.autodiscover(config).render(parsed.address))


# For the app's own router, ahead of the included routers (see app.main).
LEAN_ROUTES = [
    LeanRoute(
        "/autodiscover/autodiscover.xml",
        autodiscover,
        methods=["POST"],
        operation={"tags": ["client configuration"]},
    )
]


def _v2(protocol: str | None, request: Request) -> JSONResponse:
    status, body = ad.autodiscover_v2(protocol or "", public_origin(request))
    return JSONResponse(body, status_code=status)


@router.get("/autodiscover/autodiscover.json")
def autodiscover_v2(
    request: Request,
    Protocol: str | None = None,  # noqa: N803
) -> JSONResponse:
    """Autodiscover v2: where the v1 (POX) endpoint is, under MAILSETUP_PUBLIC_URL or the
    request's origin."""
    return _v2(Protocol or request.query_params.get("protocol"), request)


@router.get("/autodiscover/autodiscover.json/v1.0/{email}")
def autodiscover_v2_path(
    request: Request,
    email: str,
    Protocol: str | None = None,  # noqa: N803
) -> JSONResponse:
    return _v2(Protocol or request.query_params.get("protocol"), request)


def _identifier_prefix(request: Request) -> str:
    host = urlsplit(public_origin(request)).hostname or "mailsetup.invalid"
    return ".".join(reversed(host.split("."))) + ".mailsetup"


_GUIDE_LIST = TypeAdapter(list[Guide])


@router.get("/api/v1/guides", tags=["api"], dependencies=[DiscoveryLimit])
async def guides(
    discoverer: DiscovererDep,
    email: Annotated[str, Query(max_length=320)],
    client: Annotated[str | None, Query(max_length=40, description=", ".join(CLIENTS))] = None,
    lang: Annotated[str, Query(pattern=r"^(en|zh-Hans|zh-Hant)$")] = "en",
) -> JSONResponse:
    """Step-by-step guides for one address: every client, or the one named."""
    if client is not None and client not in CLIENTS:
        raise HTTPException(422, f"unknown client {client!r}; use one of {', '.join(CLIENTS)}")
    try:
        address = EmailAddress.parse(email)
    except InvalidAddress as exc:
        raise HTTPException(422, str(exc)) from exc
    config = await _config_for(discoverer, address)
    if config is None:
        raise HTTPException(404, f"no mail settings are known for {address.domain}")
    gettext = translations(lang).gettext
    try:
        built = [
            build_guide(config, address, client_id, lang, gettext=gettext)
            for client_id in ([client] if client else list(CLIENTS))
        ]
    except GuideUnavailable as exc:
        raise HTTPException(409, str(exc)) from exc
    return JSONResponse(_GUIDE_LIST.dump_python(built, mode="json"))


def load_signer(settings: Settings) -> Callable[[bytes], bytes] | None:
    """The profile signer the operator configured, checked once at start-up."""
    if settings.profile_signing_cert is None or settings.profile_signing_key is None:
        return None
    cert = settings.profile_signing_cert.read_bytes()
    key = settings.profile_signing_key.read_bytes()
    chain = settings.profile_signing_chain.read_bytes() if settings.profile_signing_chain else None
    sign_profile(b"start-up check", cert, key, chain)  # raises SigningError when unusable
    return functools.partial(sign_profile, cert_pem=cert, key_pem=key, chain_pem=chain)


@router.get("/apple/mobileconfig", response_class=Response, dependencies=[DiscoveryLimit])
async def apple_profile(
    request: Request,
    state: StateDep,
    emailaddress: Annotated[str | None, Query(max_length=320)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Response:
    """An Apple configuration profile for one address (never with a password)."""
    try:
        address = EmailAddress.parse(emailaddress or email or "")
    except InvalidAddress as exc:
        return PlainTextResponse(f"{exc}\n", status_code=422)
    config = await _config_for(state.discoverer, address)
    if config is None:
        return PlainTextResponse(f"No mail settings for {address.domain}.\n", status_code=404)
    settings = state.settings
    lang = current_lang.get()
    try:
        profile = mobileconfig.render_profile(
            config,
            address,
            identifier_prefix=_identifier_prefix(request),
            organization=settings.organization,
            lang=lang,
            gettext=translations(lang).gettext,
        )
    except mobileconfig.ProfileUnavailable as exc:  # the setup page offers no link then
        text = exc.explain(lang, translations(lang).gettext)
        return PlainTextResponse(f"{text}\n", status_code=409)
    filename = mobileconfig.profile_filename(address)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-cache",
    }
    if state.signer is not None:
        profile = state.signer(profile)
    return Response(profile, media_type=mobileconfig.CONTENT_TYPE, headers=headers)
