"""Discovery as it happens: each source is heard when tried and when it answers, a
timeout is told apart from "no such record", and everything ends by the deadline."""

from __future__ import annotations

import time

from app.discovery.findings import DiscoveryFinding
from app.discovery.run import Trying
from app.models import Attempt, Source, TraceOutcome
from tests.discovery.conftest import ListVerifier
from tests.discovery.httpserver import Site, document, slow
from tests.discovery.test_pipeline import own_doc
from tests.slowdns import Rules, slow_nameserver


class Heard:
    """A listener that keeps what it hears, with the time since it was made."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.events: list[tuple[float, Trying | Attempt]] = []

    def __call__(self, event: Trying | Attempt) -> None:
        self.events.append((time.monotonic() - self.started, event))

    def tried(self) -> list[tuple[Source, str]]:
        return [(e.source, e.target) for _, e in self.events if isinstance(e, Trying)]

    def answered(self) -> list[tuple[Source, str]]:
        return [(e.source, e.target) for _, e in self.events if isinstance(e, Attempt)]


def outcome_of(trace: tuple[Attempt, ...], source: Source) -> set[TraceOutcome]:
    return {a.outcome for a in trace if a.source is source}


async def test_every_source_is_heard_when_tried_and_when_it_answers(  # type: ignore[no-untyped-def]
    make_discoverer, site: Site
) -> None:
    site.route("*", "/v1.1/guessme.test", document(b"not xml"))
    heard = Heard()
    result = await make_discoverer().discover("guessme.test", None, heard)
    assert sorted(heard.tried()) == sorted(heard.answered())  # each try answered once
    first = {key: i for i, key in reversed(list(enumerate(heard.tried())))}
    for i, (_, event) in enumerate(heard.events):
        if isinstance(event, Attempt):  # heard after its own start
            started = [j for j, (_, e) in enumerate(heard.events) if isinstance(e, Trying)
                       and (e.source, e.target) == (event.source, event.target)]  # fmt: skip
            assert started
            assert started[0] < i
    assert (Source.MX, "guessme.test") in first
    assert [e for _, e in heard.events if isinstance(e, Attempt)] == list(result.trace)
    assert outcome_of(result.trace, Source.ISPDB) == {TraceOutcome.INVALID}
    assert outcome_of(result.trace, Source.SRV) == {TraceOutcome.NO_RECORDS}


async def test_a_silent_nameserver_reads_as_a_timeout_not_as_no_records(  # type: ignore[no-untyped-def]
    make_discoverer, nameserver: str
) -> None:
    rules = Rules(silent=("quiet.test",))
    with slow_nameserver(nameserver, rules) as silent:
        discoverer = make_discoverer(
            verifier=ListVerifier(set()), deadline=2.0, dns_server=silent, dns_timeout=0.5
        )
        heard = Heard()
        started = time.monotonic()
        result = await discoverer.discover("quiet.test", None, heard)
        took = time.monotonic() - started
    assert result.config is None
    assert outcome_of(result.trace, Source.MX) == {TraceOutcome.DNS_TIMEOUT}
    assert outcome_of(result.trace, Source.SRV) == {TraceOutcome.DNS_TIMEOUT}
    assert DiscoveryFinding.DOMAIN_NOT_FOUND not in result.findings
    # Guessed hosts did not resolve in time either: said so, and nothing was probed.
    assert outcome_of(result.trace, Source.GUESS_VERIFIED) == {TraceOutcome.DNS_TIMEOUT}
    assert took < 2.0 + 1.0, f"discovery took {took:.2f} s with a 2 s deadline"
    assert heard.events[0][0] < 0.5  # the first source is heard at once


async def test_a_source_still_waiting_at_the_deadline_is_cut_off(  # type: ignore[no-untyped-def]
    make_discoverer, site: Site
) -> None:
    site.route("autoconfig.slow.test", "/mail/config-v1.1.xml", slow(seconds=5))
    site.route("*", "/v1.1/slow.test", document(own_doc("slow.test")))
    result = await make_discoverer(deadline=1.0).discover("slow.test", None)
    assert TraceOutcome.CUT_OFF in outcome_of(result.trace, Source.AUTOCONFIG)
    assert outcome_of(result.trace, Source.ISPDB) == {TraceOutcome.FOUND}


async def test_a_source_no_longer_needed_says_so(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route(
        "autoconfig.own.test",
        "/mail/config-v1.1.xml?emailaddress=me@own.test",
        document(own_doc("own.test")),
    )
    site.route("*", "/v1.1/own.test", slow(seconds=5))
    result = await make_discoverer().discover("own.test", "me@own.test")
    assert outcome_of(result.trace, Source.ISPDB) == {TraceOutcome.NOT_NEEDED}
    assert DiscoveryFinding.DISCOVERY_DEADLINE not in result.findings
