"""Jinja2 templates with gettext-marked UI strings and per-request language.

UI strings are marked with ``_()`` / ``{% trans %}``; provider texts are
:class:`Localized` and shown with ``loc()``. The language of a request lives in
a context variable, so the shared environment serves every language.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.hostnames import to_unicode
from app.i18n import N_
from app.models import AuthMethod, Localized, Security, Source, Status
from app.paths import TEMPLATES_DIR

current_lang: ContextVar[str] = ContextVar("current_lang", default="en")

_TRANSLATIONS: dict[str, gettext.NullTranslations] = {}


def translations(lang: str) -> gettext.NullTranslations:
    """The message catalog for ``lang``; English strings where none is installed."""
    return _TRANSLATIONS.get(lang) or gettext.NullTranslations()


def _gettext(message: str) -> str:
    return translations(current_lang.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_lang.get()).ngettext(singular, plural, n)


def loc(text: Localized | None) -> str:
    """A provider text in the request's language."""
    return text.get(current_lang.get()) if text is not None else ""


SECURITY_LABELS = {
    Security.TLS: N_("SSL/TLS"),
    Security.STARTTLS: N_("STARTTLS"),
    Security.NONE: N_("None (unencrypted)"),
}

AUTH_LABELS = {
    AuthMethod.PASSWORD: N_("Password"),
    AuthMethod.APP_PASSWORD: N_("App password"),
    AuthMethod.AUTHORIZATION_CODE: N_("Authorization code (授权码)"),
    AuthMethod.OAUTH2: N_("OAuth2 (sign in through the browser)"),
    AuthMethod.PASSWORD_ENCRYPTED: N_("Encrypted password (CRAM-MD5)"),
    AuthMethod.NTLM: N_("NTLM"),
    AuthMethod.GSSAPI: N_("Kerberos / GSSAPI"),
    AuthMethod.CLIENT_CERT: N_("TLS client certificate"),
    AuthMethod.NONE: N_("No authentication"),
}


STATUS_LABELS = {
    Status.OK: N_("Ready"),
    Status.PREPARATION: N_("Needs setup first"),
    Status.BROKEN: N_("Broken"),
    Status.RETIRED: N_("Retired"),
}


SOURCE_LABELS = {
    Source.DATABASE: N_("our curated provider database"),
    Source.AUTOCONFIG: N_("the domain's own autoconfig file"),
    Source.ISPDB: N_("Thunderbird's ISPDB"),
    Source.MX: N_("the domain's MX records, which point to a known provider"),
    Source.SRV: N_("the domain's SRV records (RFC 6186 and RFC 8314)"),
    Source.GUESS_VERIFIED: N_("a guess, confirmed by connecting to the server"),
}

FINDING_LABELS = {
    "domain-not-found": N_("The domain does not exist in DNS."),
    "no-mx": N_("The domain has no MX records, so it may not receive mail at all."),
    "insecure-autoconfig": N_(
        "The settings came over plain HTTP and could have been altered on the way."
    ),
    "discovery-deadline": N_("Some sources did not answer in time."),
    "guess-deadline": N_("Guessing ran out of time."),
}


def _source_label(value: Source) -> str:
    return _gettext(SOURCE_LABELS[value])


def _finding_label(code: str) -> str:
    return _gettext(FINDING_LABELS[code]) if code in FINDING_LABELS else code


def _status_label(value: Status) -> str:
    return _gettext(STATUS_LABELS[value])


def _security_label(value: Security) -> str:
    return _gettext(SECURITY_LABELS[value])


def _auth_label(value: AuthMethod) -> str:
    return _gettext(AUTH_LABELS[value])


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html", "xml")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        loc=loc,
        security_label=_security_label,
        auth_label=_auth_label,
        status_label=_status_label,
        source_label=_source_label,
        finding_label=_finding_label,
    )
    env.filters["unicode_domain"] = to_unicode
    return env


templates = Jinja2Templates(env=build_environment())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render template ``name``; the body names the template in ``data-template``."""
    full = {"template_name": name, "lang": current_lang.get(), **context}
    return templates.TemplateResponse(request, name, full, status_code=status_code)
