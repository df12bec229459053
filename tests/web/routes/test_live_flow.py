"""The tester as the last step of the setup flow: the mail app travels with the test, an
all-good headline says what to do next in that app, and the form comes back ready to
test again, with a link back to the settings. Real servers: Dovecot and aiosmtpd."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

from app.documents.instructions import CLIENTS
from tests.hardening.forms import post_form
from tests.realservers import PROBE_LOOPBACK
from tests.sample_data import provider_toml
from tests.servers import USERS, WRONG_PASSWORD, Certificates, SmtpServers

ALICE = "alice@mail.test"
HEADLINE = re.compile(r'<h2 id="report-h">([^<]*)</h2>')
BACK = re.compile(r'<p class="back"( hidden)?><a id="back-to-settings" href="([^"]*)">')
BUTTON = re.compile(r'<button type="submit" class="run-test">([^<]*)</button>')
# What an all-good test says for Foxmail, in each language.
FOXMAIL_DONE = {
    "en": "Receiving and sending work. Go back to Foxmail and click “创建” (Create).",
    "zh-Hans": "收信和发信都正常。回到 Foxmail，点击“创建”。",
    "zh-Hant": "收信和寄信都正常。回到 Foxmail，點選「创建」（建立）。",
}
# Each app's last step, as its guide's last action names it.
LAST_ACTION = {
    "thunderbird": "Go back to Thunderbird and click “Done”.",
    "outlook": "Go back to Outlook, click “Next”, type the password you just tested and "
    "click “Connect”.",
    "new-outlook": "Go back to new Outlook and click “Continue”.",
    "apple-mail": "Go back to Mail on your Mac and click “Sign In”.",
    "ios": "Go back to Mail on your iPhone or iPad, tap “Next”, then “Save”.",
    "gmail-android": "Go back to the Gmail app and tap “Next”.",
    "thunderbird-android": "Go back to Thunderbird for Android and tap “Next”.",
    "foxmail": "Go back to Foxmail and click “创建” (Create).",
}


@pytest.fixture
async def live(
    client_for,
    data_dir_factory,
    certs: Certificates,  # type: ignore[no-untyped-def]
    dovecot: dict[str, int],
    smtpd: SmtpServers,
) -> httpx.AsyncClient:
    """mail.test: the local Dovecot (IMAPS) and aiosmtpd (SMTPS), the test CA trusted."""
    rows = (
        ("imap", "mail.test", dovecot["imaps"], "tls"),
        ("smtp", "mail.test", smtpd.implicit, "tls"),
    )
    data = data_dir_factory(
        {"mail.test.toml": provider_toml("mail.test", domains=("mail.test",), servers=rows)}
    )
    client: httpx.AsyncClient = await client_for(
        data,
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=10.0,
        rate_limit_test="100/minute",  # several tests of one account: not a limit test
        rate_limit_test_account="100/minute",
        rate_limit_test_client_host="100/minute",
    )
    return client


def field(page: str, name: str) -> str:
    """The value of the form's input ``name``, unescaped."""
    found = re.search(rf'<input[^>]* name="{name}"[^>]*>', page)
    assert found, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def back_link(page: str) -> tuple[bool, str]:
    """Whether the link back to the settings is hidden, and where it goes."""
    found = BACK.search(page)
    assert found, "the form has no link back to the settings"
    return found.group(1) is not None, html.unescape(found.group(2))


def headline(page: str) -> str:
    found = HEADLINE.search(page)
    assert found, "the page has no report headline"
    return html.unescape(found.group(1))


async def stream(client: httpx.AsyncClient, body: dict[str, object]) -> dict[str, object]:
    """The report event at the end of the NDJSON stream."""
    async with client.stream(
        "POST", "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
    ) as r:
        assert r.status_code == 200
        events = [json.loads(line) async for line in r.aiter_lines() if line]
    assert events[-1]["type"] == "report"
    report: dict[str, object] = events[-1]
    return report


async def test_the_form_arrives_prefilled_with_the_address_and_the_app(
    live: httpx.AsyncClient,
) -> None:
    page = (await live.get("/test", params={"email": ALICE, "client": "foxmail"})).text
    assert field(page, "email") == ALICE
    assert field(page, "client") == "foxmail"
    assert BUTTON.findall(page) == ["Run the test"]
    assert back_link(page)[0]  # no result yet, so no way back yet
    assert 'id="password-hint"' not in page
    assert '<script src="/static/tester.js" defer></script>' in page
    unknown = (await live.get("/test", params={"email": ALICE, "client": "pine"})).text
    assert field(unknown, "client") == ""
    assert field((await live.get("/test")).text, "client") == ""


@pytest.mark.parametrize("lang", list(FOXMAIL_DONE))
async def test_all_good_names_the_apps_last_step(live: httpx.AsyncClient, lang: str) -> None:
    """The page without JavaScript and the stream say the same, in the page's language."""
    live.cookies.set("lang", lang)
    form = {"email": ALICE, "password": USERS[ALICE], "client": "foxmail"}
    page = await post_form(live, form)
    assert page.status_code == 200, page.text
    assert 'data-outcome="all-good"' in page.text
    assert headline(page.text) == FOXMAIL_DONE[lang]
    report = await stream(live, form)
    assert report["outcome"] == "all-good"
    assert report["client"] == "foxmail"
    assert report["headline"] == FOXMAIL_DONE[lang]


