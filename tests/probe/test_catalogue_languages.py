"""Every finding in all three languages: English, 简体中文 and 繁體中文 (the Chinese
texts from the gettext catalogs, as the tester reads them).

Fails as soon as a :class:`~app.probe.report.Code` lacks a text in any of them, when the
languages disagree on the placeholders, or when a 繁體中文 text still carries
Simplified characters (outside the 「」 that quote a provider's on-screen labels)."""

from __future__ import annotations

import re
import string

import pytest

from app.probe.catalogue import (
    CATALOGUE,
    FOLLOW_STEPS,
    LOGIN_WORKED,
    PASSWORD_WORD,
    PLACEHOLDERS,
    SOME_PROVIDER,
    SOME_SCOPE,
)
from app.probe.report import Code
from app.probe.wording import render
from app.translations import translations_for

from .results import EP, make

CJK = re.compile(r"[\u4e00-\u9fff]")
# A provider's menu labels, quoted as the user sees them (in Simplified), may stay.
QUOTED = re.compile(r"「[^」]*」")
# Characters written only in Simplified; a Traditional text must not use them.
SIMPLIFIED_ONLY = frozenset(
    "设务码连网这请发应时个为与么后们将来对错还没经无让证书户账邮录"
    # and a few more that the catalogue's Simplified texts use often
    "线络检认过开关启议给问题间实现须数绝会话"
)

# Half-width punctuation right next to a Chinese character: it should be full-width.
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]")
# (code, field) pairs whose Traditional text may equal the Simplified one: none so far.
SAME_IN_BOTH: frozenset[tuple[Code, str]] = frozenset()


def names(template: str) -> set[str]:
    """The placeholder names in a ``str.format`` template."""
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def in_three(text: str) -> tuple[str, str, str]:
    """``text`` (an English msgid) as (English, 简体中文, 繁體中文); a language without it
    gives the English back."""
    return (
        text,
        translations_for("zh-Hans").gettext(text),
        translations_for("zh-Hant").gettext(text),
    )


def texts(code: Code) -> dict[str, tuple[str, str, str]]:
    """``message`` and ``fix`` of ``code`` as (English, 简体中文, 繁體中文)."""
    entry = CATALOGUE[code]
    return {"message": in_three(entry.message), "fix": in_three(entry.fix)}


def simplified_left(text: str) -> set[str]:
    """Simplified-only characters in ``text`` outside 「」 brackets."""
    return set(QUOTED.sub("", text)) & SIMPLIFIED_ONLY


def check_triple(en: str, zh_hans: str, zh_hant: str) -> None:
    assert en.strip(), "English text missing"
    assert zh_hans.strip(), f"简体中文 text missing for {en!r}"
    assert zh_hant.strip(), f"繁體中文 text missing for {en!r}"
    assert CJK.search(zh_hans), zh_hans
    assert CJK.search(zh_hant), zh_hant
    assert names(en) == names(zh_hans) == names(zh_hant), (en, zh_hans, zh_hant)
    assert names(en) <= PLACEHOLDERS
    dummy = dict.fromkeys(PLACEHOLDERS, "x")
    for text in (en, zh_hans, zh_hant):
        text.format(**dummy)  # no stray braces
    assert not simplified_left(zh_hant), (simplified_left(zh_hant), zh_hant)
    assert "“" not in zh_hant, zh_hant  # 「」 in Traditional
    assert "”" not in zh_hant, zh_hant
    assert not HALF_WIDTH.search(zh_hant), zh_hant


def test_every_code_has_an_entry() -> None:
    assert set(CATALOGUE) == set(Code)


@pytest.mark.parametrize("code", list(Code))
@pytest.mark.parametrize("field", ["message", "fix"])
def test_every_finding_exists_in_all_three_languages(code: Code, field: str) -> None:
    en, zh_hans, zh_hant = texts(code)[field]
    check_triple(en, zh_hans, zh_hant)
    if (code, field) not in SAME_IN_BOTH:
        assert zh_hant != zh_hans, f"{code} {field}: 繁體中文 is a copy of 简体中文"


@pytest.mark.parametrize(
    "phrase", [SOME_PROVIDER, FOLLOW_STEPS, LOGIN_WORKED], ids=["provider", "steps", "login"]
)
def test_shared_phrases_exist_in_all_three_languages(phrase: str) -> None:
    en, zh_hans, zh_hant = in_three(phrase)
    check_triple(en, zh_hans, zh_hant)
    assert zh_hant != zh_hans


def test_the_simplified_only_list_catches_simplified_text() -> None:
    # The check must bite: it flags every 简体中文 text but the few written only in
    # characters that both scripts share.
    neutral = {(Code.WRONG_PROTOCOL, "message")}
    for code in Code:
        for field, (_en, zh_hans, _zh_hant) in texts(code).items():
            assert bool(simplified_left(zh_hans)) != ((code, field) in neutral), zh_hans


def expected(template: str, provider: str, language: int = 0) -> str:
    """``template`` filled as :func:`render` fills it for :func:`make`'s result, in
    ``language`` (0 English, 1 简体中文, 2 繁體中文)."""
    values = dict.fromkeys(PLACEHOLDERS, "")
    values.update(host=EP.host, port=str(EP.port), protocol=EP.protocol.name, provider=provider)
    values.update(user=make().username, secret=in_three(PASSWORD_WORD)[language])
    values.update(scope=in_three(SOME_SCOPE)[language])
    return template.format_map(values)


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-TW", "zh-HK", "zh-Hant-TW", "zh-hant"])
def test_render_gives_traditional_chinese(lang: str) -> None:
    result = make()
    for code in Code:
        entry = CATALOGUE[code]
        finding = render(code, result, lang=lang)
        provider = in_three(SOME_PROVIDER)[2]
        assert finding.message == expected(in_three(entry.message)[2], provider, 2)
        assert finding.fix == expected(in_three(entry.fix)[2], provider, 2)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-CN", "zh", "zh-SG"])
def test_render_gives_simplified_chinese(lang: str) -> None:
    result = make()
    for code in Code:
        entry = CATALOGUE[code]
        finding = render(code, result, lang=lang)
        provider = in_three(SOME_PROVIDER)[1]
        assert finding.message == expected(in_three(entry.message)[1], provider, 1)
        assert finding.fix == expected(in_three(entry.fix)[1], provider, 1)


def test_render_gives_english_otherwise() -> None:
    result = make()
    for code in Code:
        entry = CATALOGUE[code]
        finding = render(code, result, lang="en")
        assert finding.message == expected(entry.message, SOME_PROVIDER)
        assert finding.fix == expected(entry.fix, SOME_PROVIDER)
