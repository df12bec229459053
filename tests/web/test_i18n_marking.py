"""Every UI string in the templates is marked for translation."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir

from app.paths import TEMPLATES_DIR

# Text that needs no translation: the product name, symbols, protocol names.
ALLOWED = {"mailsetup", "·", "…", "—", ";", ":", ",", "API", "✓"}


def _unmarked_text(source: str) -> list[str]:
    marked_blocks = r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}"
    without_jinja = re.sub(marked_blocks + r"|{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    without_tags = re.sub(r"<[^>]*>", " ", without_jinja, flags=re.S)
    words = without_tags.split()
    return [w for w in words if re.search(r"[^\W\d_]", w) and w not in ALLOWED]


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_no_unmarked_text(template: str) -> None:
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    assert _unmarked_text(source) == []


def test_detector_finds_unmarked_text() -> None:
    assert _unmarked_text("<p>Hello world</p>{{ _('ok') }}") == ["Hello", "world"]
    assert _unmarked_text("{% trans n=1 %}{{ n }} item{% endtrans %} Left") == ["Left"]


def test_attributes_with_words_are_marked() -> None:
    for path in TEMPLATES_DIR.glob("*.html"):
        source = path.read_text(encoding="utf-8")
        for attr in re.findall(r'(?:aria-label|title|alt)="([^"]*)"', source):
            assert attr.startswith("{{") or not re.search(r"[A-Za-z]", attr), (path.name, attr)


def test_babel_extracts_the_templates() -> None:
    mapping = [("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    ids = {m[2] for m in extract_from_dir(str(TEMPLATES_DIR), mapping, options_map=options)}
    assert "Server settings" in ids
    assert "Set up your mail in any app" in ids
