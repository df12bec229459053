"""The gettext catalogs of the UI and of the tester's findings, compiled from their
``.po`` files in memory.

Layout: ``<locale>/LC_MESSAGES/messages.po`` with Babel locale names
(``zh_Hans``, ``zh_Hant``). No ``.mo`` files are kept: :func:`load_catalog`
reads the ``.po`` file and compiles it once per process, so a fresh clone, an
editable install and the wheel (which carries this folder inside the package)
all work the same way.

Update the catalogs after changing UI strings (from the repository root)::

    .venv/bin/pybabel extract -F pyproject.toml -o /tmp/messages.pot .
    .venv/bin/pybabel update -i /tmp/messages.pot -d app/translations --no-fuzzy-matching \
        --ignore-obsolete

then translate every new or empty ``msgstr`` in both files; the tests in
``tests/web/test_i18n_catalogs.py`` fail until each one is done.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.i18n import locale_of

CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"


def po_path(locale: str) -> Path:
    """Where the ``.po`` file of ``locale`` (e.g. ``zh_Hans``) lives."""
    return CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    """The parsed ``.po`` file of ``locale``; raise ``OSError`` when it is missing."""
    with po_path(locale).open("rb") as fp:
        return read_po(fp, locale=locale, domain=DOMAIN)


@cache
def load_catalog(locale: str) -> Translations:
    """The compiled catalog of ``locale``, built once; fuzzy entries are left out."""
    buffer = BytesIO()
    write_mo(buffer, read_catalog(locale), use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def translations_for(lang: str) -> gettext.NullTranslations:
    """The compiled catalog for ``lang`` (see :func:`locale_of`); English is the
    msgids themselves."""
    locale = locale_of(lang)
    return gettext.NullTranslations() if locale is None else load_catalog(locale)
