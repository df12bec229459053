"""Discovery end to end: real DNS (dnsmasq), real HTTP(S) servers, the guarded client."""

from __future__ import annotations

import time

import pytest

from app.discovery.findings import DiscoveryFinding
from app.discovery.plan import guess_candidates
from app.models import Protocol, Security, Source
from tests.discovery.conftest import ListVerifier
from tests.discovery.httpserver import Site, document, plain_http_only, redirect, slow
from tests.discovery.test_autoconfig_parse import BOMB

ISPDB_DOC = b"""<?xml version="1.0"?><clientConfig version="1.1">
<emailProvider id="ispdb-only.test"><domain>ispdb-only.test</domain>
<displayName>ISPDB Mail</displayName>
<incomingServer type="imap"><hostname>imap.ispdb-only.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username>
<authentication>password-cleartext</authentication></incomingServer>
<incomingServer type="pop3"><hostname>pop.ispdb-only.test</hostname><port>995</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username>
<authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.ispdb-only.test</hostname><port>587</port>
<socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username>
<authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>"""


def own_doc(host: str) -> bytes:
    return ISPDB_DOC.replace(b"ispdb-only.test", host.encode())


async def test_ispdb_mirror_gives_exactly_its_settings(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("*", "/v1.1/ispdb-only.test", document(ISPDB_DOC))
    result = await make_discoverer().discover("ispdb-only.test", "me@ispdb-only.test")
    assert result.config is not None
    assert result.config.source is Source.ISPDB
    assert [
        (e.protocol, e.host, e.port, e.security, e.username) for e in result.config.endpoints
    ] == [
        (Protocol.IMAP, "imap.ispdb-only.test", 993, Security.TLS, "%EMAILLOCALPART%"),
        (Protocol.POP3, "pop.ispdb-only.test", 995, Security.TLS, "%EMAILLOCALPART%"),
        (Protocol.SMTP, "smtp.ispdb-only.test", 587, Security.STARTTLS, "%EMAILADDRESS%"),
    ]
    assert {e.source for e in result.config.endpoints} == {Source.ISPDB}
    sources = {a.source for a in result.trace}
    assert {Source.AUTOCONFIG, Source.ISPDB, Source.MX, Source.SRV} <= sources


async def test_own_autoconfig_beats_ispdb(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route(
        "autoconfig.own.test",
        "/mail/config-v1.1.xml?emailaddress=me@own.test",
        document(own_doc("own.test")),
    )
    site.route("*", "/v1.1/own.test", document(own_doc("ispdb.own.test")))
    result = await make_discoverer().discover("own.test", "me@own.test")
    assert result.config is not None
    assert result.config.source is Source.AUTOCONFIG
    assert result.config.endpoints[0].host == "imap.own.test"
    assert DiscoveryFinding.INSECURE_AUTOCONFIG not in result.findings


async def test_plain_http_autoconfig_is_flagged(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route(
        "own.test",
        "/.well-known/autoconfig/mail/config-v1.1.xml",
        plain_http_only(document(own_doc("own.test"))),
    )
    result = await make_discoverer().discover("own.test", None)
    assert result.config is not None
    assert result.config.source is Source.AUTOCONFIG
    assert DiscoveryFinding.INSECURE_AUTOCONFIG in result.findings
    https_tries = [a for a in result.trace if a.target.startswith("https://")]
    assert https_tries
    assert not any(a.ok for a in https_tries)


@pytest.mark.parametrize(
    ("domain", "provider", "imap_host"),
    [
        ("gw.test", "workspace.google.com", "imap.gmail.com"),
        ("ms.test", "office365.com", "outlook.office365.com"),
        ("tx.test", "exmail.qq.com", "imap.exmail.qq.com"),
    ],
)
async def test_mx_of_a_known_provider(  # type: ignore[no-untyped-def]
    make_discoverer, domain: str, provider: str, imap_host: str
) -> None:
    result = await make_discoverer().discover(domain, f"me@{domain}")
    assert result.config is not None
    assert result.config.provider_id == provider
    assert result.config.domain == domain
    assert result.config.source is Source.MX
    assert result.config.endpoints[0].host == imap_host
    assert {e.source for e in result.config.endpoints} == {Source.MX}


async def test_mx_base_domain_autoconfig(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route(
        "autoconfig.mx-base.test", "/mail/config-v1.1.xml", document(own_doc("mx-base.test"))
    )
    result = await make_discoverer().discover("viabase.test", "me@viabase.test")
    assert result.config is not None
    assert result.config.source is Source.MX
    assert result.config.endpoints[0].host == "imap.mx-base.test"


async def test_srv_only_domain(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    result = await make_discoverer().discover("srvonly.test", "me@srvonly.test")
    assert result.config is not None
    assert result.config.source is Source.SRV
    assert [(e.protocol, e.host, e.port, e.security) for e in result.config.endpoints] == [
        (Protocol.IMAP, "mail.srvonly.test", 993, Security.TLS),
        (Protocol.SMTP, "mail.srvonly.test", 587, Security.STARTTLS),
    ]
    assert DiscoveryFinding.NO_MX in result.findings


async def test_redirect_to_private_address_is_refused(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("autoconfig.redir.test", "/mail/config-v1.1.xml", redirect("http://127.0.0.2/x"))
    result = await make_discoverer().discover("redir.test", None)
    assert result.config is None
    refused = [a for a in result.trace if "autoconfig.redir.test" in a.target and not a.ok]
    assert any("refused 127.0.0.2" in a.detail for a in refused), result.trace


async def test_xml_bomb_is_refused(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("autoconfig.bomb.test", "/mail/config-v1.1.xml", document(BOMB))
    result = await make_discoverer().discover("bomb.test", None)
    assert result.config is None
    assert any("refused XML" in a.detail for a in result.trace)


async def test_second_lookup_is_served_from_the_cache(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("*", "/v1.1/ispdb-only.test", document(ISPDB_DOC))
    discoverer = make_discoverer()
    first = await discoverer.discover("ispdb-only.test", None)
    asked = len(site.requests)
    started = time.monotonic()
    second = await discoverer.discover("ispdb-only.test", None)
    assert time.monotonic() - started < 0.01
    assert second.cached
    assert not first.cached
    assert second.config == first.config
    assert len(site.requests) == asked


async def test_best_answer_ends_the_wait(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    """The domain's own autoconfig answers; the slow ISPDB is not waited for."""
    site.route(
        "autoconfig.own.test",
        "/mail/config-v1.1.xml?emailaddress=me@own.test",
        document(own_doc("own.test")),
    )
    site.route("*", "/v1.1/own.test", slow(seconds=5))
    started = time.monotonic()
    result = await make_discoverer().discover("own.test", "me@own.test")
    assert time.monotonic() - started < 2
    assert result.config is not None
    assert result.config.source is Source.AUTOCONFIG


async def test_deadline_returns_what_was_found(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("autoconfig.slow.test", "/mail/config-v1.1.xml", slow(seconds=5))
    site.route("*", "/v1.1/slow.test", document(own_doc("slow.test")))
    started = time.monotonic()
    result = await make_discoverer(deadline=1.0).discover("slow.test", None)
    assert time.monotonic() - started < 2.5
    assert result.config is not None
    assert result.config.source is Source.ISPDB
    assert DiscoveryFinding.DISCOVERY_DEADLINE in result.findings


async def test_guesses_only_after_everything_failed_and_only_confirmed(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    verifier = ListVerifier({("mail.srvless.test", 993), ("mail.srvless.test", 465)})
    result = await make_discoverer(verifier=verifier).discover("srvless.test", None)
    assert result.config is None  # srvless.test does not exist: no guessing at all
    assert verifier.asked == []
    assert DiscoveryFinding.DOMAIN_NOT_FOUND in result.findings

    confirmed = {("imap.guessme.test", 993), ("guessme.test", 143), ("smtp.guessme.test", 465)}
    verifier = ListVerifier(confirmed)
    guessed = await make_discoverer(verifier=verifier).discover("guessme.test", None)
    assert guessed.config is not None
    assert guessed.config.source is Source.GUESS_VERIFIED
    assert [(e.host, e.port) for e in guessed.config.endpoints] == [
        ("imap.guessme.test", 993),
        ("guessme.test", 143),
        ("smtp.guessme.test", 465),
    ]
    resolving = {"guessme.test", "imap.guessme.test", "smtp.guessme.test"}
    expected = [(e.host, e.port) for e in guess_candidates("guessme.test") if e.host in resolving]
    assert sorted(verifier.asked) == sorted(expected)  # each resolving candidate, once
    verified = [a for a in guessed.trace if a.source is Source.GUESS_VERIFIED and a.ok]
    assert len(verified) == 3
