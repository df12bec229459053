"""Parsing autoconfig documents: a round trip of ours, and hostile or broken ones."""

from __future__ import annotations

import pytest

from app.discovery.autoconfig import AutoconfigError, parse_autoconfig
from app.documents.mozilla import render_autoconfig
from app.models import AuthMethod, Protocol, Security, Source
from app.providers.db import ProviderDB, to_account_config

MINIMAL = b"""<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.org">
<domain>example.org</domain><displayName>Example</displayName>
<incomingServer type="imap"><hostname>IMAP.example.org</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username>
<authentication>OAuth2</authentication><authentication>password-cleartext</authentication>
</incomingServer>
%(extra)s
<outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>587</port>
<socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username>
<authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>"""


def doc(extra: bytes = b"") -> bytes:
    return MINIMAL.replace(b"%(extra)s", extra)


def test_parse_minimal() -> None:
    config, dropped = parse_autoconfig(doc(), "example.org", Source.AUTOCONFIG)
    assert dropped == []
    imap, smtp = config.endpoints
    assert (imap.protocol, imap.host, imap.port, imap.security) == (
        Protocol.IMAP,
        "imap.example.org",
        993,
        Security.TLS,
    )
    assert imap.username == "%EMAILLOCALPART%"
    assert imap.auth == (AuthMethod.OAUTH2, AuthMethod.PASSWORD)
    assert (smtp.port, smtp.security) == (587, Security.STARTTLS)
    assert config.source is Source.AUTOCONFIG
    assert all(e.source is Source.AUTOCONFIG for e in config.endpoints)
    assert config.name is not None
    assert config.name.en == "Example"


def test_round_trip_of_every_shipped_provider(db: ProviderDB) -> None:
    for rec in db.records:
        if not rec.servers or not rec.domains:
            continue
        ours = to_account_config(rec, rec.domains[0])
        parsed, dropped = parse_autoconfig(render_autoconfig(ours), rec.domains[0], Source.ISPDB)
        assert dropped == [], rec.id
        assert [(e.protocol, e.host, e.port, e.security, e.username) for e in parsed.endpoints] == [
            (e.protocol, e.host, e.port, e.security, e.username)
            for e in (*ours.incoming, *ours.outgoing)
        ], rec.id


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            b'<incomingServer type="pop3"><hostname>bad host</hostname><port>995</port>'
            b"<socketType>SSL</socketType></incomingServer>",
            "not a valid host name",
        ),
        (
            b'<incomingServer type="pop3"><hostname>pop.example.org</hostname><port>99999</port>'
            b"<socketType>SSL</socketType></incomingServer>",
            "not a port number",
        ),
        (
            b'<incomingServer type="pop3"><hostname>pop.example.org</hostname><port>995</port>'
            b"<socketType> SSL </socketType></incomingServer>",
            "no socketType",
        ),
        (
            b'<incomingServer type="pop3"><hostname>pop.example.org</hostname><port>995</port>'
            b"<socketType>SSL</socketType><username>%REALNAME%</username></incomingServer>",
            "unknown placeholder",
        ),
        (  # only %EMAILDOMAIN% may stand in a host name
            b'<incomingServer type="pop3"><hostname>%EMAILLOCALPART%.example.org</hostname>'
            b"<port>995</port><socketType>SSL</socketType></incomingServer>",
            "only %EMAILDOMAIN% may stand in a host",
        ),
        (  # DEL is allowed in XML; in a login command it is not
            b'<incomingServer type="pop3"><hostname>pop.example.org</hostname><port>995</port>'
            b"<socketType>SSL</socketType><username>%EMAILADDRESS%\x7f</username>"
            b"</incomingServer>",
            "control characters",
        ),
        (
            b'<outgoingServer type="imap"><hostname>x.example.org</hostname></outgoingServer>',
            "outgoingServer of type imap",
        ),
    ],
)
def test_bad_servers_are_dropped_with_reason(extra: bytes, reason: str) -> None:
    config, dropped = parse_autoconfig(doc(extra), "example.org", Source.AUTOCONFIG)
    assert len(config.endpoints) == 2
    assert len(dropped) == 1
    assert reason in dropped[0]


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<clientConfig><emailProvider id="x"><displayName>&lol3;</displayName>
</emailProvider></clientConfig>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<clientConfig><emailProvider id="x"><displayName>&ext;</displayName>
</emailProvider></clientConfig>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BOMB, "refused XML"),
        (EXTERNAL, "refused XML"),
        (b"<html><body>Not found</body></html>", "not <clientConfig>"),
        (b"<clientConfig", "not well-formed"),
        (b"\xff\xfe garbage", "not well-formed"),
        (b"<clientConfig/>", "no <emailProvider>"),
        (doc().replace(b'type="smtp"', b'type="x"'), "no usable outgoing"),
        (doc().replace(b"<hostname>IMAP.example.org", b"<hostname>-"), "no usable incoming"),
    ],
)
def test_unusable_documents_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(AutoconfigError, match=reason):
        parse_autoconfig(body, "example.org", Source.AUTOCONFIG)


def test_emaildomain_in_a_host_name_is_filled_before_it_is_checked() -> None:
    extra = (
        b'<incomingServer type="pop3"><hostname>pop.%EMAILDOMAIN%</hostname><port>995</port>'
        b"<socketType>SSL</socketType></incomingServer>"
    )
    config, dropped = parse_autoconfig(doc(extra), "example.org", Source.AUTOCONFIG)
    assert dropped == []
    assert "pop.example.org" in [e.host for e in config.endpoints]
