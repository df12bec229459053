"""The UI language of each request: negotiation, labelling responses, the switcher's links.

A request's language comes from, in order: an explicit ``?lang=``, the ``lang``
cookie the switcher sets, ``Accept-Language`` (by quality), and English. The
edge middleware (:mod:`app.web.http.edge`) puts it in :data:`current_lang` for the
templates and the document generators, and labels HTML responses with
``Content-Language`` and ``Vary``.
The switcher is plain links to ``/lang/{code}?next=…``
(:mod:`app.web.routes.language`), so it works without JavaScript.
"""

from __future__ import annotations

import functools
import gettext
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel.core import parse_locale
from fastapi import Request
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import cookie_parser
from starlette.types import Scope

from app.translations import translations_for

# The UI languages (BCP 47 tags, as in <html lang>), each named in its own language.
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
DEFAULT = "en"
# Babel's name for each language: its catalog folder and its formatting locale.
BABEL_LOCALES: dict[str, str] = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}
COOKIE = "lang"
MAX_ACCEPT_LANGUAGE = 2000  # characters read from the header
MAX_RANGES = 30  # language ranges considered from the header

current_lang: ContextVar[str] = ContextVar("current_lang", default=DEFAULT)


def translations(lang: str) -> gettext.NullTranslations:
    """The message catalog for ``lang``; English (the msgids themselves) for ``en``."""
    return translations_for(lang)


@functools.lru_cache(maxsize=1024)
def match_tag(tag: str) -> str | None:
    """Our language for one BCP 47 tag, or None: zh-TW/HK/MO and zh-Hant → zh-Hant,
    any other Chinese → zh-Hans, any English → en.

    An explicit script wins; otherwise Babel's likely subtags decide by region.
    """
    try:
        language, territory, script, *_ = parse_locale(tag.strip(), sep="-")
    except ValueError:
        language, territory, script = tag.strip().split("-")[0].lower(), None, None
    if language == "en":
        return "en"
    if language != "zh":
        return None
    if script is None and territory is not None:
        try:
            script = Locale.parse(f"zh_{territory}").script
        except (ValueError, UnknownLocaleError):
            script = None
    return "zh-Hant" if script == "Hant" else "zh-Hans"


def accepted_tags(header: str) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, best first (RFC 9110 §12.5.4).

    Ranges with q=0 or a malformed q are dropped; equal qualities keep their order.
    """
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_RANGES]):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and 0 < quality <= 1:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


@functools.lru_cache(maxsize=1024)
def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an ``Accept-Language`` header; English when none fits."""
    for tag in accepted_tags(accept_language or ""):
        found = match_tag(tag)
        if found:
            return found
    return DEFAULT


def choose_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=`` first, then the cookie, then ``Accept-Language``; invalid values are skipped."""
    for explicit in (query, cookie):
        found = match_tag(explicit) if explicit else None
        if found:
            return found
    return negotiate(accept_language)


def load_catalogs() -> None:
    """Compile every catalog now (at start-up): a broken .po fails here, not mid-request."""
    for lang in LANGUAGES:
        translations(lang)


def request_language(scope: Scope, headers: Headers) -> str:
    """The language of an HTTP request (see :func:`choose_language`)."""
    query = None
    if b"lang" in scope["query_string"]:
        query = QueryParams(scope["query_string"]).get("lang")
    cookie = None
    if "cookie" in headers:
        cookie = cookie_parser(headers["cookie"]).get(COOKIE)
    return choose_language(query, cookie, headers.get("accept-language"))


def label_html(headers: list[tuple[bytes, bytes]], lang: str) -> None:
    """Gives an HTML response (in place) its ``Content-Language`` and the ``Vary``
    of the negotiation; other responses are left alone."""
    for name, value in headers:
        if name.lower() == b"content-type":
            if value.startswith(b"text/html"):
                break
            return
    else:
        return
    mutable = MutableHeaders(raw=headers)
    mutable["Content-Language"] = lang
    mutable.add_vary_header("Accept-Language")
    mutable.add_vary_header("Cookie")


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher."""

    code: str
    label: str
    href: str
    current: bool


def language_links(request: Request) -> list[LanguageLink]:
    """The switcher's links, each returning to the page shown (``lang=`` left out)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    here = request.url.path + ("?" + urlencode(query) if query else "")
    current = current_lang.get()
    return [
        LanguageLink(code, label, f"/lang/{code}?" + urlencode({"next": here}), code == current)
        for code, label in LANGUAGES.items()
    ]
