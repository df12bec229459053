"""Translation markers and language tags, shared by every layer."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def locale_of(lang: str) -> str | None:
    """The catalog for ``lang``, a BCP 47 tag: ``zh_Hant`` for zh-Hant, zh-TW, zh-HK
    and zh-MO, ``zh_Hans`` for any other Chinese, None (English) otherwise."""
    key = lang.lower()
    if not key.startswith("zh"):
        return None
    traditional = any(tag in key for tag in ("hant", "-tw", "-hk", "-mo"))
    return "zh_Hant" if traditional else "zh_Hans"
