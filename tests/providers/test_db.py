"""Lookup by domain and by MX host, and search."""

from __future__ import annotations

import dataclasses

import pytest

from app.errors import InvalidAddress, UnknownDomain
from app.models import EmailAddress, Protocol, Source, Status
from app.providers.db import ProviderDB
from app.providers.lookup import EndpointAnswer, LookupAnswer, answer_from_config, parse_query
from app.providers.schema import ProviderRecord
from tests.sample_data import provider_toml


def lookup_answer(db: ProviderDB, query: str) -> LookupAnswer:
    """The database's answer for an address or domain, as discovery's lookup builds it."""
    address, domain = parse_query(query)
    return answer_from_config(db.config_for(domain, normalized=True), address)


def _db(*texts: str) -> ProviderDB:
    import tomllib

    return ProviderDB(ProviderRecord.model_validate(tomllib.loads(t)) for t in texts)


@pytest.mark.parametrize(
    "query", ["qq.com", "QQ.COM", "qq.com.", " Qq.Com. ", "foxmail.com", "VIP.qq.com"]
)
def test_domain_lookup_ignores_case_dot_and_knows_aliases(db: ProviderDB, query: str) -> None:
    rec = db.by_domain(query)
    assert rec is not None
    assert rec.id == "qq.com"


def test_idn_domain_in_unicode_or_punycode() -> None:
    db = _db(provider_toml("xn--fsqu00a.xn--fiqs8s", domains=("例子.中国", "Bücher.example")))
    for query in (
        "例子.中国",
        "xn--fsqu00a.xn--fiqs8s",
        "XN--FSQU00A.XN--FIQS8S.",
        "bücher.example",
        "xn--bcher-kva.example",
    ):
        rec = db.by_domain(query)
        assert rec is not None, query
    answer = lookup_answer(db, "用户@例子.中国")
    assert answer.domain == "xn--fsqu00a.xn--fiqs8s"
    assert answer.domain_unicode == "例子.中国"
    assert answer.endpoints[0].username == "用户@xn--fsqu00a.xn--fiqs8s"


def test_lookup_fills_username_forms() -> None:
    db = _db(provider_toml(username="localpart"))
    answer = lookup_answer(db, "Someone@Example.org")
    assert {e.username for e in answer.endpoints} == {"Someone"}
    by_domain = lookup_answer(db, "example.org")
    assert {e.username for e in by_domain.endpoints} == {"%EMAILLOCALPART%"}


def test_each_server_passes_from_file_to_answer_unchanged_but_the_username() -> None:
    """ServerEntry.to_endpoint, then EndpointAnswer.of: only the username changes."""
    db = _db(provider_toml(username="localpart", auth='["app-password", "password"]'))
    record = db.get("example.org")
    assert record is not None
    config = db.config_for("example.org")
    assert config.endpoints == tuple(s.to_endpoint() for s in record.servers)
    address = EmailAddress.parse("Someone@example.org")
    for entry, endpoint in zip(record.servers, config.endpoints, strict=True):
        assert endpoint.source is Source.DATABASE
        answer = EndpointAnswer.of(endpoint, address)
        kept = (answer.protocol, answer.host, answer.port, answer.security, answer.auth)
        assert kept == (entry.protocol, entry.host, entry.port, entry.security, entry.auth)
        assert answer.username == "Someone"
        assert EndpointAnswer.of(endpoint, None).username == "%EMAILLOCALPART%"


def test_unknown_and_invalid(db: ProviderDB) -> None:
    with pytest.raises(UnknownDomain):
        db.config_for("nowhere.example")
    for bad in ("", "no-at-sign", "a@b", "a b@qq.com", "x@-bad-.com", "x@" + "a" * 300 + ".com"):
        with pytest.raises(InvalidAddress):
            lookup_answer(db, bad)


def test_retired_record_answers_with_status_and_no_servers() -> None:
    retired = provider_toml(
        "old.example",
        domains=("old.example",),
        status="retired",
        servers=(),
        extra='status_reason = { en = "Closed.", zh-Hans = "已关闭。", zh-Hant = "已關閉。" }',
    )
    answer = lookup_answer(_db(retired), "x@old.example")
    assert answer.status is Status.RETIRED
    assert answer.endpoints == ()
    assert answer.status_reason is not None
    assert answer.status_reason.en == "Closed."


def test_mx_lookup_exact_and_suffix() -> None:
    db = _db(
        provider_toml("a.example", domains=(), mx=("*.mx.a.example",)),
        provider_toml("b.example", domains=("b.example",), mx=("mx1.b.example",)),
    )
    assert db.by_mx("ASPMX.l.mx.a.example.").id == "a.example"  # type: ignore[union-attr]
    assert db.by_mx("mx1.b.example").id == "b.example"  # type: ignore[union-attr]
    assert db.by_mx("mx2.b.example") is None
    assert db.by_mx("mx.a.example") is None  # the pattern needs a label in front


def test_index_is_used_not_a_scan(db: ProviderDB, monkeypatch: pytest.MonkeyPatch) -> None:
    def scan(*_: object) -> None:
        raise AssertionError("lookup scanned the records")

    monkeypatch.setattr(type(db), "records", property(scan))
    assert db.config_for("qq.com").provider_id == "qq.com"


def test_search_any_language_and_filters(db: ProviderDB) -> None:
    for q in ("qq", "QQ邮箱", "QQ郵箱", "foxmail", "FOXMAIL.COM"):
        assert "qq.com" in [r.id for r in db.search(q)], q
    assert db.search("no-such-provider-anywhere") == []
    assert all(r.country == "CN" for r in db.search(country="cn"))
    assert all(
        any(s.protocol is Protocol.POP3 for s in r.servers)
        for r in db.search(protocol=Protocol.POP3)
    )
    assert all(r.status is Status.PREPARATION for r in db.search(status=Status.PREPARATION))


def test_an_address_answer_is_the_domain_answer_with_its_usernames(db: ProviderDB) -> None:
    for domain in ("qq.com", "gmail.com", "163.com", "outlook.com"):
        template = lookup_answer(db, domain)
        answer = lookup_answer(db, f"Some.One@{domain}")
        expected = dataclasses.replace(template, email=answer.email, endpoints=answer.endpoints)
        assert answer == expected
        assert answer.email == f"Some.One@{domain}"
        assert all("%" not in e.username for e in answer.endpoints)
        assert [dataclasses.replace(e, username="") for e in answer.endpoints] == [
            dataclasses.replace(e, username="") for e in template.endpoints
        ]
