"""The ``/test`` page: a form, and a full report after it is posted (works without JS)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import SecretStr, ValidationError

from app.errors import InvalidAddress, UnknownDomain
from app.i18n import N_
from app.livetest import (
    MAX_SERVERS,
    ReportEvent,
    ServerSpec,
    last_report,
    plan_test,
    repeated_server,
    stream,
    verdict,
)
from app.untrusted import has_control, is_utf8
from app.web.http.deps import StateDep
from app.web.http.hangup import admitted, unless_hung_up
from app.web.http.i18n import current_lang, translations
from app.web.http.security import require_csrf
from app.web.http.templating import render
from app.web.http.throttle import TestLimits
from app.web.routes.live import HUNG_UP, NO_STORE
from app.web.routes.timeline import (
    HEADLINES,
    UNTESTED_LABEL,
    headline,
    timeline_svg,
    verdict_label,
)

router = APIRouter(include_in_schema=False)


def _page(request: Request, context: dict[str, object], status: int = 200) -> HTMLResponse:
    gettext = translations(current_lang.get()).gettext
    # For the JS, which draws the same report as the test streams.
    unusable = {field: gettext(message) for field, message in UNUSABLE.items()}
    headlines = {outcome.value: gettext(text) for outcome, text in HEADLINES.items()}
    context = {
        **context,
        "unusable": unusable,
        "headlines": headlines,
        "untested_label": gettext(UNTESTED_LABEL),
        "max_servers": MAX_SERVERS,
    }
    response = render(request, "test.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


@router.get("/test", response_class=HTMLResponse)
def show_tester(request: Request, email: str = "") -> HTMLResponse:
    return _page(request, {"email": email[:320], "servers": "", "report": None, "error": None})


@router.post("/test", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def run_tester(
    request: Request,
    state: StateDep,
    limits: TestLimits,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[SecretStr, Form(min_length=1, max_length=1024)],
    servers: Annotated[str, Form(max_length=2000)] = "",
    username: Annotated[str, Form(max_length=320)] = "",
    allow_invalid_certificate: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Run the test and show every server's verdict, findings and transcript; all of it
    by ``MAILSETUP_PROBE_DEADLINE`` from now, and stopped when the visitor leaves."""
    deadline = admitted(state.settings)
    context: dict[str, object] = {"email": email, "servers": servers, "report": None}
    unusable = _unusable_field(email, username, password.get_secret_value())
    if unusable is not None:
        gettext = translations(current_lang.get()).gettext
        shown = "" if unusable == "email" else email  # never shown back as it was typed
        error = gettext(UNUSABLE[unusable])
        return _page(request, {**context, "email": shown, "error": error}, 422)
    try:
        specs = [ServerSpec.parse(line) for line in servers.splitlines() if line.strip()]
        listed = _list_problem(specs)
        if listed is not None:
            return _page(request, {**context, "error": listed}, 422)
        if not specs:
            await limits.lookup()
        async with asyncio.timeout_at(deadline):
            plan = await plan_test(state.discoverer, email, username or None, specs or None)
    except TimeoutError:
        message = translations(current_lang.get()).gettext(SLOW_DISCOVERY)
        return _page(request, {**context, "error": message}, 504)
    except (ValueError, ValidationError, InvalidAddress) as exc:
        return _page(request, {**context, "error": _reason(exc)}, 422)
    except UnknownDomain as exc:
        gettext = translations(current_lang.get()).gettext
        message = gettext(NO_SERVERS) % {"domain": exc.domain}
        return _page(request, {**context, "error": message}, 404)
    events = stream(
        plan,
        password,
        state.settings,
        state.discoverer.dns,
        allow_invalid_certificate,
        current_lang.get(),
        deadline=deadline,
        client=limits.client,
    )
    events = await limits.admit(plan, events)
    report = await unless_hung_up(request, last_report(events))
    if report is None:
        return HTMLResponse(status_code=HUNG_UP)  # nobody is there to read it
    return _page(request, {**context, "report": report, "error": None, **_picture(report)})


SLOW_DISCOVERY = N_(
    "Finding the servers for this address took too long. List them below, one per line."
)
NO_SERVERS = N_("No servers are known for %(domain)s. List them below, one per line.")
TOO_MANY = N_("List at most %(count)d servers: each one is tested and counted.")
TWICE = N_("%(server)s is listed twice. List each server once.")
# A field that holds a control character (a line break, a tab, NUL ...) or text that
# cannot be encoded: such text would become part of a mail command.
UNUSABLE = {
    "email": N_(
        "The email address contains a line break, a tab or another character that cannot "
        "be sent to a mail server. Type it again without it."
    ),
    "username": N_(
        "The username contains a line break, a tab or another character that cannot "
        "be sent to a mail server. Type it again without it."
    ),
    "password": N_(
        "The password contains a line break, a tab or another character that cannot "
        "be sent to a mail server. Type it again without it."
    ),
}


def _unusable_field(email: str, username: str, password: str) -> str | None:
    """The first field (by name) that may not reach a mail server, if any."""
    for name, value in (("email", email), ("username", username), ("password", password)):
        if has_control(value) or not is_utf8(value):
            return name
    return None


def _list_problem(specs: list[ServerSpec]) -> str | None:
    """Why the listed servers cannot be tested, in the visitor's language, if they cannot."""
    gettext = translations(current_lang.get()).gettext
    if len(specs) > MAX_SERVERS:
        return gettext(TOO_MANY) % {"count": MAX_SERVERS}
    repeated = repeated_server(specs)
    return None if repeated is None else gettext(TWICE) % {"server": repeated.label()}


def _picture(report: object) -> dict[str, object]:
    """The report's headline, SVG timeline and each server's green/amber/red verdict."""
    if not isinstance(report, ReportEvent):
        return {}
    gettext = translations(current_lang.get()).gettext
    outcome, title = headline(report.results, gettext)
    return {
        "outcome": outcome.value,
        "headline": title,
        "timeline": timeline_svg(report.results, gettext),
        "verdicts": [
            {"level": verdict(r).value, "label": verdict_label(r, gettext)} for r in report.results
        ],
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)
