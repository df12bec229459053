"""With DEBUG and JSON logs on, a real service process logs no form of the password.

The password holds a quote, a space and non-ASCII (``tests.servers.USERS``). It goes
through the JSON API, the NDJSON stream, the no-JS form, a wrong guess, a 422, and
a URL; then every log line is parsed and searched for every form it could take.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.hardening.forms import csrf_token
from tests.leaks import secret_forms_plain
from tests.realservers import PROBE_LOOPBACK_ENV, serve_app
from tests.sample_data import provider_toml
from tests.servers import USERS, Certificates, SmtpServers

LEAKY = "leaky@mail.test"


def every_form(username: str, password: str) -> set[str]:
    """What a log could hold: the wire forms, escapes, URL encodings, and any 6-character
    piece of the password itself."""
    forms = secret_forms_plain(username, password) | {
        json.dumps(password)[1:-1],
        json.dumps(password, ensure_ascii=False)[1:-1],
        quote(password),
        quote_plus(password),
        repr(password)[1:-1],
        repr(password.encode())[2:-1],
        base64.b64encode(password.encode()).decode().rstrip("="),
        password.encode().hex(),
    }
    forms |= {password[i : i + 6] for i in range(len(password) - 5)}
    return forms


@pytest.fixture
def service(
    tmp_path: Path,
    nameserver: str,
    certs: Certificates,
    dovecot: dict[str, int],
    smtpd: SmtpServers,
) -> Iterator[tuple[str, Path]]:
    rows = (
        ("imap", "mail.test", dovecot["imaps"], "tls"),
        ("imap", "mail.test", dovecot["imap"], "starttls"),
        ("pop3", "mail.test", dovecot["pop3s"], "tls"),
        ("smtp", "mail.test", smtpd.implicit, "tls"),
        ("smtp", "mail.test", smtpd.starttls, "starttls"),
    )
    providers = tmp_path / "data" / "providers"
    providers.mkdir(parents=True)
    toml = provider_toml("mail.test", domains=("mail.test",), servers=rows)
    (providers / "mail.test.toml").write_text(toml, encoding="utf-8")
    env = {
        **os.environ,
        "MAILSETUP_DATA_DIR": str(tmp_path / "data"),
        "MAILSETUP_LOG_FORMAT": "json",
        "MAILSETUP_LOG_LEVEL": "debug",
        **PROBE_LOOPBACK_ENV,
        "MAILSETUP_PROBE_CA_FILE": str(certs.ca_file),
        "MAILSETUP_DNS_SERVERS": nameserver,
        "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
        "MAILSETUP_RATE_LIMITS": "off",  # one login tested often: the limits are not tested here
    }
    log = tmp_path / "service.log"
    with serve_app(env, log, log_level="debug") as url:
        yield url, log


def test_no_form_of_the_password_reaches_the_logs(service: tuple[str, Path]) -> None:
    url, log = service
    password = USERS[LEAKY]
    wrong = password + "x"
    body = {"email": LEAKY, "password": password}
    with httpx.Client(base_url=url, timeout=30) as http:
        ok = http.post("/api/v1/test", json=body)
        assert ok.json()["ok"] is True, ok.text
        ids = {ok.headers["x-request-id"]}
        with http.stream(
            "POST", "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
        ) as streamed:
            assert json.loads(list(streamed.iter_lines())[-1])["ok"] is True
        failed = http.post("/api/v1/test", json={**body, "password": wrong})
        assert failed.json()["ok"] is False
        page = http.get("/test")
        form = {"email": LEAKY, "password": password, "csrf_token": csrf_token(page.text)}
        assert "Everything works" in http.post("/test", data=form).text
        assert http.post("/api/v1/test", json={**body, "email": "no-at-sign"}).status_code == 422
        assert http.post("/api/v1/test", json={**body, "extra": password}).status_code == 422
        assert http.get("/test", params={"password": password}).status_code == 200
        http.post("/api/v1/test", params={"password": password}, json={"email": LEAKY})
    time.sleep(0.2)  # let the last access lines reach the file

    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert {"time", "level", "logger", "message", "request_id"} <= set(records[-1])
    levels = {r["level"] for r in records}
    assert "debug" in levels
    access = [r for r in records if r["logger"] == "app.access"]
    assert ids <= {r["request_id"] for r in access}
    assert {r["route"] for r in access} >= {"/api/v1/test", "/test", "/healthz"}
    # The transcripts were logged at DEBUG, with the credentials replaced.
    assert any("********" in r["message"] for r in records)
    text = log.read_text(encoding="utf-8")
    for secret in every_form(LEAKY, password) | every_form(LEAKY, wrong):
        assert secret not in text, secret
