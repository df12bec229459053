"""One headline per test, the same on the page without JavaScript and in the stream the
script draws from, for each outcome; and a service that cannot reach the mail servers
says so instead of blaming the visitor. Real servers: Dovecot, aiosmtpd, dnsmasq, a
refused port and a DNS server that never answers."""

from __future__ import annotations

import html
import json
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.hardening.forms import post_form
from tests.realservers import PROBE_LOOPBACK
from tests.sample_data import provider_toml
from tests.servers import USERS, WRONG_PASSWORD, Certificates, SmtpServers, refused_port

ALICE = "alice@mail.test"
GONE = "alice@offline.test"  # its provider file names hosts that do not resolve
HEADLINE = re.compile(
    r'<section class="report"[^>]* data-outcome="([^"]*)">\s*<h2 id="report-h">([^<]*)</h2>'
)
HEADLINES = {
    "all-good": "Everything works",
    "some-failed": "Some servers need attention",
    "all-failed": "Every server failed the test",
    "not-tested": "We could not test your settings",
}
OFFLINE = "We can't reach the mail servers right now"


@dataclass
class Report:
    """One test as the page without JavaScript shows it and as the stream ends."""

    outcome: str
    headline: str
    page: str
    streamed: dict[str, object]

    @property
    def codes(self) -> list[list[str]]:
        results = self.streamed["results"]
        assert isinstance(results, list)
        return [[f["code"] for f in r["findings"]] for r in results]


async def run(client: httpx.AsyncClient, email: str, password: str, servers: list[str]) -> Report:
    form = {"email": email, "password": password, "servers": "\n".join(servers)}
    page = await post_form(client, form)
    assert page.status_code == 200, page.text
    found = HEADLINE.search(page.text)
    assert found, "the page has no report headline"
    body: dict[str, object] = {"email": email, "password": password}
    if servers:
        body["servers"] = [
            dict(zip(("protocol", "host", "port", "security"), s.split(":"), strict=True))
            for s in servers
        ]
    async with client.stream(
        "POST", "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
    ) as r:
        events = [json.loads(line) async for line in r.aiter_lines() if line]
    assert events[-1]["type"] == "report"
    report = Report(found.group(1), found.group(2), html.unescape(page.text), events[-1])
    # The streamed page takes its headline from the same outcome.
    assert report.outcome == events[-1]["outcome"]
    assert report.headline == HEADLINES[report.outcome]
    streamed = {e["server"]: e["result"] for e in events if e["type"] == "result"}
    assert [streamed[i] for i in range(len(streamed))] == events[-1]["results"]
    return report


def offline_count(evidence: str) -> float:
    labels = {"evidence": evidence}
    return REGISTRY.get_sample_value("mailsetup_test_service_offline_total", labels) or 0.0


