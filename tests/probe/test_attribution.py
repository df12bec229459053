"""Whose failure it is, across a test's results, without sockets: which network-level
failures the tester takes on itself, and how they are then worded."""

from __future__ import annotations

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe import Code, ProbeResult, diagnose
from app.probe.attribution import Evidence, blame_ourselves, unreachable
from app.probe.report import AuthOutcome, AuthStatus, ErrorInfo, Reason

from .results import make

IMAP = ServerEndpoint(protocol=Protocol.IMAP, host="imap.qq.com", port=993, security=Security.TLS)
SMTP = ServerEndpoint(protocol=Protocol.SMTP, host="smtp.qq.com", port=465, security=Security.TLS)
OWN = ServerEndpoint(
    protocol=Protocol.IMAP, host="mail.example.com", port=993, security=Security.TLS
)


def stopped(endpoint: ServerEndpoint, reason: Reason) -> ProbeResult:
    """A probe of ``endpoint`` stopped by ``reason``, diagnosed."""
    result = make(endpoint=endpoint, error=ErrorInfo(type="X", message="m", reason=reason))
    return result.model_copy(update={"findings": diagnose(result)})


def worked(endpoint: ServerEndpoint) -> ProbeResult:
    return make(endpoint=endpoint, ok=True, auth=AuthOutcome(status=AuthStatus.OK))


NOT_FOUND, TIMEOUT = Reason.DNS_NOT_FOUND, Reason.DNS_TIMEOUT
CONNECT_TIMEOUT, UNREACHABLE = Reason.CONNECT_TIMEOUT, Reason.CONNECT_FAILED
REFUSED, BUSY = Reason.CONNECT_REFUSED, Reason.SERVICE_BUSY
DB = {"imap.qq.com", "smtp.qq.com"}


@pytest.mark.parametrize("reason", [NOT_FOUND, TIMEOUT, CONNECT_TIMEOUT, UNREACHABLE])
def test_a_database_host_that_cannot_be_reached_is_ours(reason: Reason) -> None:
    results = [stopped(IMAP, reason), worked(SMTP)]
    assert unreachable(results, DB) is Evidence.DATABASE_HOST
    # The same failure on a host nobody vouched for, beside one that works, is the host's.
    assert unreachable(results, set()) is None


@pytest.mark.parametrize("reason", [TIMEOUT, CONNECT_TIMEOUT, UNREACHABLE])
def test_every_server_failing_alike_is_ours(reason: Reason) -> None:
    typed = {OWN.host}
    assert unreachable([stopped(OWN, reason)], set(), typed) is Evidence.EVERY_SERVER
    both = [stopped(OWN, reason), stopped(OWN.model_copy(update={"port": 143}), reason)]
    assert unreachable(both, set(), typed) is Evidence.EVERY_SERVER


def test_names_that_do_not_exist_are_ours_unless_the_visitor_typed_them() -> None:
    results = [stopped(OWN, NOT_FOUND)]
    assert unreachable(results, set(), typed={OWN.host}) is None  # perhaps mistyped
    assert unreachable(results, set()) is Evidence.EVERY_SERVER  # discovery found it


def test_failures_of_different_kinds_or_beside_an_answer_are_not_ours() -> None:
    mixed = [stopped(OWN, TIMEOUT), stopped(OWN, CONNECT_TIMEOUT)]
    assert unreachable(mixed, set()) is None
    refused = [stopped(OWN, TIMEOUT), stopped(OWN, REFUSED)]
    assert unreachable(refused, set()) is None
    assert unreachable([stopped(OWN, REFUSED)], DB | {OWN.host}) is None
    assert unreachable([worked(IMAP)], DB) is None


def test_a_server_left_untested_for_lack_of_a_slot_does_not_count() -> None:
    results = [stopped(OWN, TIMEOUT), stopped(OWN, BUSY)]
    assert unreachable(results, set()) is Evidence.EVERY_SERVER
    assert unreachable([stopped(OWN, BUSY)], set()) is None


@pytest.mark.parametrize("reason", [NOT_FOUND, TIMEOUT, CONNECT_TIMEOUT, UNREACHABLE])
def test_blame_ourselves_replaces_the_network_finding(reason: Reason) -> None:
    result = stopped(IMAP, reason)
    ours = blame_ourselves(result)
    (finding,) = ours.findings
    assert finding.code is Code.SERVICE_OFFLINE
    assert finding.message.startswith("We can't reach the mail servers right now")
    assert "spelling" not in finding.fix
    assert finding.detail == "m"
    assert ours.error == result.error  # the technical facts stay


def test_blame_ourselves_leaves_other_failures_alone() -> None:
    refused = stopped(IMAP, REFUSED)
    assert blame_ourselves(refused) is refused
    assert blame_ourselves(worked(IMAP)).findings == ()
