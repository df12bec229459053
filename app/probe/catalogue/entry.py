"""One catalogue entry."""

from __future__ import annotations

from dataclasses import dataclass

from app.probe.report import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def pick(en: str, zh_hans: str, lang: str) -> str:
    """The text for ``lang`` (a BCP 47 tag): 简体中文 for any ``zh``, else English."""
    return zh_hans if lang.lower().startswith("zh") else en


@dataclass(frozen=True)
class Entry:
    """Severity, message and fix. With ``provider_steps``, the provider's own steps
    replace the generic fix when the account is known, or follow it with ``keep_fix``."""

    severity: Severity
    message: str  # English, N_-marked
    message_zh_hans: str
    fix: str  # English, N_-marked
    fix_zh_hans: str
    provider_steps: bool = False
    keep_fix: bool = False

    def message_in(self, lang: str) -> str:
        return pick(self.message, self.message_zh_hans, lang)

    def fix_in(self, lang: str) -> str:
        return pick(self.fix, self.fix_zh_hans, lang)
