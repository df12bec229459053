"""The curated rank: how it is written and checked, and the catalogue order it gives."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from app.providers.db import ProviderDB
from app.providers.ranking import ordered, region_of
from app.providers.schema import ProviderRecord
from tests.sample_data import provider_toml


def _record(id: str = "example.org", rank: str = "", name: str = "Example") -> ProviderRecord:
    extra = f"rank = {rank}\n" if rank else ""
    text = provider_toml(id, domains=(id,), name=name, extra=extra)
    return ProviderRecord.model_validate(tomllib.loads(text))


def test_rank_is_read_per_region() -> None:
    record = _record(rank="{ zh = 1, en = 40 }")
    assert (record.rank.of("zh"), record.rank.of("en")) == (1, 40)
    assert _record(rank="{ zh = 3 }").rank.of("en") is None
    assert _record().rank.of("zh") is None


@pytest.mark.parametrize(
    ("rank", "problem"),
    [
        ("{ zh = 0 }", "greater than 0"),
        ("{ en = -2 }", "greater than 0"),
        ('{ en = "1" }', "integer"),
        ("{ en = 1.5 }", "integer"),
        ("{ zh = true }", "integer"),
        ("{ fr = 1 }", "Extra inputs are not permitted"),
        ("{ zh-Hans = 1 }", "Extra inputs are not permitted"),
        ("3", "valid dictionary"),
    ],
)
def test_bad_rank_is_refused(rank: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _record(rank=rank)
    assert problem in str(caught.value)
    assert "rank" in str(caught.value)


def test_rank_is_not_in_the_record_dump() -> None:
    """The API's provider answer is the record's dump: the rank does not change it."""
    assert "rank" not in _record(rank="{ zh = 1 }").model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize(
    ("lang", "region"), [("zh-Hans", "zh"), ("zh-Hant", "zh"), ("zh", "zh"), ("en", "en")]
)
def test_region_of_language(lang: str, region: str) -> None:
    assert region_of(lang) == region


def test_unranked_come_after_ranked_by_name() -> None:
    records = [
        _record("b.example", name="Bravo"),
        _record("z.example", rank="{ zh = 2 }", name="Zulu"),
        _record("a.example", name="Alpha"),
        _record("y.example", rank="{ zh = 1, en = 9 }", name="Yankee"),
    ]
    assert [r.id for r in ordered(records, "zh")] == [
        "y.example",
        "z.example",
        "a.example",
        "b.example",
    ]
    in_english = [r.id for r in ordered(records, "en")]
    assert in_english == ["y.example", "a.example", "b.example", "z.example"]


def test_with_a_query_the_better_match_comes_first(db: ProviderDB) -> None:
    found = [r.id for r in ordered(db.search("163"), "zh", "163")]
    # The domain itself, then providers whose name or domain starts with it, then the rest.
    assert found[0] == "163.com"
    assert found.index("vip.163.com") < found.index("qiye.163.com")
    # Equal matches (both contain "qq" only at the start) keep the rank order.
    qq = [r.id for r in ordered(db.search("qq"), "zh", "qq")]
    assert qq[:2] == ["qq.com", "exmail.qq.com"]


def test_every_shipped_provider_is_ranked_for_both_regions(db: ProviderDB) -> None:
    for region in ("zh", "en"):
        ranks = [r.rank.of(region) for r in db.records]
        assert None not in ranks, region
        assert len(set(ranks)) == len(ranks), f"two providers share a {region} rank"


@pytest.mark.parametrize(
    ("region", "first"),
    [
        ("zh", ["qq.com", "163.com", "126.com"]),
        ("en", ["gmail.com", "outlook.com", "yahoo.com"]),
    ],
)
def test_shipped_order(db: ProviderDB, region: str, first: list[str]) -> None:
    assert [r.id for r in ordered(db.records, region)][:3] == first  # type: ignore[arg-type]
