"""The live tester over HTTP: ``POST /api/v1/test``, as JSON or as an NDJSON stream.

The password or access token lives in this request only: it is a SecretStr in the
request model, never logged, echoed, cached or put in a URL, and every response that
saw it carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from app.documents.instructions import CLIENTS
from app.errors import InvalidAddress, UnknownDomain
from app.i18n import N_
from app.livetest import (
    MAX_SERVERS,
    CommandSecret,
    CommandText,
    CredentialKind,
    ReportEvent,
    ServerSpec,
    UsernameNeeded,
    check_token,
    last_report,
    ndjson,
    plan_test,
    report_json,
    stream,
    unique_servers,
)
from app.web.http.deps import StateDep
from app.web.http.hangup import admitted, unless_hung_up
from app.web.http.i18n import current_lang, translations
from app.web.http.throttle import TestLimits
from app.web.routes.timeline import diagnosis, headline

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
USERNAME_NEEDED = N_(
    "This provider gives mail apps a user name of its own, not the email address: give "
    "%(what)s as the username."
)
NDJSON = "application/x-ndjson"
HUNG_UP = 499  # the client closed the connection first (nginx's code, for the access log)

router = APIRouter()


def _unique(specs: list[ServerSpec] | None) -> list[ServerSpec] | None:
    return None if specs is None else unique_servers(specs)


def known_client(client: str | None) -> str | None:
    """``client`` if it names a mail app with a guide (:data:`CLIENTS`), else None."""
    return client if client in CLIENTS else None


def _token(value: SecretStr | None) -> SecretStr | None:
    if value is not None:
        check_token(value.get_secret_value())
    return value


BEARER_HELP = (
    "An OAuth2 access token for the account, instead of a password: the servers get it "
    "by SASL XOAUTH2 or OAUTHBEARER (RFC 7628). Get one from the provider's "
    "authorization server (RFC 6749) with the mail scopes: Microsoft "
    "https://outlook.office.com/IMAP.AccessAsUser.All, .../POP.AccessAsUser.All and "
    ".../SMTP.Send; Google https://mail.google.com/; Yahoo and AOL mail-w. Only the "
    "token itself, without 'Bearer '. It is used for this test and then forgotten."
)


class LiveTestRequest(BaseModel):
    """``POST /api/v1/test``: whose account, which secret (a password or an access
    token, exactly one), and optionally which servers."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[CommandText, Field(max_length=320)]
    password: Annotated[
        CommandSecret | None,
        Field(
            min_length=1,
            max_length=1024,
            description="The password, app password or authorization code.",
        ),
    ] = None
    access_token: Annotated[
        SecretStr | None,
        Field(min_length=1, description=BEARER_HELP),
        AfterValidator(_token),
    ] = None
    username: Annotated[CommandText | None, Field(max_length=320)] = None
    servers: Annotated[
        list[ServerSpec] | None,
        Field(max_length=MAX_SERVERS, description=f"At most {MAX_SERVERS}, each once."),
        AfterValidator(_unique),
    ] = None
    allow_invalid_certificate: bool = False
    client: Annotated[
        str | None,
        Field(
            description="The mail app being set up (" + ", ".join(CLIENTS) + "): the report's "
            "headline then says what to do next in it. Other values are ignored.",
        ),
        AfterValidator(known_client),
    ] = None

    @model_validator(mode="after")
    def _one_secret(self) -> LiveTestRequest:
        if (self.password is None) == (self.access_token is None):
            raise ValueError("give either 'password' or 'access_token', not both or neither")
        return self

    def secret(self) -> tuple[SecretStr, CredentialKind]:
        """The secret given, and what it is."""
        if self.access_token is not None:
            return self.access_token, CredentialKind.OAUTH2
        assert self.password is not None  # checked by _one_secret
        return self.password, CredentialKind.PASSWORD


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=NO_STORE)


@router.post(
    "/api/v1/test",
    tags=["api"],
    responses={
        200: {
            "description": "One result per server; NDJSON events with Accept: application/x-ndjson"
        },
        404: {"description": "No servers known for the domain, and none given"},
    },
)
async def run_test(
    body: LiveTestRequest, request: Request, state: StateDep, limits: TestLimits
) -> Response:
    """Log in to every server of the account, read-only, and explain each failure.

    Everything ends by ``MAILSETUP_PROBE_DEADLINE`` from now, and stops at once when
    the client hangs up."""
    deadline = admitted(state.settings)
    if not body.servers:
        await limits.lookup()
    try:
        async with asyncio.timeout_at(deadline):
            plan = await plan_test(state.discoverer, body.email, body.username, body.servers)
    except InvalidAddress as exc:
        return _error(422, str(exc))
    except UsernameNeeded as exc:
        message = translations(current_lang.get()).gettext(USERNAME_NEEDED)
        text = message % {"what": exc.what.get(current_lang.get())}
        return JSONResponse(
            {"detail": text, "field": "username"}, status_code=422, headers=NO_STORE
        )
    except UnknownDomain as exc:
        return _error(404, f"no servers are known for {exc.domain}; list them in 'servers'")
    except TimeoutError:
        return _error(504, "finding the servers took the whole test's time; list them in 'servers'")
    secret, credential = body.secret()
    events = stream(
        plan,
        secret,
        state.settings,
        state.discoverer.dns,
        body.allow_invalid_certificate,
        current_lang.get(),
        deadline=deadline,
        client=limits.client,
        credential=credential,
    )
    events = await limits.admit(plan, events)
    gettext = translations(current_lang.get()).gettext

    def words(report: ReportEvent) -> dict[str, Any]:
        """The headline in the request's language (naming the mail app when one is known)
        and, when something failed, the one thing to fix first."""
        client = {"client": body.client} if body.client else {}
        first = diagnosis(report.results)
        fix = {"diagnosis": {"message": first.message, "fix": first.fix}} if first else {}
        return {"headline": headline(report.results, gettext, body.client)[1], **fix, **client}

    if "application/x-ndjson" in request.headers.get("accept", ""):
        lines = ndjson(events, words)
        return StreamingResponse(lines, media_type=NDJSON, headers=NO_STORE)
    report = await unless_hung_up(request, last_report(events))
    if report is None:
        return Response(status_code=HUNG_UP)  # nobody is there to read it
    answer = {"email": plan.address.address, **report_json(report), **words(report)}
    return JSONResponse(answer, headers=NO_STORE)
