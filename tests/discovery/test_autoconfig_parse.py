"""Parsing autoconfig documents: a round trip of ours, and hostile or broken ones."""

from __future__ import annotations

import pytest

from app.discovery.autoconfig import AutoconfigError, parse_autoconfig, parse_provider
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


@pytest.mark.parametrize(
    "hostname",
    [
        b"%EMAILLOCALPART%.example.org",
        b"mail.%EMAILADDRESS%",
        b"imap.%EMAILDOMAIN%.%REALNAME%",
        b"imap.%UNKNOWN%",
        b"imap.%EMAILDOMAIN",
    ],
)
def test_any_other_placeholder_in_a_host_name_drops_the_server(hostname: bytes) -> None:
    extra = (
        b'<incomingServer type="pop3"><hostname>' + hostname + b"</hostname><port>995</port>"
        b"<socketType>SSL</socketType></incomingServer>"
    )
    config, dropped = parse_autoconfig(doc(extra), "example.org", Source.AUTOCONFIG)
    assert [e.host for e in config.endpoints] == ["imap.example.org", "smtp.example.org"]
    assert len(dropped) == 1
    assert "only %EMAILDOMAIN% may stand in a host" in dropped[0]


def test_a_filled_host_name_is_checked_for_the_domain_asked() -> None:
    extra = (
        b'<incomingServer type="imap"><hostname>%EMAILDOMAIN%</hostname><port>993</port>'
        b"<socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>"
    )
    config, dropped = parse_autoconfig(doc(extra), "mail.example.org", Source.ISPDB)
    assert dropped == []
    assert config.endpoints[1].host == "mail.example.org"
    assert config.endpoints[1].username == "%EMAILLOCALPART%"  # filled later, per request
    long_domain = ".".join(["x" * 61] * 4) + ".org"  # 251 characters: "imap." makes it 256
    with_prefix = extra.replace(b"<hostname>%", b"<hostname>imap.%")
    config, dropped = parse_autoconfig(doc(with_prefix), long_domain, Source.ISPDB)
    assert len(config.endpoints) == 2
    assert dropped == [f"hostname 'imap.{long_domain}' is not a valid host name"]


PROVIDER = b"""<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="Example">
<domain>example.org</domain><domain>EXAMPLE.net.</domain><domain>example.org</domain>
<domain>bad domain</domain>
<incomingServer type="exchange"><hostname>ex.example.org</hostname></incomingServer>
<incomingServer type="imap"><hostname>Mail.%EMAILDOMAIN%</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
<incomingServer type="pop3"><hostname>pop.%EMAILADDRESS%</hostname><port>995</port>
<socketType>SSL</socketType></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>465</port>
<socketType>SSL</socketType><authentication>OAuth2</authentication></outgoingServer>
</emailProvider>
<oAuth2><issuer>example.org</issuer><scope>mail</scope>
<authURL>https://example.org/auth</authURL><tokenURL>https://example.org/token</tokenURL></oAuth2>
</clientConfig>"""


def test_a_provider_is_read_for_all_its_domains() -> None:
    found = parse_provider(PROVIDER, Source.ISPDB_SNAPSHOT)
    assert found.id == "Example"
    assert found.domains == ("example.org", "example.net")
    twice, bad = found.domains_dropped
    assert twice == "domain example.org is listed twice"
    assert bad.startswith("domain 'bad domain': 'bad domain' is not a valid domain name")
    # The host keeps its placeholder: each domain fills it in when looked up.
    assert [(e.protocol, e.host, e.username) for e in found.endpoints] == [
        (Protocol.IMAP, "mail.%EMAILDOMAIN%", "%EMAILLOCALPART%"),
        (Protocol.SMTP, "smtp.example.org", "%EMAILADDRESS%"),
    ]
    assert found.endpoints[1].auth == (AuthMethod.OAUTH2,)
    assert found.dropped == (
        "hostname 'pop.%EMAILADDRESS%': only %EMAILDOMAIN% may stand in a host",
    )
    assert found.ignored == ("incomingServer of type 'exchange': not IMAP, POP3 or SMTP",)
    assert found.oauth2 is not None
    assert found.oauth2.scopes == ("mail",)


def test_a_provider_without_a_valid_domain_is_refused() -> None:
    body = PROVIDER.replace(b"<domain>", b"<notdomain>").replace(b"</domain>", b"</notdomain>")
    with pytest.raises(AutoconfigError, match="no valid <domain>"):
        parse_provider(body, Source.ISPDB_SNAPSHOT)
    without_smtp = PROVIDER.replace(b'type="smtp"', b'type="ews"')
    with pytest.raises(AutoconfigError, match="no usable outgoing"):
        parse_provider(without_smtp, Source.ISPDB_SNAPSHOT)
