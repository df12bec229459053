"""Running a test the pages show whole (the form posted without JavaScript, or a
sign-in come back from the provider): plan it, run it, and render the tester page
with its report, or with why it could not run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import SecretStr, ValidationError

from app.errors import InvalidAddress, UnknownDomain
from app.i18n import N_
from app.livetest import (
    MAX_SERVERS,
    CredentialKind,
    Mechanism,
    ServerSpec,
    UsernameNeeded,
    last_report,
    plan_test,
    repeated_server,
    stream,
)
from app.web.http.hangup import unless_hung_up
from app.web.http.i18n import current_lang, translations
from app.web.http.state import AppState
from app.web.http.templating import render
from app.web.http.throttle import TestLimits
from app.web.routes.live import HUNG_UP, NO_STORE, USERNAME_NEEDED
from app.web.routes.signin_offer import allow_sign_in


def render_tester(request: Request, context: dict[str, object], status: int = 200) -> HTMLResponse:
    response = render(request, "test.html", context, status_code=status)
    response.headers.update(NO_STORE)
    tester = context.get("tester")
    allow_sign_in(response, tester.get("sign_in") if isinstance(tester, dict) else None)
    return response


SLOW_DISCOVERY = N_(
    "Finding the servers for this address took too long. List them below, one per line."
)
NO_SERVERS = N_("No servers are known for %(domain)s. List them below, one per line.")
TOO_MANY = N_("List at most %(count)d servers: each one is tested and counted.")
TWICE = N_("%(server)s is listed twice. List each server once.")


def list_problem(specs: list[ServerSpec]) -> str | None:
    """Why the listed servers cannot be tested, in the visitor's language, if they cannot."""
    gettext = translations(current_lang.get()).gettext
    if len(specs) > MAX_SERVERS:
        return gettext(TOO_MANY) % {"count": MAX_SERVERS}
    repeated = repeated_server(specs)
    return None if repeated is None else gettext(TWICE) % {"server": repeated.label()}


@dataclass(frozen=True)
class TestRun:
    """One test the pages run and show whole: the form's fields, the app's state, the
    limits and the deadline. A password or a token, as ``credential`` says."""

    state: AppState
    limits: TestLimits
    deadline: float
    email: str
    username: str
    servers: str
    allow_invalid_certificate: bool = False

    async def show(
        self,
        request: Request,
        typed: Callable[..., dict[str, object]],
        secret: SecretStr,
        credential: CredentialKind,
        prefer: Mechanism | None = None,
    ) -> HTMLResponse:
        """Plan the test, run it, and answer with the report (or why it could not run)."""
        state, limits = self.state, self.limits

        def page(status: int, error: str, **more: object) -> HTMLResponse:
            return render_tester(request, typed(error=error, **more), status)

        lang = current_lang.get()
        gettext = translations(lang).gettext
        try:
            specs = [ServerSpec.parse(line) for line in self.servers.splitlines() if line.strip()]
            listed = list_problem(specs)
            if listed is not None:
                return page(422, listed)
            if not specs:
                await limits.lookup()
            async with asyncio.timeout_at(self.deadline):
                plan = await plan_test(
                    state.discoverer, self.email, self.username or None, specs or None
                )
        except TimeoutError:
            return page(504, gettext(SLOW_DISCOVERY))
        except UsernameNeeded as exc:
            message = gettext(USERNAME_NEEDED) % {"what": exc.what.get(lang)}
            return page(422, message, username_needed=True)
        except (ValueError, ValidationError, InvalidAddress) as exc:
            return page(422, reason(exc))
        except UnknownDomain as exc:
            return page(404, gettext(NO_SERVERS) % {"domain": exc.domain})
        events = stream(
            plan,
            secret,
            state.settings,
            state.discoverer.dns,
            self.allow_invalid_certificate,
            lang,
            deadline=self.deadline,
            client=limits.client,
            credential=credential,
            prefer=prefer,
        )
        events = await limits.admit(plan, events)
        report = await unless_hung_up(request, last_report(events))
        if report is None:
            return HTMLResponse(status_code=HUNG_UP)  # nobody is there to read it
        return render_tester(request, typed(report=report))


def reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)
