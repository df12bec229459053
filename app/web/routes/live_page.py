"""The ``/test`` page: a form, and a full report after it is posted (works without JS).

The form and its report are ``templates/_tester.html``, which the setup page includes
too; :func:`live_test_context` fills it in for either page.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from app.i18n import N_
from app.livetest import (
    MAX_SERVERS,
    CredentialKind,
    ReportEvent,
    ServerSpec,
    verdict,
)
from app.models import ServerEndpoint
from app.untrusted import has_control, is_utf8
from app.web.http.deps import StateDep
from app.web.http.hangup import admitted
from app.web.http.i18n import current_lang, translations
from app.web.http.security import require_csrf
from app.web.http.templating import templates
from app.web.http.throttle import TestLimits
from app.web.routes.live import known_client
from app.web.routes.signin_offer import sign_in_for
from app.web.routes.tester_run import TestRun, render_tester
from app.web.routes.timeline import (
    HEADLINES,
    STEP_LABELS,
    UNTESTED_LABEL,
    diagnosis,
    headline,
    timeline_svg,
    verdict_label,
)
from app.web.routes.timeline_rows import timeline_rows

router = APIRouter(include_in_schema=False)


def settings_url(email: str, client: str | None = None) -> str:
    """The setup page for ``email`` (and the mail app ``client``, when known)."""
    query = {"email": email, **({"client": client} if client else {})}
    return "/setup?" + urlencode(query, quote_via=quote)


def server_lines(endpoints: Iterable[ServerEndpoint]) -> str:
    """Servers as the tester's form takes them, one ``protocol:host:port:security`` a line."""
    specs = (
        ServerSpec(protocol=e.protocol, host=e.host, port=e.port, security=e.security)
        for e in endpoints
    )
    return "\n".join(spec.label() for spec in specs)


def live_test_context(
    *,
    email: str = "",
    client: str | None = None,
    username: str = "",
    servers: str = "",
    allow_invalid_certificate: bool = False,
    error: str | None = None,
    report: ReportEvent | None = None,
    posted: bool = False,
    username_needed: bool = False,
    sign_in: dict[str, object] | None = None,
) -> dict[str, object]:
    """Everything ``templates/_tester.html`` reads, under the one name ``tester``: the
    form as typed (never the password), the texts ``static/tester.js`` draws with, and
    the report. ``client`` is a key of CLIENTS or ignored; ``posted``: the page answers
    the form, so the password has to be typed again."""
    gettext = translations(current_lang.get()).gettext
    known = known_client(client) or ""
    tester: dict[str, object] = {
        "email": email[:320],
        "client": known,
        "username": username[:320],
        "servers": servers[:2000],
        "allow_invalid_certificate": allow_invalid_certificate,
        "error": error,
        "username_needed": username_needed,
        "sign_in": sign_in,  # app.web.routes.signin_offer.sign_in_context
        "posted": posted,
        "report": report,
        "back_url": settings_url(email, known),
        # For the JS, which draws the same report as the test streams.
        "unusable": {field: gettext(message) for field, message in UNUSABLE.items()},
        "headlines": {outcome.value: gettext(text) for outcome, text in HEADLINES.items()},
        "untested_label": gettext(UNTESTED_LABEL),
        "step_labels": {name: gettext(label) for name, label in STEP_LABELS.items()},
        "max_servers": MAX_SERVERS,
    }
    if report is not None:
        tester.update(_picture(report, known))
    return {"tester": tester}


# The setup page may include the form without calling live_test_context itself.
templates.env.globals["live_test_context"] = live_test_context


@router.get("/test", response_class=HTMLResponse)
async def show_tester(
    request: Request,
    state: StateDep,
    email: Annotated[str, Query(max_length=320)] = "",
    client: Annotated[str, Query(max_length=40)] = "",
    servers: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """The tester, filled in with the address, the app and any servers to test."""
    sign_in = await sign_in_for(state, email)
    context = live_test_context(email=email, client=client, servers=servers, sign_in=sign_in)
    return render_tester(request, context)


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
    client: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Run the test and show every server's verdict, findings and transcript; all of it
    by ``MAILSETUP_PROBE_DEADLINE`` from now, and stopped when the visitor leaves. The
    form comes back as it was typed, but for the password."""
    deadline = admitted(state.settings)
    typed = partial(
        live_test_context,
        email=email,
        client=client,
        username=username,
        servers=servers,
        allow_invalid_certificate=allow_invalid_certificate,
        posted=True,
        sign_in=await sign_in_for(state, email),
    )

    unusable = unusable_field(email, username, password.get_secret_value())
    if unusable is not None:
        gettext = translations(current_lang.get()).gettext
        # The field is never shown back as it was typed.
        context = typed(
            error=gettext(UNUSABLE[unusable]),
            email="" if unusable == "email" else email,
            username="" if unusable == "username" else username,
        )
        return render_tester(request, context, 422)
    run = TestRun(state, limits, deadline, email, username, servers, allow_invalid_certificate)
    return await run.show(request, typed, password, CredentialKind.PASSWORD)


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


def unusable_field(email: str, username: str, password: str) -> str | None:
    """The first field (by name) that may not reach a mail server, if any."""
    for name, value in (("email", email), ("username", username), ("password", password)):
        if has_control(value) or not is_utf8(value):
            return name
    return None


def _picture(report: ReportEvent, client: str) -> dict[str, object]:
    """The report's headline (naming the mail app ``client``, if any), its timeline (the
    SVG, and the list that narrow screens show instead) and each server's verdict."""
    gettext = translations(current_lang.get()).gettext
    outcome, title = headline(report.results, gettext, client or None)
    return {
        "outcome": outcome.value,
        "headline": title,
        "diagnosis": diagnosis(report.results),
        "timeline": timeline_svg(report.results, gettext),
        "timeline_rows": timeline_rows(report.results, gettext),
        "verdicts": [
            {"level": verdict(r).value, "label": verdict_label(r, gettext)} for r in report.results
        ],
    }
