"""The live tester through the API, the NDJSON stream and the page, against real servers."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from app.settings import Settings
from tests.hardening.forms import post_form
from tests.leaks import secret_forms_plain
from tests.realservers import PROBE_LOOPBACK
from tests.sample_data import provider_toml
from tests.servers import USERS, WRONG_PASSWORD, Certificates, SmtpServers

ALICE = "alice@mail.test"
LEAKY = "leaky@mail.test"


def servers(dovecot: dict[str, int], smtpd: SmtpServers) -> list[dict[str, object]]:
    """Six endpoints: IMAP and POP3 with STARTTLS and implicit TLS, SMTP both ways."""
    return [
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imaps"], "security": "tls"},
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imap"], "security": "starttls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3s"], "security": "tls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3"], "security": "starttls"},
        {"protocol": "smtp", "host": "mail.test", "port": smtpd.implicit, "security": "tls"},
        {"protocol": "smtp", "host": "mail.test", "port": smtpd.starttls, "security": "starttls"},
    ]


@pytest.fixture
async def live(
    client_for,
    data_dir_factory,
    settings: Settings,
    certs: Certificates,  # type: ignore[no-untyped-def]
    dovecot: dict[str, int],
    smtpd: SmtpServers,
) -> httpx.AsyncClient:
    """The app with loopback allowed (127.0.0.1/32 only), the test CA trusted, and a
    provider file for mail.test whose servers are the local Dovecot and aiosmtpd."""
    rows = tuple(
        (s["protocol"], s["host"], s["port"], s["security"]) for s in servers(dovecot, smtpd)
    )
    data = data_dir_factory(
        {"mail.test.toml": provider_toml("mail.test", domains=("mail.test",), servers=rows)}
    )  # type: ignore[arg-type]
    client: httpx.AsyncClient = await client_for(
        data,
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=10.0,
        rate_limit_test="100/minute",  # six servers a test, several tests: not a limit test
    )
    return client


async def test_right_and_wrong_password_on_every_endpoint(
    live: httpx.AsyncClient, dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    body = {"email": ALICE, "password": USERS[ALICE], "servers": servers(dovecot, smtpd)}
    r = await live.post("/api/v1/test", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    report = r.json()
    assert [x["ok"] for x in report["results"]] == [True] * 6, report
    assert report["ok"] is True
    for result in report["results"]:
        assert {
            "protocol",
            "host",
            "port",
            "security",
            "ok",
            "steps",
            "tls",
            "findings",
            "transcript",
        } <= set(result)
        assert result["tls"]["version"].startswith("TLSv1.")
    wrong = await live.post("/api/v1/test", json={**body, "password": WRONG_PASSWORD})
    results = wrong.json()["results"]
    assert [x["ok"] for x in results] == [False] * 6
    for result in results:
        codes = {f["code"] for f in result["findings"]}
        assert any(code.startswith("auth") for code in codes), result["findings"]


async def test_without_servers_the_lookup_endpoints_are_tested(live: httpx.AsyncClient) -> None:
    r = await live.post("/api/v1/test", json={"email": ALICE, "password": USERS[ALICE]})
    assert r.status_code == 200
    assert [x["ok"] for x in r.json()["results"]] == [True] * 6


async def test_ndjson_stream(live: httpx.AsyncClient) -> None:
    body = {"email": ALICE, "password": USERS[ALICE]}
    async with live.stream(
        "POST", "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
    ) as r:
        assert r.headers["content-type"].startswith("application/x-ndjson")
        assert r.headers["cache-control"] == "no-store"
        events = [json.loads(line) async for line in r.aiter_lines() if line]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start"
    assert kinds[-1] == "report"
    assert kinds.count("result") == 6
    assert kinds.count("step") >= 6 * 3
    # The probes run at once: every server has reported a step before the first one ends.
    first_result = kinds.index("result")
    started = {e["server"] for e in events[:first_result] if e["type"] == "step"}
    assert started == set(range(6))
    assert events[-1]["ok"] is True


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"email": "nope", "password": "x"}, "has no @"),
        ({"email": ALICE}, "password"),
        ({"email": ALICE, "password": ""}, "password"),
        (
            {
                "email": ALICE,
                "password": "p",
                "servers": [{"protocol": "gopher", "host": "h.test", "port": 1, "security": "tls"}],
            },
            "protocol",
        ),
        (
            {
                "email": ALICE,
                "password": "p",
                "servers": [
                    {"protocol": "imap", "host": "bad host", "port": 993, "security": "tls"}
                ],
            },
            "host",
        ),
        ({"email": ALICE, "password": "p", "extra": 1}, "extra"),
    ],
)
async def test_bad_input_gets_422_without_echoing_it(
    live: httpx.AsyncClient, body: dict[str, object], says: str
) -> None:
    secret = 'SECRET"pass wörd'
    if body.get("password"):
        body = {**body, "password": secret}
    r = await live.post("/api/v1/test", json=body)
    assert r.status_code == 422
    assert says in r.text
    assert secret not in r.text
    assert "SECRET" not in r.text


async def test_refused_targets_are_diagnosed(
    live: httpx.AsyncClient, dovecot: dict[str, int]
) -> None:
    body = {
        "email": ALICE,
        "password": USERS[ALICE],
        "servers": [
            {"protocol": "imap", "host": "10.0.0.1", "port": 993, "security": "tls"},
            {"protocol": "imap", "host": "127.0.0.2", "port": dovecot["imaps"], "security": "tls"},
            {"protocol": "imap", "host": "private.test", "port": 993, "security": "tls"},
        ],
    }
    r = await live.post("/api/v1/test", json=body)
    for result in r.json()["results"]:
        assert result["ok"] is False
        assert "guard-refused" in {f["code"] for f in result["findings"]}, result


async def test_the_password_appears_nowhere(
    live: httpx.AsyncClient,
    dovecot: dict[str, int],
    smtpd: SmtpServers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = USERS[LEAKY]
    body = {"email": LEAKY, "password": password, "servers": servers(dovecot, smtpd)}
    plain = await live.post("/api/v1/test", json=body)
    streamed = await live.post(
        "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
    )
    page = await post_form(live, {"email": LEAKY, "password": password})
    wrong = await live.post("/api/v1/test", json={**body, "password": password + "x"})
    assert [x["ok"] for x in plain.json()["results"]] == [True] * 6
    assert page.status_code == 200
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for form in secret_forms_plain(LEAKY, password) | secret_forms_plain(LEAKY, password + "x"):
        for where, text in (
            ("api", plain.text),
            ("stream", streamed.text),
            ("page", page.text),
            ("wrong", wrong.text),
            ("logs", logs),
        ):
            assert form not in text, (where, form)


async def test_page(live: httpx.AsyncClient) -> None:
    form = await live.get("/test")
    assert form.status_code == 200
    assert 'type="password"' in form.text
    assert 'method="post"' in form.text
    ok = await post_form(live, {"email": ALICE, "password": USERS[ALICE]})
    assert ok.status_code == 200
    assert ok.headers["cache-control"] == "no-store"
    assert '<h2 id="report-h">Everything works</h2>' in ok.text
    assert "Transcript" in ok.text
    bad = await post_form(live, {"email": ALICE, "password": WRONG_PASSWORD})
    assert '<h2 id="report-h">Every server failed the test</h2>' in bad.text
    assert "Fix:" in bad.text
    invalid = await post_form(
        live, {"email": ALICE, "password": "x", "servers": "imap:mail.test:notaport:tls"}
    )
    assert invalid.status_code == 422
    assert "port must be a number" in invalid.text


async def test_an_unencrypted_server_is_never_everything_works(
    live: httpx.AsyncClient, dovecot: dict[str, int]
) -> None:
    # APOP logs in without sending the password, but the mail would still go in clear.
    plain = {
        "email": ALICE,
        "password": USERS[ALICE],
        "servers": f"pop3:mail.test:{dovecot['pop3']}:none",
    }
    english = await post_form(live, plain)
    assert english.status_code == 200
    assert 'data-verdict="amber"' in english.text
    assert '<h2 id="report-h">Some servers need attention</h2>' in english.text
    assert "is not encrypted" in english.text
    live.cookies.set("lang", "zh-Hant")
    traditional = await post_form(live, plain)
    assert "連線未加密" in traditional.text  # the finding in 繁體中文, not 简体中文
    assert "连接未加密" not in traditional.text
    server = {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3"], "security": "none"}
    api = await live.post(
        "/api/v1/test", json={"email": ALICE, "password": USERS[ALICE], "servers": [server]}
    )
    (result,) = api.json()["results"]
    assert result["ok"] is True
    assert [f["code"] for f in result["findings"]] == ["connection-unencrypted"]
