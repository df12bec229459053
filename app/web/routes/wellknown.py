"""Mozilla autoconfig routes, as Thunderbird, K-9 and ISPDB clients request them.

Without ``emailaddress`` (K-9 and KMail often send none) the domain comes from
the ``Host`` header: ``autoconfig.example.com:8443`` means ``example.com``.
An unknown or retired domain gets a plain-text 404. A bad address, Host or domain,
or a parameter over its length, gets a 422 shaped as the API's: JSON with a
``detail``, through the app's exception handlers.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse

from app.errors import InvalidAddress, UnknownDomain
from app.hostnames import normalize_domain
from app.models import Status
from app.web.http.deps import StateDep, state_of
from app.web.http.lean import LeanRoute
from app.web.http.state import AUTOCONFIG_HEADERS, AppState

router = APIRouter(tags=["autoconfig"])

MAX_ADDRESS = 320
MAX_IF_NONE_MATCH = 1024
_NO_ADDRESS = "give ?emailaddress=someone@example.com"


def _domain_from_host(host: str) -> str:
    """The domain a Host header names, for a request without an address."""
    if host.startswith("["):
        raise InvalidAddress(f"{_NO_ADDRESS}; the Host header is an IP address, not a mail domain")
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    try:
        name = normalize_domain(name)
    except InvalidAddress as exc:
        raise InvalidAddress(f"{_NO_ADDRESS}; the Host header names no mail domain: {exc}") from exc
    return name.removeprefix("autoconfig.")


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _autoconfig(state: AppState, domain: str, if_none_match: str | None) -> Response:
    try:
        config = state.db.config_for(domain, normalized=True)
    except UnknownDomain as exc:
        return PlainTextResponse(f"No autoconfig for {exc.domain}.\n", status_code=404)
    if not config.status.has_servers:
        reason = config.status_reason.en if config.status_reason else config.status.value
        gone = (
            "no longer offers mail"
            if config.status is Status.RETIRED
            else "has no server for mail apps"
        )
        return PlainTextResponse(f"{domain} {gone}: {reason}\n", status_code=404)
    doc = state.autoconfig(config)
    if _etag_matches(if_none_match, doc.etag):
        return Response(status_code=304, headers={"ETag": doc.etag, **AUTOCONFIG_HEADERS})
    return doc.response()


# A bad address or domain is a 422 with a JSON "detail", as in the API (app.web.routes.api).
def _unprocessable(exc: InvalidAddress) -> HTTPException:
    return HTTPException(422, str(exc))


def _too_long(where: str, name: str, limit: int) -> RequestValidationError:
    """The 422 FastAPI gives a parameter over its ``max_length`` (as ``/v1.1/{domain}``
    does for If-None-Match), for a parameter the route reads itself."""
    error = {
        "type": "string_too_long",
        "loc": (where, name),
        "msg": f"String should have at most {limit} characters",
        "ctx": {"max_length": limit},
    }
    return RequestValidationError([error])


# The autoconfig route is lean (app.web.http.lean): it reads its two parameters itself,
# since FastAPI's parameter solving cost more than the rest of the request. They are
# documented here instead.
_PARAMETERS = [
    {
        "name": "emailaddress",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_ADDRESS},
        "description": "The address being set up; without it, the Host header names the domain.",
    },
    {
        "name": "if-none-match",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_IF_NONE_MATCH},
    },
]


def _query_value(query: bytes, name: str) -> str | None:
    """The last value of ``name`` in ``query``, read as Starlette's ``query_params``
    reads it, without building the whole multi-dict (a tenth of this route's work)."""
    if not query:
        return None
    found = None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == name:
            found = value
    return found


async def autoconfig(request: Request) -> Response:
    """Autoconfig for the address's domain, or for the Host header's domain."""
    emailaddress = _query_value(request.scope["query_string"], "emailaddress")
    if emailaddress and len(emailaddress) > MAX_ADDRESS:
        raise _too_long("query", "emailaddress", MAX_ADDRESS)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and len(if_none_match) > MAX_IF_NONE_MATCH:
        raise _too_long("header", "if-none-match", MAX_IF_NONE_MATCH)
    try:
        if emailaddress and "@" in emailaddress:
            domain = normalize_domain(emailaddress.rpartition("@")[2])
        else:
            domain = _domain_from_host(request.headers.get("host", ""))
    except InvalidAddress as exc:
        raise _unprocessable(exc) from exc
    return _autoconfig(state_of(request), domain, if_none_match)


_OPERATION = {"tags": ["autoconfig"], "parameters": _PARAMETERS}
# For the app's own router, ahead of the included routers (see app.main).
LEAN_ROUTES = [
    LeanRoute(path, autoconfig, methods=["GET"], operation=_OPERATION)
    for path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
]


@router.get("/v1.1/{domain}", response_class=Response)
async def ispdb(
    domain: str,
    state: StateDep,
    if_none_match: Annotated[str | None, Header(max_length=MAX_IF_NONE_MATCH)] = None,
) -> Response:
    """The same document at an ISPDB-compatible path."""
    try:
        name = normalize_domain(domain)
    except InvalidAddress as exc:
        raise _unprocessable(exc) from exc
    return _autoconfig(state, name, if_none_match)
