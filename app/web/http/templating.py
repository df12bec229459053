"""Jinja2 templates with gettext-marked UI strings and per-request language.

UI strings are marked with ``_()`` / ``{% trans %}``; provider texts are
:class:`Localized` and shown with ``loc()``. The language of a request lives in
a context variable, so the shared environment serves every language.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from app.discovery.service import DiscoveryFinding
from app.hostnames import to_unicode
from app.i18n import N_
from app.models import Attempt, AuthMethod, Confidence, Localized, Security, Source, Status
from app.paths import TEMPLATES_DIR
from app.web.http.i18n import BABEL_LOCALES, language_links
from app.web.http.i18n import current_lang as current_lang
from app.web.http.i18n import translations as translations
from app.web.http.state import AppState
from app.web.http.tracewords import attempt_outcome, outcome_says_it_all, source_short_label


def _gettext(message: str) -> str:
    return translations(current_lang.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_lang.get()).ngettext(singular, plural, n)


def loc(text: Localized | None) -> str:
    """A provider text in the request's language."""
    return text.get(current_lang.get()) if text is not None else ""


def _babel_locale() -> str:
    return BABEL_LOCALES.get(current_lang.get(), "en")


def _format_date(value: date, width: str = "long") -> str:
    """A date the way the request's language writes it: "March 7, 2025", "2025年3月7日"."""
    return format_date(value, width, locale=_babel_locale())


def _format_number(value: float) -> str:
    """A number with the request's language's separators."""
    return format_decimal(value, locale=_babel_locale())


def _country_name(code: str) -> str:
    """An ISO 3166 country code as a name in the request's language; the code if unknown."""
    return str(Locale.parse(_babel_locale()).territories.get(code.upper(), code))


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


CONFIDENCE_LABELS = {
    Confidence.HIGH: N_("high"),
    Confidence.MEDIUM: N_("medium"),
    Confidence.LOW: N_("low"),
}


STATUS_LABELS = {
    Status.OK: N_("Ready"),
    Status.PREPARATION: N_("Needs setup first"),
    Status.BROKEN: N_("Broken"),
    Status.RETIRED: N_("Retired"),
    Status.NO_MAIL_APPS: N_("No mail-app access"),
}


SOURCE_LABELS = {
    Source.DATABASE: N_("our curated provider database"),
    Source.AUTOCONFIG: N_("the domain's own autoconfig file"),
    Source.ISPDB: N_("Thunderbird's ISPDB"),
    Source.ISPDB_SNAPSHOT: N_("Thunderbird's ISPDB (snapshot of %(date)s)"),
    Source.MX: N_("the domain's MX records, which point to a known provider"),
    Source.SRV: N_("the domain's SRV records (RFC 6186 and RFC 8314)"),
    Source.GUESS_VERIFIED: N_("a guess, confirmed by connecting to the server"),
}

FINDING_LABELS = {
    DiscoveryFinding.DOMAIN_NOT_FOUND: N_("The domain does not exist in DNS."),
    DiscoveryFinding.NO_MX: N_("The domain has no MX records, so it may not receive mail at all."),
    DiscoveryFinding.INSECURE_AUTOCONFIG: N_(
        "The settings came over plain HTTP and could have been altered on the way."
    ),
    DiscoveryFinding.DISCOVERY_DEADLINE: N_("Some sources did not answer in time."),
    DiscoveryFinding.GUESS_DEADLINE: N_("Guessing ran out of time."),
}


@pass_context
def _source_label(context: Context, value: Source) -> str:
    """Where settings came from, in words; the ISPDB snapshot with the date of the one
    this app loaded (said as ISPDB when the app has none)."""
    if value is Source.ISPDB_SNAPSHOT:
        request = context.get("request")
        state = getattr(request.app.state, "mailsetup", None) if request is not None else None
        snapshot = state.db.snapshot if isinstance(state, AppState) else None
        if snapshot is None:
            return _gettext(SOURCE_LABELS[Source.ISPDB])
        return _gettext(SOURCE_LABELS[value]) % {"date": snapshot.date.isoformat()}
    return _gettext(SOURCE_LABELS[value])


def _finding_label(code: DiscoveryFinding) -> str:
    return _gettext(FINDING_LABELS[code])


def _text_lang(text: str) -> str:
    """The language of a source's title: zh when mostly Chinese, else en."""
    han = len(re.findall(r"[\u3400-\u9fff]", text))
    return "zh" if han >= len(re.findall(r"[A-Za-z]+", text)) else "en"


def _attempt_source(attempt: Attempt) -> str:
    return _gettext(source_short_label(attempt.source))


def _attempt_outcome(attempt: Attempt) -> str:
    return _gettext(attempt_outcome(attempt))


def _status_label(value: Status) -> str:
    return _gettext(STATUS_LABELS[value])


def _security_label(value: Security) -> str:
    return _gettext(SECURITY_LABELS[value])


def _auth_label(value: AuthMethod) -> str:
    return _gettext(AUTH_LABELS[value])


def _confidence_label(value: Confidence) -> str:
    return _gettext(CONFIDENCE_LABELS[value])


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
        confidence_label=_confidence_label,
        attempt_source=_attempt_source,
        attempt_outcome=_attempt_outcome,
        outcome_says_it_all=outcome_says_it_all,
        language_links=language_links,
    )
    env.filters["unicode_domain"] = to_unicode
    env.filters["date"] = _format_date
    env.filters["number"] = _format_number
    env.filters["country"] = _country_name
    env.filters["text_lang"] = _text_lang
    return env


templates = Jinja2Templates(env=build_environment())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render template ``name``; the body names the template in ``data-template``."""
    full = {"template_name": name, "lang": current_lang.get(), **context}
    return templates.TemplateResponse(request, name, full, status_code=status_code)
