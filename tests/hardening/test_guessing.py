"""Password guessing through the live tester, against real servers that count the logins
they receive: the failed-login limit counts the login name sent to the server, each
server is a test, and what stops a guesser never locks out anyone else."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from app.settings import Settings
from tests.hardening.conftest import MakeClient
from tests.hardening.countingsmtp import CountingSmtp, run_counting_smtp
from tests.hardening.forms import post_form
from tests.realservers import PROBE_LOOPBACK, PROBE_LOOPBACK_ENV, free_tcp_port, serve_app
from tests.servers import USERS, WRONG_PASSWORD, Certificates

ALICE = "alice@mail.test"
LEAKY = "leaky@mail.test"
REFUSED = "The server refused the password for this username several times."


def via(n: int) -> dict[str, str]:
    """A request from client number ``n``, as the trusted proxy in front reports it."""
    return {"X-Forwarded-For": f"203.0.113.{n}"}


@pytest.fixture(scope="module")
def counting(certs: Certificates) -> Iterator[CountingSmtp]:
    with run_counting_smtp(certs) as server:
        yield server


@pytest.fixture
def smtp(counting: CountingSmtp) -> CountingSmtp:
    """The counting server, with no login received yet."""
    counting.reset()
    return counting


@pytest.fixture
def tester(make_client: MakeClient, certs: Certificates) -> MakeClient:
    """An app that reaches the test servers, behind a trusted proxy (many clients)."""

    async def make(**overrides: object) -> httpx.AsyncClient:
        return await make_client(
            **PROBE_LOOPBACK,
            probe_ca_file=certs.ca_file,
            probe_deadline=10.0,
            trusted_proxies="127.0.0.1/32",
            **overrides,
        )

    return make


def assert_429(r: httpx.Response, limit: str) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["limit"] == limit


def statuses(responses: list[httpx.Response]) -> list[int | str]:
    """200, or the name of the limit that refused."""
    return [r.json()["limit"] if r.status_code == 429 else r.status_code for r in responses]


# -- 1. the failed-login limit counts the login name sent to the server -------------------


async def test_many_addresses_with_one_username_are_one_login(
    tester: MakeClient, smtp: CountingSmtp
) -> None:
    """Ten addresses, ten clients, one victim: five guesses reach the server, then 429."""
    c = await tester()  # the defaults: 5 refused logins per 15 minutes
    names = ["alice@mail.test", "Alice@MAIL.test", "alice", " ALICE "]
    answers = []
    for n in range(10):
        body = {
            "email": f"guesser{n}@mail.test",
            "username": names[n % len(names)],
            "password": f"{WRONG_PASSWORD} {n}",
            "servers": [smtp.server()],
        }
        answers.append(await c.post("/api/v1/test", json=body, headers=via(n)))
    assert statuses(answers) == [200] * 5 + ["auth-failure"] * 5
    assert smtp.received() == 5
    refused = answers[-1]
    assert_429(refused, "auth-failure")
    assert REFUSED in refused.json()["detail"]
    assert refused.headers["cache-control"] == "no-store"
    # Another login on the same server is not affected.
    other = {"email": LEAKY, "password": USERS[LEAKY], "servers": [smtp.server()]}
    r = await c.post("/api/v1/test", json=other, headers=via(50))
    assert r.json()["ok"] is True
    # The /test page says why, in the visitor's language, and nothing is sent.
    c.headers.update({"Accept": "text/html", "Accept-Language": "zh-TW"})
    line = f"smtp:mail.test:{smtp.port}:tls"
    form = {"email": ALICE, "password": USERS[ALICE], "servers": line}
    page = await post_form(c, form)
    assert page.status_code == 429
    assert "伺服器多次拒絕了這個使用者名稱的密碼" in page.text
    assert smtp.received() == 6


async def test_every_refusing_server_counts_and_the_limit_holds_before_connecting(
    tester: MakeClient, smtp: CountingSmtp, dovecot: dict[str, int]
) -> None:
    """Three servers of one provider refuse each guess: the second guess is the last."""
    c = await tester()
    servers = [
        smtp.server(),
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imaps"], "security": "tls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3s"], "security": "tls"},
    ]
    wrong = {"email": ALICE, "password": WRONG_PASSWORD, "servers": servers}
    for n in range(2):
        r = await c.post("/api/v1/test", json=wrong, headers=via(n))
        assert [x["auth"]["status"] for x in r.json()["results"]] == ["failed"] * 3
        assert {f["code"] for x in r.json()["results"] for f in x["findings"]} >= {"auth-failed"}
    assert smtp.received() == 2
    # Six refusals: even the right password waits, and no server hears of it.
    right = {**wrong, "password": USERS[ALICE], "servers": servers[:1]}
    assert_429(await c.post("/api/v1/test", json=right, headers=via(9)), "auth-failure")
    ndjson = {**via(9), "Accept": "application/x-ndjson"}
    assert_429(await c.post("/api/v1/test", json=right, headers=ndjson), "auth-failure")
    assert smtp.received() == 2


async def test_only_a_refusal_of_the_credentials_counts(
    tester: MakeClient, smtp: CountingSmtp, dovecot: dict[str, int]
) -> None:
    """Connection failures, TLS problems and APOP refusals are no guesses."""
    c = await tester(rate_limit_auth_failure="2/15 minutes", rate_limit_test_account="99/minute")
    closed = free_tcp_port()  # nothing listens there
    kinds = {
        "connection": ("imap", "mail.test", closed, "tls"),
        # Dovecot's certificate names mail.test: the password is never sent.
        "tls": ("imap", "guessme.test", dovecot["imaps"], "tls"),
        # Without TLS the tester sends only an APOP digest, and Dovecot refuses it.
        "apop": ("pop3", "mail.test", dovecot["pop3"], "none"),
    }
    for n, (kind, (protocol, host, port, security)) in enumerate(kinds.items()):
        server = {"protocol": protocol, "host": host, "port": port, "security": security}
        for attempt in range(4):
            body = {"email": ALICE, "password": WRONG_PASSWORD, "servers": [server]}
            r = await c.post("/api/v1/test", json=body, headers=via(10 * n + attempt))
            assert r.status_code == 200, (kind, r.text)
            (result,) = r.json()["results"]
            if kind == "apop":
                assert result["auth"] == {**result["auth"], "status": "failed", "mechanism": "apop"}
                assert result["findings"][0]["code"] == "apop-refused"
            else:
                assert result["auth"]["status"] == "not-attempted", kind
    # A refusal of the password itself still counts.
    body = {"email": ALICE, "password": WRONG_PASSWORD, "servers": [smtp.server()]}
    for n in range(2):
        assert (await c.post("/api/v1/test", json=body, headers=via(40 + n))).status_code == 200
    assert_429(await c.post("/api/v1/test", json=body, headers=via(42)), "auth-failure")


async def test_guesses_sent_at_once_wait_their_turn(tester: MakeClient, smtp: CountingSmtp) -> None:
    """Twelve clients guess one login at the same moment, then twelve more one by one:
    the server never hears more than the limit allows."""
    c = await tester()
    smtp.quit_delay = 0.3  # each test takes a while: they overlap

    def guess(n: int) -> dict[str, object]:
        return {"email": ALICE, "password": f"guess {n}", "servers": [smtp.server()]}

    at_once = await asyncio.gather(
        *(c.post("/api/v1/test", json=guess(n), headers=via(n)) for n in range(12))
    )
    assert "login-busy" in statuses(list(at_once))
    assert statuses(list(at_once)).count(200) <= 5
    later = [await c.post("/api/v1/test", json=guess(n), headers=via(n)) for n in range(12, 24)]
    assert statuses(later)[-1] == "auth-failure"
    assert smtp.received() == 5
    busy = next(r for r in at_once if r.status_code == 429)
    assert "still running" in busy.json()["detail"]


def test_hanging_up_once_the_login_failed_still_counts(
    smtp: CountingSmtp, certs: Certificates, nameserver: str, tmp_path: Path
) -> None:
    """A guesser reads the stream until the login step fails, then hangs up before the
    result: the refusal counts all the same (a real service process, real HTTP)."""
    env = {
        **os.environ,
        **PROBE_LOOPBACK_ENV,
        "MAILSETUP_PROBE_CA_FILE": str(certs.ca_file),
        "MAILSETUP_DNS_SERVERS": nameserver,
        "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
        "MAILSETUP_RATE_LIMIT_AUTH_FAILURE": "2/15 minutes",
    }
    smtp.quit_delay = 2.0  # the result comes two seconds after the login's verdict
    body = {"email": ALICE, "password": WRONG_PASSWORD, "servers": [smtp.server()]}
    ndjson = {"Accept": "application/x-ndjson"}

    def guess(http: httpx.Client, url: str) -> int | str:
        """Guess and hang up once the login failed; wait while the last guess runs."""
        deadline = time.monotonic() + 10
        while True:
            with http.stream("POST", f"{url}/api/v1/test", json=body, headers=ndjson) as r:
                if r.status_code != 200:
                    r.read()
                    if r.json()["limit"] == "login-busy" and time.monotonic() < deadline:
                        time.sleep(0.1)  # the service has yet to notice the last hang-up
                        continue
                    return str(r.json()["limit"])
                for line in r.iter_lines():
                    event = json.loads(line)
                    if event["type"] == "step" and event["step"]["name"] == "login":
                        assert event["step"]["ok"] is False
                        return 200  # hang up before the result
            raise AssertionError("the stream ended without a login step")

    with serve_app(env, tmp_path / "service.log") as url, httpx.Client(timeout=10) as http:
        assert [guess(http, url) for _ in range(3)] == [200, 200, "auth-failure"]
    assert smtp.received() == 2


# -- 2. each server is a test --------------------------------------------------------------


async def test_each_server_counts_against_the_client(
    tester: MakeClient, smtp: CountingSmtp, dovecot: dict[str, int]
) -> None:
    c = await tester(rate_limit_test="4/minute")
    three = [
        smtp.server(),
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imaps"], "security": "tls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3s"], "security": "tls"},
    ]
    body = {"email": ALICE, "password": USERS[ALICE], "servers": three}
    assert (await c.post("/api/v1/test", json=body, headers=via(1))).json()["ok"] is True
    # Two more would be five: the whole test is refused, and no server is contacted.
    two = {**body, "servers": three[:2]}
    assert_429(await c.post("/api/v1/test", json=two, headers=via(1)), "test")
    assert smtp.received() == 1
    one = {**body, "servers": three[:1]}
    assert (await c.post("/api/v1/test", json=one, headers=via(1))).json()["ok"] is True
    assert_429(await c.post("/api/v1/test", json=one, headers=via(1)), "test")
    assert (await c.post("/api/v1/test", json=one, headers=via(2))).status_code == 200


async def test_each_server_counts_against_its_target(
    tester: MakeClient, smtp: CountingSmtp, dovecot: dict[str, int]
) -> None:
    c = await tester(rate_limit_test_host="4/minute")
    three = [
        smtp.server(),
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imaps"], "security": "tls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3s"], "security": "tls"},
    ]
    body = {"email": ALICE, "password": USERS[ALICE], "servers": three}
    assert (await c.post("/api/v1/test", json=body, headers=via(1))).status_code == 200
    two = {**body, "servers": three[:2]}
    assert_429(await c.post("/api/v1/test", json=two, headers=via(2)), "test-host")
    assert smtp.received() == 1
    # Another registrable domain is another target.
    elsewhere = {**body, "servers": [smtp.server("smtp.guessme.test")]}
    assert (await c.post("/api/v1/test", json=elsewhere, headers=via(2))).status_code == 200


async def test_a_test_lists_at_most_eight_servers_each_once(
    tester: MakeClient, smtp: CountingSmtp
) -> None:
    c = await tester()
    nowhere = [
        {"protocol": "imap", "host": f"192.0.2.{n}", "port": 993, "security": "tls"}
        for n in range(1, 10)
    ]  # the guard refuses them all: nothing connects
    body = {"email": ALICE, "password": "x", "servers": nowhere}
    assert (await c.post("/api/v1/test", json=body)).status_code == 422
    eight = {**body, "servers": nowhere[:8]}
    assert (await c.post("/api/v1/test", json=eight)).status_code == 200
    # The same protocol, host, port and security twice, however the host is written.
    twice = [smtp.server(), {**smtp.server(), "host": "MAIL.test."}]
    r = await c.post("/api/v1/test", json={**body, "servers": twice})
    assert r.status_code == 422
    assert "listed twice" in r.text
    other_host = [smtp.server(), smtp.server("smtp.guessme.test")]
    r = await c.post("/api/v1/test", json={**body, "servers": other_host}, headers=via(3))
    assert r.status_code == 200
    assert smtp.received() == 2
    # The form says so in the visitor's language.
    c.headers.update({"Accept": "text/html", "Accept-Language": "zh-CN"})
    line = f"smtp:mail.test:{smtp.port}:tls"
    page = await post_form(c, {"email": ALICE, "password": "x", "servers": f"{line}\n{line}"})
    assert page.status_code == 422
    assert f"{line} 列出了两次" in page.text
    lines = "\n".join(f"imap:192.0.2.{n}:993:tls" for n in range(1, 10))
    page = await post_form(c, {"email": ALICE, "password": "x", "servers": lines})
    assert page.status_code == 422
    assert "最多列出 8 台服务器" in page.text
    assert smtp.received() == 2


# -- 3. a per-target limit is no lockout tool ----------------------------------------------


async def test_an_innocent_user_is_not_locked_out_by_sprayers_of_the_same_target(
    tester: MakeClient, smtp: CountingSmtp
) -> None:
    """Seven addresses spray nine tests each at one provider: its users still get in."""
    c = await tester()  # the defaults

    async def spray(client: int) -> list[int | str]:
        answers = []
        for n in range(9):
            body = {
                "email": f"user{client}x{n}@mail.test",
                "password": WRONG_PASSWORD,
                "servers": [smtp.server()],
            }
            answers.append(await c.post("/api/v1/test", json=body, headers=via(client)))
        return statuses(answers)

    sprayed = await asyncio.gather(*(spray(client) for client in range(1, 8)))
    assert sprayed == [[200] * 9] * 7
    innocent = {"email": LEAKY, "password": USERS[LEAKY], "servers": [smtp.server()]}
    r = await c.post("/api/v1/test", json=innocent, headers=via(100))
    assert r.status_code == 200
    assert r.json()["ok"] is True


async def test_one_client_is_limited_per_target_and_no_one_else(
    tester: MakeClient, smtp: CountingSmtp
) -> None:
    c = await tester(rate_limit_test="100/minute")  # per client and target: the default 20

    def body(n: int, host: str = "mail.test") -> dict[str, object]:
        return {"email": f"u{n}@mail.test", "password": "x", "servers": [smtp.server(host)]}

    answers = [await c.post("/api/v1/test", json=body(n), headers=via(1)) for n in range(21)]
    assert statuses(answers) == [200] * 20 + ["test-client-host"]
    assert "You have tested this server many times" in answers[-1].json()["detail"]
    assert smtp.received() == 20
    assert (await c.post("/api/v1/test", json=body(30), headers=via(2))).status_code == 200
    other = body(31, "smtp.guessme.test")
    assert (await c.post("/api/v1/test", json=other, headers=via(1))).status_code == 200


# -- 4. a test that names its servers needs no discovery ---------------------------------


def discoveries_that_left() -> float:
    """Discoveries this process ran past the database and the cache, so far."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if sample.name == "mailsetup_discoveries_total"
        and sample.labels == {**sample.labels, "cached": "false"}
        and sample.labels["source"] != "database"
    )


