"""How popular a provider is with each group of readers, and the catalogue's order.

A provider file says ``rank = { zh = 1, en = 40 }``: a positive integer per region,
lower is more popular. The page's language picks the region (:func:`region_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from app.providers.schema import ProviderRecord

Region = Literal["zh", "en"]
# Strict: a quoted "1" or true in a file is a mistake, not a rank.
Position = Annotated[int, Field(strict=True, gt=0)]


class Rank(BaseModel):
    """Popularity per region; a region left out sorts after the ranked providers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: Position | None = None
    en: Position | None = None

    def of(self, region: Region) -> int | None:
        return self.zh if region == "zh" else self.en


def region_of(lang: str) -> Region:
    """``zh-Hans`` and ``zh-Hant`` (any ``zh`` tag) read as zh; every other language as en."""
    return "zh" if lang.lower().split("-")[0] == "zh" else "en"


def _words(rec: ProviderRecord) -> tuple[str, ...]:
    names = (rec.name.en, rec.name.zh_hans, rec.name.zh_hant, rec.short_name or "")
    return tuple(w.casefold() for w in (rec.id, *names, *rec.domains) if w)


def match_quality(rec: ProviderRecord, needle: str) -> int:
    """0 when a name, id or domain is ``needle``, 1 when one starts with it, else 2."""
    words = _words(rec)
    if needle in words:
        return 0
    return 1 if any(w.startswith(needle) for w in words) else 2


def ordered(
    records: Iterable[ProviderRecord],
    region: Region,
    query: str = "",
    name_of: Callable[[ProviderRecord], str] | None = None,
) -> list[ProviderRecord]:
    """``records`` by match quality for ``query`` (if any), then rank, then name
    (``name_of``, by default the English name)."""
    needle = query.strip().casefold()

    def key(rec: ProviderRecord) -> tuple[int, bool, int, str]:
        quality = match_quality(rec, needle) if needle else 0
        rank = rec.rank.of(region)
        name = (name_of(rec) if name_of else rec.name.en).casefold()
        return (quality, rank is None, rank or 0, name)

    return sorted(records, key=key)
