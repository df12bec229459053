"""One catalogue entry, and choosing a text by language."""

from __future__ import annotations

from dataclasses import dataclass

from app.probe.report import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def traditional(lang: str) -> bool:
    """Whether ``lang`` (a BCP 47 tag) asks for 繁體中文: zh-Hant, zh-TW, zh-HK or zh-MO."""
    key = lang.lower()
    return key.startswith("zh") and any(t in key for t in ("hant", "-tw", "-hk", "-mo"))


def pick(lang: str, en: str, zh_hans: str, zh_hant: str = "") -> str:
    """The text for ``lang``: 繁體中文 when asked for and written, else 简体中文 for any
    ``zh``, else English."""
    if not lang.lower().startswith("zh"):
        return en
    return zh_hant if zh_hant and traditional(lang) else zh_hans


@dataclass(frozen=True)
class Entry:
    """Severity, message and fix. With ``provider_steps``, the provider's own steps
    replace the generic fix when the account is known, or follow it with ``keep_fix``.
    An entry without 繁體中文 texts shows 简体中文 to a Traditional reader."""

    severity: Severity
    message: str  # English, N_-marked
    message_zh_hans: str
    fix: str  # English, N_-marked
    fix_zh_hans: str
    provider_steps: bool = False
    keep_fix: bool = False
    message_zh_hant: str = ""
    fix_zh_hant: str = ""

    def message_in(self, lang: str) -> str:
        return pick(lang, self.message, self.message_zh_hans, self.message_zh_hant)

    def fix_in(self, lang: str) -> str:
        return pick(lang, self.fix, self.fix_zh_hans, self.fix_zh_hant)
