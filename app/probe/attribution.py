"""Whose failure it is, seen across one test's results. Pure: no I/O, no state.

A probe that fails at the network level (the name did not resolve, DNS or the connection
timed out, the network is unreachable) may say as much about the tester's own network
as about the server. :func:`unreachable` says when a test's results put it on the
tester: a failing host is one the provider database lists, or every server failed the
same way. :func:`blame_ourselves` then words those failures as the service's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from app.probe.account import Account
from app.probe.report import Code, ProbeResult, Reason
from app.probe.wording import render

NETWORK = frozenset(
    {Reason.DNS_NOT_FOUND, Reason.DNS_TIMEOUT, Reason.CONNECT_TIMEOUT, Reason.CONNECT_FAILED}
)
_NETWORK_CODES = frozenset(
    {Code.DNS_NOT_FOUND, Code.DNS_TIMEOUT, Code.CONNECTION_TIMEOUT, Code.CONNECTION_FAILED}
)


class Evidence(StrEnum):
    """Why the tester concluded that it cannot reach the mail servers."""

    DATABASE_HOST = "database-host"  # a server from the provider database failed
    EVERY_SERVER = "every-server"  # every server tested failed the same way


def network_failure(result: ProbeResult) -> bool:
    """The probe stopped at the network level, before any server answered."""
    return result.error is not None and result.error.reason in NETWORK


def unreachable(
    results: Sequence[ProbeResult], database: Collection[str], typed: Collection[str] = ()
) -> Evidence | None:
    """Whether the network-level failures among ``results`` are the tester's own.

    ``database`` holds the hosts that the provider database lists, ``typed`` those the
    visitor typed. Every server failing alike counts, except when each name was typed
    and does not exist: a mistyped domain looks just like that.
    """
    failed = [r for r in results if network_failure(r)]
    if not failed:
        return None
    if any(r.endpoint.host in database for r in failed):
        return Evidence.DATABASE_HOST
    tested = [r for r in results if r.error is None or r.error.reason is not Reason.SERVICE_BUSY]
    reasons = {r.error.reason for r in failed if r.error is not None}
    mistyped = reasons == {Reason.DNS_NOT_FOUND} and all(r.endpoint.host in typed for r in failed)
    if len(failed) == len(tested) and len(reasons) == 1 and not mistyped:
        return Evidence.EVERY_SERVER
    return None


def blame_ourselves(
    result: ProbeResult, account: Account | None = None, lang: str = "en"
) -> ProbeResult:
    """``result`` with its network-level finding replaced by ``service-offline``, in
    ``lang``; a result that did not fail at the network level comes back as it was."""
    if not network_failure(result) or result.error is None:
        return result
    offline = render(Code.SERVICE_OFFLINE, result, account, lang=lang, detail=result.error.message)
    kept = tuple(f for f in result.findings if f.code not in _NETWORK_CODES)
    return result.model_copy(update={"findings": (offline, *kept)})