async def test_a_test_that_names_its_servers_starts_no_discovery(
    tester: MakeClient, smtp: CountingSmtp
) -> None:
    c = await tester(rate_limit_discovery_domain_all="1/minute")
    # Someone has spent the domain's discoveries with random subdomains.
    assert (await c.get("/api/v1/lookup?domain=a.nowhere.test", headers=via(1))).status_code == 404
    r = await c.get("/api/v1/lookup?domain=b.nowhere.test", headers=via(2))
    assert r.json()["limit"] == "discovery-domain-all"
    before = discoveries_that_left()
    body = {
        "email": "me@c.nowhere.test",
        "username": ALICE,
        "password": USERS[ALICE],
        "servers": [smtp.server()],
    }
    r = await c.post("/api/v1/test", json=body, headers=via(3))
    assert r.json()["ok"] is True
    assert discoveries_that_left() == before
    # The provider's reading of a refusal still comes from the database and the cache.
    assert (await c.get("/api/v1/lookup?domain=gw.test", headers=via(4))).status_code == 200
    before = discoveries_that_left()
    for email, code in (
        ("me@qq.com", "auth-needs-authorization-code"),
        ("me@gw.test", "auth-needs-app-password"),
    ):
        wrong = {"email": email, "password": WRONG_PASSWORD, "servers": [smtp.server()]}
        r = await c.post("/api/v1/test", json=wrong, headers=via(5))
        (result,) = r.json()["results"]
        assert result["findings"][0]["code"] == code, result["findings"]
    assert discoveries_that_left() == before


def test_the_defaults_are_the_documented_ones() -> None:
    s = Settings()
    assert (s.rate_limit_test, s.rate_limit_test_client_host) == ("10/minute", "20/minute")
    assert (s.rate_limit_test_host, s.rate_limit_auth_failure) == ("600/minute", "5/15 minutes")
    assert (s.rate_limit_discovery_domain, s.rate_limit_discovery_domain_all) == (
        "20/minute",
        "200/minute",
    )
