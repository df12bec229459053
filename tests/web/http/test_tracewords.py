"""The discovery trace in words: every outcome code has its own words."""

from __future__ import annotations

from app.models import Attempt, Source, TraceOutcome
from app.web.http.tracewords import (
    OUTCOME_WORDS,
    SOURCE_SHORT_LABELS,
    attempt_outcome,
    outcome_says_it_all,
)


def _attempt(outcome: TraceOutcome, detail: str = "") -> Attempt:
    return Attempt(
        source=Source.SRV,
        target="example.test",
        ok=False,
        duration_ms=1.0,
        outcome=outcome,
        detail=detail,
    )


def test_every_outcome_has_its_own_words() -> None:
    assert set(OUTCOME_WORDS) == set(TraceOutcome)
    assert len(set(OUTCOME_WORDS.values())) == len(TraceOutcome)


def test_a_timeout_is_not_told_as_no_records() -> None:
    timed_out = attempt_outcome(_attempt(TraceOutcome.DNS_TIMEOUT, "no DNS answer"))
    assert timed_out == "no DNS answer in time, so we cannot say whether records exist"
    assert attempt_outcome(_attempt(TraceOutcome.NO_RECORDS)) == "no such DNS records"
    assert attempt_outcome(_attempt(TraceOutcome.NO_SUCH_NAME)) == "the name does not exist in DNS"


def test_the_detail_is_shown_only_where_it_adds_something() -> None:
    assert outcome_says_it_all(_attempt(TraceOutcome.CONFIRMED, "confirmed"))
    assert outcome_says_it_all(_attempt(TraceOutcome.CUT_OFF, "anything"))
    assert outcome_says_it_all(_attempt(TraceOutcome.NO_RECORDS))
    assert not outcome_says_it_all(_attempt(TraceOutcome.NO_RECORDS, "no SRV records"))


def test_every_source_has_a_short_label() -> None:
    assert set(SOURCE_SHORT_LABELS) == set(Source)
