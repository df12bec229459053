"""``POST /api/v1/test`` with an OAuth2 access token instead of a password, against
Dovecot with its oauth2 passdb and aiosmtpd answering like Gmail; the token is looked
for in every response and log line."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from app.settings import Settings
from tests.leaks import assert_no_token
from tests.oauthservers import TOKEN_FOR, UNKNOWN_TOKEN, DovecotOAuth, OAuthSmtpServers
from tests.realservers import PROBE_LOOPBACK
from tests.servers import Certificates

ALICE = "alice@mail.test"


def servers(dovecot: DovecotOAuth, smtpd: OAuthSmtpServers) -> list[dict[str, object]]:
    rows = [
        ("imap", dovecot["imaps"], "tls"),
        ("pop3", dovecot["pop3"], "starttls"),
        ("smtp", dovecot["submissions"], "tls"),
        ("smtp", smtpd.starttls, "starttls"),
    ]
    return [
        {"protocol": protocol, "host": "mail.test", "port": port, "security": security}
        for protocol, port, security in rows
    ]


@pytest.fixture
async def live(
    client_for,  # type: ignore[no-untyped-def]
    data_dir_factory,  # type: ignore[no-untyped-def]
    settings: Settings,
    certs: Certificates,
) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for(
        data_dir_factory({}),
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=10.0,
        rate_limit_test="100/minute",
    )
    return client


async def test_a_token_tests_every_server(
    live: httpx.AsyncClient,
    dovecot_oauth: DovecotOAuth,
    smtpd_oauth: OAuthSmtpServers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = TOKEN_FOR[ALICE]
    body = {"email": ALICE, "access_token": token, "servers": servers(dovecot_oauth, smtpd_oauth)}
    r = await live.post("/api/v1/test", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    report = r.json()
    assert report["ok"] is True, report
    assert {res["auth"]["mechanism"] for res in report["results"]} == {"xoauth2"}
    assert {res["credential"] for res in report["results"]} == {"oauth2"}
    streamed = await live.post(
        "/api/v1/test",
        json={**body, "access_token": UNKNOWN_TOKEN},
        headers={"Accept": "application/x-ndjson"},
    )
    events = [json.loads(line) for line in streamed.text.splitlines()]
    last = events[-1]
    assert last["ok"] is False
    codes = {f["code"] for res in last["results"] for f in res["findings"]}
    assert codes == {"oauth-token-invalid"}
    first = last["results"][0]["findings"][0]
    assert last["diagnosis"] == {"message": first["message"], "fix": first["fix"]}
    logs = "\n".join(rec.getMessage() for rec in caplog.records)
    for secret in (token, UNKNOWN_TOKEN):
        assert_no_token(r.text + streamed.text + logs, ALICE, secret)


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"password": "pw", "access_token": "ya29.abc"}, "either"),
        ({}, "either"),
        ({"access_token": "Bearer ya29.SECRETabc"}, "access token"),
        ({"access_token": 'ya29.SECRET"abc'}, "access token"),
        ({"access_token": "ya29.SECRET\r\nLOGOUT"}, "access token"),
        ({"access_token": ""}, "access_token"),
    ],
)
async def test_bad_token_input_gets_422_without_echoing_it(
    live: httpx.AsyncClient, extra: dict[str, str], says: str
) -> None:
    r = await live.post("/api/v1/test", json={"email": ALICE, **extra})
    assert r.status_code == 422
    assert says in r.text
    assert "SECRET" not in r.text
    assert "ya29" not in r.text


async def test_the_api_document_says_how_to_get_a_token(live: httpx.AsyncClient) -> None:
    schema = (await live.get("/openapi.json")).json()
    fields = schema["components"]["schemas"]["LiveTestRequest"]["properties"]
    described = json.dumps(fields["access_token"])
    for needed in ("XOAUTH2", "IMAP.AccessAsUser.All", "https://mail.google.com/", "mail-w"):
        assert needed in described
