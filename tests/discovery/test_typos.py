"""Typo suggestions: the distance, the suffix slips, the bounds and when they are offered."""

from __future__ import annotations

import math

import pytest

from app.discovery.findings import DiscoveryFinding
from app.discovery.pipeline import Discovery
from app.discovery.typos import (
    EDIT,
    SLIP,
    SUFFIX_SLIP,
    TypoIndex,
    distance,
    index_for,
    known_domains,
    split,
    suffix_cost,
    typo_suggestions,
)
from app.models import Attempt, Source, TraceOutcome
from app.providers.db import ProviderDB


@pytest.fixture(scope="module")
def index(db: ProviderDB) -> TypoIndex:
    return TypoIndex(known_domains(db))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("gmial.com", "gmail.com"),  # two letters swapped
        ("qq.con", "qq.com"),  # a suffix slip
        ("163.cm", "163.com"),
        ("hotmial.com", "hotmail.com"),
        ("yahooo.com", "yahoo.com"),  # a letter doubled
        ("outlok.com", "outlook.com"),  # a letter left single
        ("126.co", "126.com"),
        ("gnail.com", "gmail.com"),  # a neighbouring key
        ("hotmial.con", "hotmail.com"),  # a long name allows an edit and a suffix slip
        ("vip.136.com", "vip.126.com"),  # names below the registrable domain count too
        ("yaho.co.uk", "yahoo.co.uk"),  # a two-label suffix
        ("GMIAL.COM.", "gmail.com"),  # any case, a trailing dot
    ],
)
def test_the_likeliest_domain_comes_first(index: TypoIndex, typed: str, meant: str) -> None:
    found = index.suggest(typed)
    assert found[0] == meant
    assert len(found) <= 3


def test_hotmail_is_in_the_database(db: ProviderDB) -> None:
    record = db.by_domain("hotmail.com")
    assert record is not None
    assert record.id == "outlook.com"


@pytest.mark.parametrize(
    "typed",
    [
        "gmail.com",  # known: nothing to suggest
        "qq.com",
        "hotmail.co.uk",
        "example.org",
        "mycompany.de",
        "gmail.company.com",  # a known name below another registrable domain
        "mail.gmail.com",
        "gmial.con",  # a 5-letter name allows one edit, the slip would be a second
        "gmx.org.cn",
        "does-not-exist.test",
        "a.b",
    ],
)
def test_no_suggestion(index: TypoIndex, typed: str) -> None:
    assert index.suggest(typed) == []


def test_invalid_and_idn_domains_do_not_crash(index: TypoIndex) -> None:
    assert index.suggest("no dots") == []
    assert index.suggest("") == []
    assert index.suggest("xn--fsqu00a.xn--fiqs8s") == []  # 例子.中国
    assert index.suggest("xn--zz") == []  # malformed punycode
    assert index.suggest("bücher.com") == []
    idn = TypoIndex(["xn--fsqu00a.xn--fiqs8s", "例子.com".encode("idna").decode()])
    assert idn.suggest("xn--fsqu00a.xn--fiqs8s") == []  # itself
    assert idn.suggest("xn--fsqu00b.xn--fiqs8s") == ["xn--fsqu00a.xn--fiqs8s"]
    assert idn.suggest("例子.con") == ["xn--fsqu00a.com"]  # Unicode in, A-label out


def test_ties_are_ordered_by_name_and_slips_beat_other_edits(index: TypoIndex) -> None:
    # .cm is a slip of .com (cheapest), and m is next to n (.cn): both, .com first.
    assert index.suggest("sina.cm") == ["sina.com", "sina.cn"]
    # 136 → 126 and 136 → 163 are both one slip (a neighbour key, a swap): by name.
    assert index.suggest("vip.136.com")[:2] == ["vip.126.com", "vip.163.com"]
    tie = TypoIndex(["mailb.com", "maila.com"])
    assert tie.suggest("mailc.com") == ["maila.com", "mailb.com"]
    assert TypoIndex(["mailb.com", "maila.com"]).suggest("mailc.com") == tie.suggest("mailc.com")


def test_at_most_three_and_a_limit(index: TypoIndex) -> None:
    many = TypoIndex([f"mail{c}.com" for c in "abcdefgh"])
    assert many.suggest("mailz.com") == ["maila.com", "mailb.com", "mailc.com"]
    assert many.suggest("mailz.com", limit=1) == ["maila.com"]


