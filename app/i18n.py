"""Translation markers shared by every layer."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message
