"""Where the bundled data, templates and static files live.

A source checkout (and an editable install) uses the top-level folders; an
installed wheel carries copies under ``app/_bundled``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_bundled" / name


DATA_DIR = _resource("data")
TEMPLATES_DIR = _resource("templates")
STATIC_DIR = _resource("static")
