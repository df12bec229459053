"""The discovery trace in words: each common detail maps to its own outcome."""

from __future__ import annotations

import pytest

from app.models import Attempt, Source
from app.web.http.tracewords import (
    SOURCE_SHORT_LABELS,
    attempt_outcome,
    outcome_says_it_all,
)


def _attempt(detail: str, ok: bool = False, source: Source = Source.AUTOCONFIG) -> Attempt:
    return Attempt(source=source, target="example.test", ok=ok, duration_ms=1.0, detail=detail)


@pytest.mark.parametrize(
    ("detail", "outcome"),
    [
        ("example.test does not exist", "the name does not exist in DNS"),
        ("example.test has no MX records", "no such DNS records"),
        ("no SRV records", "no such DNS records"),
        ("no DNS answer for example.test MX within 1 s", "the DNS lookup failed"),
        ("DNS failed for example.test: All nameservers failed", "the DNS lookup failed"),
        ("imap.example.test:993: [Errno -2] Name or service not known",
         "the host name could not be resolved"),
        ("example.test:443: name does not resolve: example.test has no A records",
         "the host name could not be resolved"),
        ("https://example.test/x: timed out (ConnectTimeout)", "no answer in time"),
        ("imap.example.test:993: Connection refused", "the connection was refused"),
        ("https://example.test/x: [SSL: CERTIFICATE_VERIFY_FAILED]",
         "the secure connection (TLS) failed"),
        ("https://example.test/x answered HTTP 404", "not found (HTTP 404)"),
        ("https://example.test/x answered HTTP 500", "the web server answered with an error"),
        ("not well-formed XML: mismatched tag", "the file was not valid autoconfig"),
        ("10.0.0.1 is not globally routable",
         "the address is not a public one, so we did not connect"),
        ("http://127.0.0.1:9/x: All connection attempts failed", "the connection failed"),
        ("something nobody expected", "failed"),
        ("", "nothing found"),
    ],
)  # fmt: skip
def test_failed_attempts_read_as_their_cause(detail: str, outcome: str) -> None:
    assert attempt_outcome(_attempt(detail)) == outcome


def test_successful_attempts() -> None:
    assert attempt_outcome(_attempt("", ok=True)) == "found"
    mx = _attempt("mx.qq.com belongs to qq.com", ok=True, source=Source.MX)
    assert attempt_outcome(mx) == "found: the MX host belongs to a known provider"
    guessed = _attempt("confirmed", ok=True, source=Source.GUESS_VERIFIED)
    assert attempt_outcome(guessed) == "confirmed: the server answered as expected"
    assert outcome_says_it_all(guessed)
    assert not outcome_says_it_all(_attempt("no SRV records"))


def test_every_source_has_a_short_label() -> None:
    assert set(SOURCE_SHORT_LABELS) == set(Source)