@pytest.fixture
def silent_dns() -> Iterator[str]:
    """A DNS server that never answers: a UDP port that is bound and never read."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def app_with(
    client_for,
    data_dir_factory,
    certs: Certificates,  # type: ignore[no-untyped-def]
    dovecot: dict[str, int],
    smtpd: SmtpServers,
):  # type: ignore[no-untyped-def]
    """An app factory: loopback allowed, the test CA trusted, and two providers, mail.test
    (the local Dovecot and aiosmtpd) and offline.test (names under .test that dnsmasq
    answers with NXDOMAIN)."""
    mail = (
        ("imap", "mail.test", dovecot["imaps"], "tls"),
        ("smtp", "mail.test", smtpd.implicit, "tls"),
    )
    gone = (
        ("imap", "imap.offline.test", dovecot["imaps"], "tls"),
        ("smtp", "smtp.offline.test", smtpd.implicit, "tls"),
    )
    data = data_dir_factory(
        {
            "mail.test.toml": provider_toml("mail.test", domains=("mail.test",), servers=mail),
            "offline.test.toml": provider_toml(
                "offline.test", domains=("offline.test",), servers=gone
            ),
        }
    )

    async def make(**overrides: object) -> httpx.AsyncClient:
        client: httpx.AsyncClient = await client_for(
            data,
            **PROBE_LOOPBACK,
            probe_ca_file=certs.ca_file,
            probe_deadline=10.0,
            rate_limit_test="100/minute",
            **overrides,
        )
        return client

    return make


async def test_all_good(app_with, dovecot: dict[str, int], smtpd: SmtpServers) -> None:  # type: ignore[no-untyped-def]
    client = await app_with()
    servers = [f"imap:mail.test:{dovecot['imaps']}:tls", f"smtp:mail.test:{smtpd.implicit}:tls"]
    report = await run(client, ALICE, USERS[ALICE], servers)
    assert report.outcome == "all-good"


async def test_some_failed(app_with, dovecot: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    client = await app_with()
    with refused_port() as port:
        servers = [f"imap:mail.test:{dovecot['imaps']}:tls", f"imap:mail.test:{port}:tls"]
        report = await run(client, ALICE, USERS[ALICE], servers)
    assert report.outcome == "some-failed"
    assert report.codes == [[], ["connection-refused"]]


async def test_all_failed(app_with, dovecot: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    client = await app_with()
    with refused_port() as port:
        servers = [f"imap:mail.test:{dovecot['imaps']}:tls", f"smtp:mail.test:{port}:tls"]
        report = await run(client, ALICE, WRONG_PASSWORD, servers)
    assert report.outcome == "all-failed"
    assert report.codes[1] == ["connection-refused"]


async def test_a_database_host_we_cannot_resolve_is_our_fault(
    app_with,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The QQ case: our own provider file names the servers, and our DNS says they do not
    exist. The visitor is not told to check the spelling of a name they never typed."""
    client = await app_with()
    before = offline_count("database-host")
    with caplog.at_level(logging.WARNING, logger="app.livetest.selfcheck"):
        report = await run(client, GONE, USERS[ALICE], [])
    assert report.outcome == "not-tested"
    assert report.codes == [["service-offline"], ["service-offline"]]
    assert OFFLINE in report.page
    assert "does not exist in DNS" not in report.page  # the technical steps still quote DNS
    assert "spelling" not in report.page
    assert report.page.count('<span class="verdict">Not tested</span>') == 2
    results = report.streamed["results"]
    assert isinstance(results, list)
    assert all(r["untested"] for r in results)
    assert offline_count("database-host") == before + 2  # the page, then the stream
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert "imap.offline.test" in warnings[0]
    assert USERS[ALICE] not in " ".join(warnings)


async def test_a_dns_server_that_never_answers_is_our_fault(
    app_with,  # type: ignore[no-untyped-def]
    silent_dns: str,
    dovecot: dict[str, int],
    smtpd: SmtpServers,
) -> None:
    """Servers the visitor typed, all timing out in our DNS: nothing was tested."""
    client = await app_with(dns_servers=(silent_dns,), dns_timeout=0.5)
    before = offline_count("every-server")
    # Names no provider file lists (with the usual DNS, example.test is 127.0.0.1).
    servers = [
        f"imap:example.test:{dovecot['imaps']}:tls",
        f"smtp:example.test:{smtpd.implicit}:tls",
    ]
    report = await run(client, ALICE, USERS[ALICE], servers)
    assert report.outcome == "not-tested"
    assert report.codes == [["service-offline"], ["service-offline"]]
    assert "This network" not in report.page
    assert "this network" not in report.page
    assert offline_count("every-server") == before + 2


async def test_a_name_the_visitor_typed_that_does_not_exist_stays_theirs(
    app_with,  # type: ignore[no-untyped-def]
    dovecot: dict[str, int],
) -> None:
    client = await app_with()
    before = offline_count("every-server") + offline_count("database-host")
    report = await run(client, ALICE, USERS[ALICE], [f"imap:nowhere.test:{dovecot['imaps']}:tls"])
    assert report.outcome == "all-failed"
    assert report.codes == [["dns-not-found"]]
    assert "does not exist in DNS" in report.page
    assert offline_count("every-server") + offline_count("database-host") == before


async def test_a_qq_user_is_not_told_to_check_the_spelling(client: httpx.AsyncClient) -> None:
    """The shipped provider database, and a DNS server (dnsmasq, with nowhere to forward)
    that refuses every name outside .test, as a resolver cut off from the internet does."""
    report = await run(client, "someone@qq.com", "an authorization code", [])
    assert report.outcome == "not-tested"
    assert {code for codes in report.codes for code in codes} == {"service-offline"}
    assert "does not exist in DNS" not in report.page
    assert "spelling" not in report.page
