"""Rate limits on the routes, and the 429 answer.

- :func:`limit_discovery` (lookup, setup page, autodiscover, profiles, guides)
  counts the client; discovery itself counts each domain it would contact
  (:class:`app.discovery.service.ServiceDiscoverer`).
- :func:`limit_tests` counts the client before a live test, and returns a
  :class:`LiveTestLimits` that, once the plan is known, refuses an address or a
  target tested too often or with too many failed logins, and then counts every
  failed login and records each result in the metrics.

Over a limit the answer is 429 with ``Retry-After``: JSON for the API and
clients, a page in the visitor's language for browsers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from babel.dates import format_timedelta
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from app import metrics
from app.i18n import N_
from app.livetest import Plan
from app.probe.report import AuthStatus
from app.probe.runner import Event, ResultEvent
from app.ratelimit import Limit, RateLimited, RateLimiter, account_key, client_key, target_key
from app.web.clientip import resolve_client
from app.web.context import request_info
from app.web.deps import StateDep
from app.web.i18n import BABEL_LOCALES, current_lang, translations
from app.web.security import CsrfRejected
from app.web.templating import render

MESSAGES: dict[Limit, str] = {
    Limit.TEST: N_("You have run many tests in a short time."),
    Limit.TEST_ACCOUNT: N_("This address has been tested many times in a short time."),
    Limit.TEST_HOST: N_("This server has been tested many times in a short time."),
    Limit.AUTH_FAILURE: N_(
        "The login failed several times for this address. Check the password or "
        "authorization code before you try again: servers lock accounts after repeated "
        "failures."
    ),
    Limit.DISCOVERY: N_("You have looked up many addresses in a short time."),
    Limit.DISCOVERY_DOMAIN: N_("This domain has been looked up many times in a short time."),
}
TITLE = N_("Please wait a moment")
RETRY = N_("You can try again in %(time)s.")
CSRF_TITLE = N_("This form has expired")
CSRF_MESSAGE = N_("Open the page again and send the form once more.")
NO_STORE = {"Cache-Control": "no-store"}
JSON_PREFIXES = ("/api/", "/autodiscover/")


def client_address(request: Request) -> str:
    """The client as :mod:`app.web.context` resolved it (behind trusted proxies)."""
    info = request_info(request.scope)
    if info is not None:
        return info.client
    settings = request.app.state.mailsetup.settings
    return resolve_client(request.scope, settings.trusted_proxies, settings.proxy_header).address


async def limit_discovery(request: Request, state: StateDep) -> None:
    """Count a lookup, setup page, autodiscover request or profile against the client."""
    await state.limiter.hit(Limit.DISCOVERY, client_key(client_address(request)))


@dataclass(frozen=True)
class LiveTestLimits:
    """The limits of one live test, after the client's own (see :func:`limit_tests`)."""

    limiter: RateLimiter

    async def admit(self, plan: Plan, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        """Refuse the test if its address or a target is over a limit; else count it and
        return ``events``, watched: failed logins are counted, results measured."""
        account = account_key(plan.address.address)
        targets = sorted({target_key(t.endpoint.host) for t in plan.targets})
        for target in targets:
            await self.limiter.check(Limit.AUTH_FAILURE, account, target)
        await self.limiter.hit(Limit.TEST_ACCOUNT, account)
        for target in targets:
            await self.limiter.hit(Limit.TEST_HOST, target)
        return self._watch(account, events)

    async def _watch(self, account: str, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        """Pass ``events`` on; a test counts once per target whose login failed, however
        many of that target's servers refused it."""
        failed: set[str] = set()
        async for event in events:
            if isinstance(event, ResultEvent):
                result = event.result
                findings = [(f.code.value, f.severity.value) for f in result.findings]
                protocol = result.endpoint.protocol.value
                metrics.tested(protocol, result.ok, result.duration_ms / 1000, findings)
                target = target_key(result.endpoint.host)
                if result.auth.status is AuthStatus.FAILED and target not in failed:
                    failed.add(target)
                    await self.limiter.count(Limit.AUTH_FAILURE, account, target)
            yield event


async def limit_tests(request: Request, state: StateDep) -> LiveTestLimits:
    """Count a live test against the client; the rest waits for the plan."""
    await state.limiter.hit(Limit.TEST, client_key(client_address(request)))
    return LiveTestLimits(state.limiter)


DiscoveryLimit = Depends(limit_discovery)
TestLimits = Annotated[LiveTestLimits, Depends(limit_tests)]


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(JSON_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _wait(seconds: int) -> str:
    locale = BABEL_LOCALES.get(current_lang.get(), "en")
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.0, locale=locale)


def _page(request: Request, status: int, title: str, message: str, note: str = "") -> Response:
    """The error page; its link goes back to the form that was posted, or home."""
    gettext = translations(current_lang.get()).gettext
    back = request.url.path if request.method == "POST" else "/"
    context = {"title": gettext(title), "message": gettext(message), "note": note, "back": back}
    response = render(request, "error.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


async def rate_limited(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`RateLimited`: 429 with ``Retry-After``."""
    if not isinstance(exc, RateLimited):  # registered for RateLimited only
        raise exc
    metrics.rate_limited(exc.limit.value)
    headers = {**NO_STORE, "Retry-After": str(exc.retry_after)}
    message = MESSAGES[exc.limit]
    if _wants_html(request):
        note = translations(current_lang.get()).gettext(RETRY) % {"time": _wait(exc.retry_after)}
        response = _page(request, 429, TITLE, message, note)
        response.headers.update(headers)
        return response
    body = {
        "detail": f"{message} Try again in {exc.retry_after} s.",
        "limit": exc.limit.value,
        "retry_after": exc.retry_after,
    }
    return JSONResponse(body, status_code=429, headers=headers)


async def csrf_rejected(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`CsrfRejected`: 403 and a way back."""
    if not isinstance(exc, CsrfRejected):  # registered for CsrfRejected only
        raise exc
    return _page(request, 403, CSRF_TITLE, CSRF_MESSAGE)
