"""Rate limits on the routes, and the 429 answer.

- :func:`limit_discovery` (lookup, setup page, autodiscover, profiles, guides)
  counts the client; discovery itself counts each domain it would contact, per
  client and in all (:class:`app.discovery.service.ServiceDiscoverer`).
- :func:`limit_tests` refuses a client already over its limit before a live
  test is planned, and returns a :class:`LiveTestLimits` that, once the plan is
  known, counts every server as a test (per client, per client and target, per
  target) and the test against its address, and refuses the whole test before
  any connection when one of those is over, when a login name has been refused
  too often at a target, or while another test of that login name runs there.
  It then counts every refused login and records each result in the metrics.

Over a limit the answer is 429 with ``Retry-After``: JSON for the API and
clients, a page in the visitor's language for browsers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from app import metrics
from app.i18n import N_
from app.leases import Lease, Leases
from app.livetest import (
    AuthStatus,
    Event,
    Mechanism,
    Plan,
    ProbeResult,
    ResultEvent,
    StepEvent,
    StepName,
)
from app.ratelimit import Charge, Limit, RateLimited, RateLimiter, asking_client
from app.web.http.clientip import resolve_client
from app.web.http.context import request_info
from app.web.http.deps import StateDep
from app.web.http.errorpages import error_page, retry_note, wants_page
from app.web.http.i18n import current_lang, translations
from app.web.http.security import CsrfRejected

MESSAGES: dict[Limit, str] = {
    Limit.TEST: N_("You have run many tests in a short time."),
    Limit.TEST_ACCOUNT: N_("This address has been tested many times in a short time."),
    Limit.TEST_HOST: N_("This server has been tested many times in a short time."),
    Limit.TEST_CLIENT_HOST: N_("You have tested this server many times in a short time."),
    Limit.AUTH_FAILURE: N_(
        "The server refused the password for this username several times. Check the "
        "password or authorization code before you try again: servers lock accounts after "
        "repeated failures."
    ),
    Limit.LOGIN_BUSY: N_(
        "A test with this username on this server is still running. Wait until it has finished."
    ),
    Limit.DISCOVERY: N_("You have looked up many addresses in a short time."),
    Limit.DISCOVERY_DOMAIN: N_("You have looked up many addresses at this domain in a short time."),
    Limit.DISCOVERY_DOMAIN_ALL: N_("This domain has been looked up many times in a short time."),
}
CSRF_TITLE = N_("This form has expired")
CSRF_MESSAGE = N_("Open the page again and send the form once more.")
NO_STORE = {"Cache-Control": "no-store"}
NO_STORE_RAW = ((b"cache-control", b"no-store"),)


def client_address(request: Request) -> str:
    """The client as :mod:`app.web.http.context` resolved it (behind trusted proxies)."""
    info = request_info(request.scope)
    if info is not None:
        return info.client
    settings = request.app.state.mailsetup.settings
    return resolve_client(request.scope, settings.trusted_proxies, settings.proxy_header).address


async def limit_discovery(request: Request, state: StateDep) -> None:
    """Count a lookup, setup page, autodiscover request or profile against the client,
    and name the client to the discoveries it starts."""
    client = state.limiter.keys.client(client_address(request))
    asking_client.set(client)
    await state.limiter.hit(Limit.DISCOVERY, client)


def refused_login(result: ProbeResult) -> bool:
    """True when the server refused the credentials: the login was sent and answered
    with a refusal (``auth-failed``, or the provider's own reading of it). Connection
    and TLS failures never send them; an APOP refusal does not count."""
    auth = result.auth
    return auth.status is AuthStatus.FAILED and auth.mechanism is not Mechanism.APOP


@dataclass(frozen=True)
class LiveTestLimits:
    """The limits of one live test by ``client`` (see :func:`limit_tests`)."""

    limiter: RateLimiter
    leases: Leases
    client: str

    async def admit(self, plan: Plan, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        """Refuse the whole test (:class:`RateLimited`) if any of its servers is over a
        limit, else count it and return ``events``, watched: refused logins are
        counted, results measured. Nothing has connected yet."""
        keys = self.limiter.keys
        logins = [keys.login(t.username, t.endpoint.host) for t in plan.targets]
        lease = await self.leases.take(logins)
        try:
            for login in sorted(set(logins)):
                await self.limiter.check(Limit.AUTH_FAILURE, login)
            await self.limiter.charge(self._charges(plan))
        except BaseException:
            await self.leases.release(lease)
            raise
        return self._watch(logins, lease, events)

    async def lookup(self) -> None:
        """Count a test that names no servers as a lookup by the client: finding its
        servers may take a discovery."""
        await self.limiter.hit(Limit.DISCOVERY, self.client)

    def _charges(self, plan: Plan) -> Iterator[Charge]:
        """Each server is a test: against the client, and its target per client and in all."""
        keys = self.limiter.keys
        yield Charge(Limit.TEST, (self.client,), len(plan.targets))
        yield Charge(Limit.TEST_ACCOUNT, (keys.account(plan.address.address),))
        targets = Counter(keys.target(t.endpoint.host) for t in plan.targets)
        for target, servers in sorted(targets.items()):
            yield Charge(Limit.TEST_CLIENT_HOST, (self.client, target), servers)
            yield Charge(Limit.TEST_HOST, (target,), servers)

    async def _watch(
        self, logins: list[str], lease: Lease, events: AsyncIterator[Event]
    ) -> AsyncIterator[Event]:
        """Pass ``events`` on and count each refused login against its login name and
        target; then give the lease back. A test that ends early (the client hung up)
        counts every server whose login step failed and that has no result yet."""
        failed_step: set[int] = set()
        done: set[int] = set()
        try:
            async for event in events:
                if isinstance(event, StepEvent):
                    if event.step.name == StepName.LOGIN and not event.step.ok:
                        failed_step.add(event.server)
                elif isinstance(event, ResultEvent):
                    done.add(event.server)
                    result = event.result
                    findings = [(f.code.value, f.severity.value) for f in result.findings]
                    protocol = result.endpoint.protocol.value
                    metrics.tested(protocol, result.ok, result.duration_ms / 1000, findings)
                    if refused_login(result):
                        await self.limiter.count(Limit.AUTH_FAILURE, logins[event.server])
                yield event
        finally:
            with anyio.CancelScope(shield=True):  # also when the client has gone
                for server in sorted(failed_step - done):
                    await self.limiter.count(Limit.AUTH_FAILURE, logins[server])
                await self.leases.release(lease)


async def limit_tests(request: Request, state: StateDep) -> LiveTestLimits:
    """Refuse a client already over its test limit; the counting waits for the plan."""
    client = state.limiter.keys.client(client_address(request))
    asking_client.set(client)
    await state.limiter.check(Limit.TEST, client)
    return LiveTestLimits(state.limiter, state.leases, client)


DiscoveryLimit = Depends(limit_discovery)
TestLimits = Annotated[LiveTestLimits, Depends(limit_tests)]


def _page(
    request: Request,
    status: int,
    message: str,
    title: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] = NO_STORE_RAW,
) -> Response:
    """The error page; its "Go back" link returns to the form that was posted."""
    back = request.url.path if request.method == "POST" else None
    return error_page(request, status, headers, title=title, message=message, back=back)


async def rate_limited(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`RateLimited`: 429 with ``Retry-After``."""
    if not isinstance(exc, RateLimited):  # registered for RateLimited only
        raise exc
    metrics.rate_limited(exc.limit.value)
    headers = {**NO_STORE, "Retry-After": str(exc.retry_after)}
    message = MESSAGES[exc.limit]
    if wants_page(request.scope):
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        return _page(request, 429, message, headers=raw)  # with when to try again
    lang = current_lang.get()  # the answer's language, for its script
    retry = retry_note(exc.retry_after)
    gettext = translations(lang).gettext
    space = "" if lang.startswith("zh") else " "  # Chinese sentences need no space between
    body = {
        "detail": f"{gettext(message)}{space}{retry}",
        "limit": exc.limit.value,
        "retry_after": exc.retry_after,
    }
    return JSONResponse(body, status_code=429, headers=headers)


async def csrf_rejected(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`CsrfRejected`: 403 and a way back."""
    if not isinstance(exc, CsrfRejected):  # registered for CsrfRejected only
        raise exc
    return _page(request, 403, CSRF_MESSAGE, CSRF_TITLE)
