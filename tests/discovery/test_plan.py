"""The pure discovery plan: URLs, SRV mapping, guesses and ranking."""

from __future__ import annotations

from app.discovery.dns import SrvRecord
from app.discovery.plan import (
    Rank,
    autoconfig_fetches,
    config_from_guesses,
    config_from_srv,
    guess_candidates,
    ispdb_fetch,
    pick,
)
from app.models import AccountConfig, Protocol, Security, Source


def test_autoconfig_urls_in_thunderbird_order() -> None:
    fetches = autoconfig_fetches("example.org", "me+x@example.org", Rank.AUTOCONFIG_HTTPS)
    assert [f.url for f in fetches] == [
        "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=me%2Bx@example.org",
        "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
        "http://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=me%2Bx@example.org",
        "http://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
    ]
    assert [f.insecure for f in fetches] == [False, False, True, True]
    assert [f.rank for f in fetches] == [Rank.AUTOCONFIG_HTTPS] * 2 + [Rank.AUTOCONFIG_HTTP] * 2
    no_email = autoconfig_fetches("example.org", None, Rank.MX_AUTOCONFIG)
    assert "?" not in no_email[0].url
    assert {f.rank for f in no_email} == {Rank.MX_AUTOCONFIG}


def test_ispdb_is_base_plus_domain() -> None:
    fetch = ispdb_fetch("http://127.0.0.1:9/v1.1/", "example.org")
    assert fetch.url == "http://127.0.0.1:9/v1.1/example.org"
    assert fetch.source is Source.ISPDB


def test_srv_mapping_prefers_implicit_tls_and_skips_not_offered() -> None:
    config = config_from_srv(
        "example.org",
        {
            "_imap._tcp": (SrvRecord(0, 1, 143, "mail.example.org"),),
            "_imaps._tcp": (SrvRecord(0, 1, 993, "mail.example.org"),),
            "_pop3._tcp": (SrvRecord(0, 0, 0, ""),),
            "_submission._tcp": (SrvRecord(0, 1, 587, "smtp.example.org"),),
        },
    )
    assert config is not None
    assert [(e.protocol, e.port, e.security, e.source) for e in config.endpoints] == [
        (Protocol.IMAP, 993, Security.TLS, Source.SRV),
        (Protocol.IMAP, 143, Security.STARTTLS, Source.SRV),
        (Protocol.SMTP, 587, Security.STARTTLS, Source.SRV),
    ]
    only_incoming = {"_imaps._tcp": (SrvRecord(0, 1, 993, "mail.example.org"),)}
    assert config_from_srv("example.org", only_incoming) is None


def test_guesses_follow_thunderbird() -> None:
    guesses = guess_candidates("example.org")
    assert (guesses[0].host, guesses[0].port) == ("imap.example.org", 993)
    assert [g.port for g in guesses if g.protocol is Protocol.SMTP][:3] == [465, 465, 465]
    assert {g.source for g in guesses} == {Source.GUESS_VERIFIED}
    first_pop = next(i for i, g in enumerate(guesses) if g.protocol is Protocol.POP3)
    assert all(g.protocol is Protocol.IMAP for g in guesses[:first_pop])
    confirmed = [guesses[-1], guesses[5], guesses[0]]
    config = config_from_guesses("example.org", confirmed)
    assert config is not None
    assert [(e.host, e.port) for e in config.endpoints] == [
        ("imap.example.org", 993),
        ("example.org", 143),
        ("example.org", 25),
    ]
    assert config_from_guesses("example.org", [guesses[0]]) is None


def test_pick_lowest_rank_keeps_alternatives() -> None:
    a = AccountConfig(domain="x.org", provider_id=None, source=Source.SRV)
    b = AccountConfig(domain="x.org", provider_id=None, source=Source.ISPDB)
    best, rest = pick([(Rank.SRV, a), (Rank.ISPDB, b)])
    assert best is b
    assert rest == [a]
