"""One catalogue entry, put into the reader's language by the gettext catalogs."""

from __future__ import annotations

from dataclasses import dataclass

from app.probe.report import Severity
from app.translations import translations_for

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def translate(lang: str, text: str) -> str:
    """``text`` (an English msgid) in ``lang``, a BCP 47 tag."""
    return translations_for(lang).gettext(text)


@dataclass(frozen=True)
class Entry:
    """Severity, message and fix, in English and ``N_``-marked: the 简体中文 and 繁體中文
    texts are in the catalogs (``app/translations``). With ``provider_steps``, the
    provider's own steps replace the generic fix when the account is known, or follow
    it with ``keep_fix``."""

    severity: Severity
    message: str
    fix: str
    provider_steps: bool = False
    keep_fix: bool = False

    def message_in(self, lang: str) -> str:
        return translate(lang, self.message)

    def fix_in(self, lang: str) -> str:
        return translate(lang, self.fix)