def test_the_length_bounds() -> None:
    short = TypoIndex(["abcde.com"])  # 5 letters: one edit
    assert short.suggest("abxde.com") == ["abcde.com"]
    assert short.suggest("axxde.com") == []
    long = TypoIndex(["abcdef.com"])  # 6 letters: two edits
    assert long.suggest("abxxef.com") == ["abcdef.com"]
    assert long.suggest("axxxef.com") == []
    assert long.suggest("abcdef.xyz") == []  # a suffix allows one edit, not three


def test_the_distance() -> None:
    assert distance("gmail", "gmail") == 0
    assert distance("gmial", "gmail") == SLIP  # an adjacent swap
    assert distance("gnail", "gmail") == SLIP  # n and m are neighbours
    assert distance("gpail", "gmail") == EDIT  # p and m are not
    assert distance("yahooo", "yahoo") == SLIP  # a doubled letter
    assert distance("yaho", "yahoo") == SLIP
    assert distance("yaho", "yahxo") == EDIT
    assert distance("abc", "xyz") == 3 * EDIT
    assert distance("abc", "xyz", cap=2) == math.inf
    assert distance("a", "abcd", cap=2) == math.inf
    assert distance("ab", "ba") == SLIP
    assert distance("", "ab") == 2 * EDIT


def test_suffix_costs_and_splits() -> None:
    assert suffix_cost("com", "com") == 0
    for typed, meant in (("con", "com"), ("cm", "com"), ("nte", "net"), ("ccn", "cn")):
        assert suffix_cost(typed, meant) == SUFFIX_SLIP < SLIP
    assert suffix_cost("cm", "cn") == SLIP  # m and n are neighbours, not a listed slip
    assert suffix_cost("de", "dk") == EDIT
    assert suffix_cost("com.cm", "com.cn") == SLIP  # label by label
    assert suffix_cost("con.cm", "com.cn") == math.inf  # one edit at most in all
    assert suffix_cost("org", "com") == math.inf
    assert split("vip.126.com") == ("vip.126", "com")
    assert split("gmail.con") == ("gmail", "con")
    assert split("yahoo.co.uk") == ("yahoo", "co.uk")
    assert split("mil.ru") == ("mil", "ru")  # a public suffix itself


def test_more_lists_can_be_added(db: ProviderDB) -> None:
    more = TypoIndex(known_domains(db), ["example-isp.net"])
    assert more.suggest("exmaple-isp.net") == ["example-isp.net"]
    assert more.suggest("gmial.com") == ["gmail.com"]
    assert len(more) == len(TypoIndex(known_domains(db))) + 1
    assert len(TypoIndex(["a.com", "a.com"], ["a.com"])) == 1


def _discovery(domain: str, *findings: DiscoveryFinding) -> Discovery:
    return Discovery(domain=domain, config=None, findings=findings)


def _mx(domain: str, outcome: TraceOutcome) -> Discovery:
    attempt = Attempt(source=Source.MX, target=domain, ok=False, duration_ms=1.0, outcome=outcome)
    return Discovery(domain=domain, config=None, trace=(attempt,))


def test_suggestions_only_for_a_domain_that_did_not_answer(db: ProviderDB) -> None:
    missing = _discovery("gmial.com", DiscoveryFinding.DOMAIN_NOT_FOUND)
    assert typo_suggestions(missing, db) == ["gmail.com"]
    # DNS gave no answer about the domain: it did not answer, so the suggestion stands.
    assert typo_suggestions(_mx("gmial.com", TraceOutcome.DNS_TIMEOUT), db) == ["gmail.com"]
    assert typo_suggestions(_mx("gmial.com", TraceOutcome.DNS_FAILED), db) == ["gmail.com"]
    # The domain answered (it exists, with or without MX): never a suggestion.
    assert typo_suggestions(_mx("gmial.com", TraceOutcome.NO_RECORDS), db) == []
    assert typo_suggestions(_mx("gmial.com", TraceOutcome.MX_UNKNOWN), db) == []
    assert typo_suggestions(_discovery("gmial.com"), db) == []
    assert typo_suggestions(_discovery("gmial.com", DiscoveryFinding.NO_MX), db) == []
    deadline = _discovery("gmial.com", DiscoveryFinding.DISCOVERY_DEADLINE)
    assert typo_suggestions(deadline, db) == []
    assert index_for(db) is index_for(db)  # built once per database
