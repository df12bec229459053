"""A test's outcome, the one its headline names on every page, without sockets."""

from __future__ import annotations

from app.livetest import Outcome, ProbeResult, outcome, untested
from app.probe import Code, diagnose, render
from app.probe.attribution import blame_ourselves
from app.probe.report import AuthOutcome, AuthStatus, ErrorInfo, Reason
from tests.probe.results import make

GOOD = make(ok=True, auth=AuthOutcome(status=AuthStatus.OK))


def diagnosed(reason: Reason) -> ProbeResult:
    result = make(error=ErrorInfo(type="X", message="m", reason=reason))
    return result.model_copy(update={"findings": diagnose(result)})


REFUSED = diagnosed(Reason.CONNECT_REFUSED)
BUSY = diagnosed(Reason.SERVICE_BUSY)
OFFLINE = blame_ourselves(diagnosed(Reason.DNS_NOT_FOUND))
UNENCRYPTED = GOOD.model_copy(
    update={"findings": (render(Code.CONNECTION_UNENCRYPTED, GOOD),)}  # a warning
)


def test_four_outcomes() -> None:
    assert outcome([GOOD, GOOD]) is Outcome.ALL_GOOD
    assert outcome([GOOD, REFUSED]) is Outcome.SOME_FAILED
    assert outcome([REFUSED, REFUSED]) is Outcome.ALL_FAILED
    assert outcome([OFFLINE, BUSY]) is Outcome.NOT_TESTED


def test_a_server_we_could_not_test_is_not_a_failure_of_the_test() -> None:
    assert untested(OFFLINE)
    assert untested(BUSY)
    assert not untested(REFUSED)
    assert not untested(GOOD)
    assert outcome([REFUSED, BUSY]) is Outcome.SOME_FAILED  # not "every server failed"
    assert outcome([GOOD, OFFLINE]) is Outcome.SOME_FAILED
    assert outcome([]) is Outcome.NOT_TESTED


def test_a_warning_is_not_all_good() -> None:
    assert outcome([GOOD, UNENCRYPTED]) is Outcome.SOME_FAILED
    assert outcome([UNENCRYPTED]) is Outcome.SOME_FAILED
