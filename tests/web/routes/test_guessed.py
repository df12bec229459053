"""Guessed servers go into the tester, filled in, with a button to them; the unknown
page offers the usual names for a domain that exists, and does not blame the visitor
for lookups that got no answer."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest

from app.discovery.pipeline import Discovery
from app.discovery.plan import config_from_guesses
from app.main import create_app
from app.models import Protocol, Security, ServerEndpoint
from app.providers.db import ProviderDB
from app.settings import Settings
from tests.slowdns import Rules, slow_nameserver

GUESSED = [
    ServerEndpoint(protocol=Protocol.IMAP, host="imap.guessme.test", port=993,
                   security=Security.TLS),
    ServerEndpoint(protocol=Protocol.SMTP, host="smtp.guessme.test", port=465,
                   security=Security.TLS),
]  # fmt: skip
LINES = "imap:imap.guessme.test:993:tls\nsmtp:smtp.guessme.test:465:tls"


@pytest.fixture
async def guessing_client(settings: Settings, db: ProviderDB) -> AsyncIterator[httpx.AsyncClient]:
    """The app, with discovery's cache holding what a guess found for guessme.test
    (the guesses themselves are tested against real servers in tests/discovery)."""
    app = create_app(settings, db=db)
    async with app.router.lifespan_context(app):
        config = config_from_guesses("guessme.test", GUESSED)
        found = Discovery(domain="guessme.test", config=config)
        await app.state.mailsetup.discoverer.cache.set("guessme.test", found, 60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mailsetup.test") as c:
            yield c


async def test_guessed_servers_are_filled_into_the_tester(
    guessing_client: httpx.AsyncClient,
) -> None:
    r = await guessing_client.get("/setup", params={"email": "me@guessme.test"})
    assert r.status_code == 200
    assert '<a class="button" href="#test">Test these servers</a>' in r.text
    assert "nobody has logged in to them yet" in r.text
    textarea = r.text.split('<textarea id="servers"', 1)[1].split("</textarea>", 1)[0]
    assert html.unescape(textarea.split(">", 1)[1]) == LINES
    assert '<details class="advanced" open>' in r.text


async def test_known_servers_are_not_filled_in(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "me@qq.com"})
    assert "Test these servers" not in r.text
    textarea = r.text.split('<textarea id="servers"', 1)[1].split("</textarea>", 1)[0]
    assert textarea.endswith(">")  # empty: the tester looks the servers up itself


async def test_the_tester_page_takes_servers_from_its_link(client: httpx.AsyncClient) -> None:
    r = await client.get("/test", params={"email": "me@guessme.test", "servers": LINES})
    assert r.status_code == 200
    assert f">{LINES}</textarea>" in r.text
    too_long = await client.get("/test", params={"servers": "x" * 2001})
    assert too_long.status_code == 422


def _pattern_link(page: str) -> str | None:
    marker = '<a class="button" href="/test?'
    if marker not in page:
        return None
    return html.unescape(page.split(marker, 1)[1].split('"', 1)[0])


async def test_a_domain_that_exists_offers_the_usual_servers_to_test(
    client: httpx.AsyncClient,
) -> None:
    # own.test has MX records (of no known provider) and publishes no settings.
    r = await client.get("/setup", params={"email": "me@own.test", "client": "thunderbird"})
    assert r.status_code == 404
    link = _pattern_link(r.text)
    assert link is not None
    query = parse_qs(link)
    assert query["email"] == ["me@own.test"]
    assert query["client"] == ["thunderbird"]
    assert query["servers"] == [
        "imap:imap.own.test:993:tls\nsmtp:smtp.own.test:465:tls\nsmtp:smtp.own.test:587:starttls"
    ]
    tester = await client.get("/test?" + link)
    assert ">imap:imap.own.test:993:tls\nsmtp:smtp.own.test:465:tls" in tester.text
    assert "We could not finish looking" not in r.text
    # A domain that does not exist has no servers to test.
    missing = await client.get("/setup", params={"email": "me@does-not-exist.test"})
    assert _pattern_link(missing.text) is None


async def test_lookups_without_an_answer_are_not_blamed_on_the_visitor(
    settings: Settings, db: ProviderDB, nameserver: str
) -> None:
    with slow_nameserver(nameserver, Rules(silent=("quiet.test",))) as silent:
        quiet = settings.model_copy(update={"dns_servers": (silent,), "dns_timeout": 0.5})
        app = create_app(quiet, db=db)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as c:
                r = await c.get("/setup", params={"email": "me@quiet.test"})
    assert r.status_code == 404
    assert "We could not finish looking" in r.text
    assert "Try again in a minute" in r.text
    assert "no DNS answer in time, so we cannot say whether records exist" in r.text
    assert _pattern_link(r.text) is None  # nothing is known about the domain
