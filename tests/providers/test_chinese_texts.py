"""Every Chinese text in the shipped provider files is in its own script and usage, and a
Chinese provider's menu paths show its on-screen (Simplified) labels to 繁體中文 readers.

Quoted labels and titles (「…」, “…”, "…") are what a screen or a source says, and may
be in the other script; so are Japanese and Korean labels (a run with kana or hangul)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from app.models import Localized
from app.paths import DATA_DIR
from app.providers.loader import load_records
from app.providers.schema import ProviderRecord
from tests.web.test_i18n_catalogs import NOT_TAIWAN, SIMPLIFIED_ONLY, TRADITIONAL_ONLY

QUOTED = re.compile(
    r"「[^」]*」|“[^”]*”|\"[^\"]*\"|[^\s→（）]*[\u3040-\u30ff\u1100-\u11ff\uac00-\ud7af][^\s→（）]*"
)
RECORDS = load_records(DATA_DIR).records


def texts(node: object, where: str) -> Iterator[tuple[str, Localized]]:
    """Every three-language text in a record, with where it is."""
    if isinstance(node, Localized):
        yield where, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from texts(getattr(node, name), f"{where}.{name}")
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            yield from texts(item, f"{where}[{index}]")


def script_problems(text: Localized) -> list[str]:
    hans, hant = QUOTED.sub("", text.zh_hans), QUOTED.sub("", text.zh_hant)
    problems = []
    if found := sorted(set(hans) & set(TRADITIONAL_ONLY)):
        problems.append(f"Traditional {''.join(found)} in zh-Hans: {text.zh_hans}")
    if found := sorted(set(hant) & set(SIMPLIFIED_ONLY)):
        problems.append(f"Simplified {''.join(found)} in zh-Hant: {text.zh_hant}")
    if found := [term for term in NOT_TAIWAN if term in hant]:
        problems.append(f"mainland {found} in zh-Hant: {text.zh_hant}")
    return problems


def path_problems(hans: str, hant: str) -> list[str]:
    """A Simplified-only screen: each zh-Hant segment is the label, or 「label」（reading）."""
    left, right = [x.strip() for x in hans.split("→")], [x.strip() for x in hant.split("→")]
    if len(left) != len(right):
        return [f"{len(left)} segments in zh-Hans, {len(right)} in zh-Hant: {hant}"]
    return [
        f"{shown!r} should be {label!r} or 「{label}」（…）"
        for label, shown in zip(left, right, strict=True)
        if shown != label and not re.fullmatch(re.escape(f"「{label}」") + r"（[^）]+）", shown)
    ]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.id)
def test_each_chinese_text_keeps_to_its_script(record: ProviderRecord) -> None:
    problems = [f"{where}: {p}" for where, t in texts(record, "") for p in script_problems(t)]
    assert not problems, "\n".join(problems)


CHINESE = [r for r in RECORDS if r.country == "CN" and any(s.path for s in r.steps)]


@pytest.mark.parametrize("record", CHINESE, ids=lambda r: r.id)
def test_a_chinese_providers_paths_show_its_own_labels(record: ProviderRecord) -> None:
    problems = [
        f"steps[{i}]: {p}"
        for i, step in enumerate(record.steps)
        if step.path is not None
        for p in path_problems(step.path.zh_hans, step.path.zh_hant)
    ]
    assert not problems, "\n".join(problems)


def test_the_checks_see_a_converted_label_and_a_mainland_term() -> None:
    assert path_problems("设置 → POP3/SMTP/IMAP", "「设置」（設定）→ POP3/SMTP/IMAP") == []
    assert path_problems("设置 → 账户", "設定 → 帳戶")  # converted, not shown as on screen
    assert path_problems("设置 → 账户", "「设置」（設定）")  # a segment lost
    wrong = Localized.model_validate({"en": "x", "zh-Hans": "服務器", "zh-Hant": "服務器设置"})
    assert len(script_problems(wrong)) == 3
    quoted = Localized.model_validate({"en": "x", "zh-Hans": "点“開啟”", "zh-Hant": "點「开启」"})
    assert script_problems(quoted) == []
    assert len(CHINESE) >= 15
