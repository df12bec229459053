"""No user's address in another user's answer.

A domain's autoconfig server that copies ``?emailaddress=`` into its answer used to
poison the shared discovery cache: the next person's lookup, setup page, Autodiscover
LoginName and Apple profile named the first person, and the next person's live test
logged in under the first person's name. The answers are now cached as templates.

The app runs in-process against a real HTTP server on loopback (reached through a
port map, since autoconfig lives on ports 80 and 443), the local DNS server, and
real Dovecot for the live test.
"""

from __future__ import annotations

import plistlib
import ssl
from collections.abc import AsyncIterator, Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.main import create_app
from app.net.guard import Guard
from app.net.http import HTTP_PORTS, make_fetcher
from app.paths import DATA_DIR
from app.settings import Settings
from tests.discovery.conftest import LOOPBACK, PortMap
from tests.discovery.httpserver import Site
from tests.realservers import PROBE_LOOPBACK
from tests.servers import Certificates
from tests.web.routes.test_clientconfig import XML, request

ALICE, BOB = "alice@example.test", "bob@example.test"
PATH = "/mail/config-v1.1.xml?emailaddress="


def serve_echo(site: Site, handler: Callable[[BaseHTTPRequestHandler], None]) -> None:
    for asker in (ALICE, BOB):
        site.route("autoconfig.example.test", PATH + asker, handler)


def echoing(
    host_for: Callable[[str], str], imap_port: int
) -> Callable[[BaseHTTPRequestHandler], None]:
    """An autoconfig document with the asker's address filled in where it can be."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        asked = parse_qs(urlsplit(h.path).query).get("emailaddress", ["nobody@example.test"])[0]
        local = asked.rpartition("@")[0]
        body = f"""<?xml version="1.0"?><clientConfig version="1.1">
<emailProvider id="example.test"><domain>example.test</domain>
<displayName>Example Mail</displayName>
<incomingServer type="imap"><hostname>{host_for(local)}</hostname><port>{imap_port}</port>
<socketType>STARTTLS</socketType><username>{asked}</username></incomingServer>
<incomingServer type="pop3"><hostname>mail.test</hostname><port>995</port>
<socketType>SSL</socketType><username>EXAMPLE\\{local}</username></incomingServer>
<outgoingServer type="smtp"><hostname>mail.test</hostname><port>587</port>
<socketType>STARTTLS</socketType><username>{asked}</username></outgoingServer>
</emailProvider></clientConfig>""".encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


@pytest.fixture
async def app(
    nameserver: str,
    certs: Certificates,
    client_context: ssl.SSLContext,
    portmap: PortMap,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.model_validate(
        {
            "data_dir": DATA_DIR,
            "dns_servers": (nameserver,),
            "dns_timeout": 1.0,
            "ispdb_url": "http://127.0.0.1:9/v1.1/",
            "discovery_deadline": 3.0,
            "rate_limits": False,
            "probe_ca_file": certs.ca_file,
            **PROBE_LOOPBACK,
        }
    )
    service = create_app(settings)
    async with service.router.lifespan_context(service):
        state = service.state.mailsetup
        guard = Guard(allow_networks=(LOOPBACK,), resolver=state.discoverer.dns, ports=HTTP_PORTS)
        await state.discoverer.http.aclose()
        state.discoverer.http = make_fetcher(guard, ssl_context=client_context, inner=portmap)
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://mailsetup.test") as c:
            yield c
        await state.discoverer.http.aclose()


async def _everything_bob_sees(app: httpx.AsyncClient) -> str:
    lookup = await app.get("/api/v1/lookup", params={"email": BOB})
    assert lookup.status_code == 200, lookup.text
    setup = await app.get("/setup", params={"email": BOB})
    autodiscover = await app.post(
        "/autodiscover/autodiscover.xml", content=request(BOB), headers=XML
    )
    profile = await app.get("/apple/mobileconfig", params={"emailaddress": BOB})
    guides = await app.get("/api/v1/guides", params={"email": BOB})
    plist = plistlib.loads(profile.content) if profile.status_code == 200 else {}
    return "\n".join([lookup.text, setup.text, autodiscover.text, repr(plist), guides.text])


async def test_the_first_askers_address_never_reaches_the_next(
    app: httpx.AsyncClient, site: Site, dovecot: dict[str, int]
) -> None:
    serve_echo(
        site,
        echoing(lambda _: "mail.test", dovecot["imap"]),
    )
    first = await app.get("/api/v1/lookup", params={"email": ALICE})
    assert first.status_code == 200, first.text
    seen = await _everything_bob_sees(app)
    assert "alice" not in seen
    assert "bob@example.test" in seen
    assert "EXAMPLE\\bob" in seen or "EXAMPLE\\\\bob" in seen
    # One fetch served both: the answer was cached, as a template.
    assert not [p for _, p in site.requests if BOB in p], site.requests

    # Bob's live test logs in as Bob, to the server the document names (Dovecot).
    test = await app.post("/api/v1/test", json={"email": BOB, "password": "wrong-password"})
    assert test.status_code == 200, test.text
    imap = next(r for r in test.json()["results"] if r["protocol"] == "imap")
    assert imap["username"] == BOB
    assert imap["auth"]["status"] == "failed"  # Dovecot refused Bob's wrong password
    assert "alice" not in test.text


async def test_an_answer_naming_the_asker_elsewhere_is_not_cached(
    app: httpx.AsyncClient, site: Site, dovecot: dict[str, int]
) -> None:
    """A host name made from the asker cannot be a template: it serves its asker only."""
    serve_echo(
        site,
        echoing(lambda local: f"{local}.mail.test", dovecot["imap"]),
    )
    alice = await app.get("/api/v1/lookup", params={"email": ALICE})
    assert "alice.mail.test" in alice.text
    bob = await app.get("/api/v1/lookup", params={"email": BOB})
    assert "alice" not in bob.text
    assert "bob.mail.test" in bob.text
    assert [p for _, p in site.requests if BOB in p]  # fetched again, for Bob