@pytest.mark.parametrize("client", sorted(CLIENTS))
async def test_every_app_has_its_last_step(live: httpx.AsyncClient, client: str) -> None:
    body = {"email": ALICE, "password": USERS[ALICE], "client": client}
    r = await live.post("/api/v1/test", json=body)
    assert r.status_code == 200
    report = r.json()
    assert report["outcome"] == "all-good"
    assert report["client"] == client
    assert report["headline"] == f"Receiving and sending work. {LAST_ACTION[client]}"


async def test_the_headline_says_what_was_tested(
    live: httpx.AsyncClient, dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    def only(protocol: str, port: int) -> dict[str, object]:
        server = {"protocol": protocol, "host": "mail.test", "port": port, "security": "tls"}
        return {"email": ALICE, "password": USERS[ALICE], "client": "ios", "servers": [server]}

    receiving = (await live.post("/api/v1/test", json=only("imap", dovecot["imaps"]))).json()
    assert receiving["headline"] == f"Receiving works. {LAST_ACTION['ios']}"
    sending = (await live.post("/api/v1/test", json=only("smtp", smtpd.implicit))).json()
    assert sending["headline"] == f"Sending works. {LAST_ACTION['ios']}"


async def test_without_an_app_the_headline_stays(live: httpx.AsyncClient) -> None:
    """No app, or one we have no guide for: the general headline, and no app named."""
    for extra in ({}, {"client": "pine"}, {"client": ""}):
        body = {"email": ALICE, "password": USERS[ALICE], **extra}
        r = await live.post("/api/v1/test", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["headline"] == "Everything works"
        assert "client" not in r.json()
        report = await stream(live, body)
        assert report["headline"] == "Everything works"
        assert "client" not in report
        page = await post_form(live, {k: str(v) for k, v in body.items()})
        assert headline(page.text) == "Everything works"
        assert field(page.text, "client") == ""


async def test_a_failed_test_comes_back_ready_to_test_again(
    live: httpx.AsyncClient, dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    """Everything typed comes back but the password, which the form asks for again; the
    failure keeps its one diagnosis and fix."""
    servers = f"imap:mail.test:{dovecot['imaps']}:tls\nsmtp:mail.test:{smtpd.implicit}:tls"
    form = {
        "email": ALICE,
        "password": WRONG_PASSWORD,
        "username": "alice",
        "servers": servers,
        "allow_invalid_certificate": "true",
        "client": "ios",
    }
    page = await post_form(live, form)
    assert page.status_code == 200
    text = page.text
    assert headline(text) == "Every server failed the test"
    assert "Fix:" in text
    # One diagnosis under the headline, though both servers refused the login.
    [lead] = re.findall(r'<p class="diagnosis"><strong>(.*?)</strong>', text)
    assert lead == "mail.test refused the user name or password."
    assert field(text, "email") == ALICE
    assert field(text, "username") == "alice"
    assert field(text, "client") == "ios"
    assert f">{html.escape(servers)}</textarea>" in text
    assert re.search(r'<input id="allow_invalid_certificate"[^>]* checked>', text)
    assert '<details class="advanced" open>' in text
    assert BUTTON.findall(text) == ["Test again"]
    assert back_link(text) == (False, "/setup?email=alice%40mail.test&client=ios")
    assert WRONG_PASSWORD not in text
    assert field(text, "password") == ""
    assert 'aria-describedby="password-hint"' in text
    assert "We never keep your password: type it again for each test." in text


async def test_the_way_back_without_an_app(live: httpx.AsyncClient) -> None:
    page = await post_form(live, {"email": ALICE, "password": USERS[ALICE]})
    assert back_link(page.text) == (False, "/setup?email=alice%40mail.test")
    assert BUTTON.findall(page.text) == ["Test again"]


async def test_a_refused_form_keeps_what_was_typed(live: httpx.AsyncClient) -> None:
    """No test ran: the button still runs the test, and nothing is shown back that could
    not be sent to a mail server."""
    form = {"email": ALICE, "password": "x", "username": "al\tice", "client": "outlook"}
    page = await post_form(live, form)
    assert page.status_code == 422
    assert field(page.text, "email") == ALICE
    assert field(page.text, "username") == ""
    assert field(page.text, "client") == "outlook"
    assert BUTTON.findall(page.text) == ["Run the test"]
    assert "We never keep your password" in page.text
    listed = {"email": ALICE, "password": "x", "servers": "imap:mail.test:nope:tls"}
    page = await post_form(live, {**listed, "username": "alice", "client": "thunderbird"})
    assert page.status_code == 422
    assert field(page.text, "username") == "alice"
    assert field(page.text, "client") == "thunderbird"
    assert ">imap:mail.test:nope:tls</textarea>" in page.text
