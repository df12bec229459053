"""A test's verdicts, computed once for every page and the API: each server's (green,
amber, red, and whether the service could test it at all) and the whole test's
:class:`Outcome`, which the headline of the page and of the streamed page name."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from app.probe.report import AuthStatus, Code, ProbeResult, Severity

# Findings that say the service tested nothing, through its own fault.
OURS = frozenset({Code.SERVICE_OFFLINE, Code.SERVICE_BUSY})


class Verdict(StrEnum):
    """Green: it works. Amber: it works with warnings, or the login was not tried.
    Red: it failed."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class Outcome(StrEnum):
    """The whole test, as its headline says it."""

    ALL_GOOD = "all-good"  # every server works, without a warning
    SOME_FAILED = "some-failed"  # some failed or warn, or could not be tested
    ALL_FAILED = "all-failed"  # every server was tested, and every one failed
    NOT_TESTED = "not-tested"  # nothing could be tested, through the service's fault


def verdict(result: ProbeResult) -> Verdict:
    """Red on an error, a failed login or an error finding; amber when the probe did not
    fully pass (a warning, a soft failure, no login tried); green otherwise."""
    severities = {f.severity for f in result.findings}
    if (
        result.error is not None
        or result.auth.status is AuthStatus.FAILED
        or Severity.ERROR in severities
    ):
        return Verdict.RED
    if not result.ok or Severity.WARNING in severities:
        return Verdict.AMBER
    return Verdict.GREEN


def untested(result: ProbeResult) -> bool:
    """The service could not test this server (offline, busy): every error is ours."""
    errors = {f.code for f in result.findings if f.severity is Severity.ERROR}
    return bool(errors) and errors <= OURS


def outcome(results: Sequence[ProbeResult]) -> Outcome:
    if not results or all(untested(r) for r in results):
        return Outcome.NOT_TESTED
    levels = [verdict(r) for r in results]
    if all(level is Verdict.GREEN for level in levels):
        return Outcome.ALL_GOOD
    if all(level is Verdict.RED for level in levels) and not any(map(untested, results)):
        return Outcome.ALL_FAILED
    return Outcome.SOME_FAILED
