"""The finding catalogue: for every :class:`~app.probe.report.Code`, its severity and
its message and fix in English, marked with ``N_``. Their 简体中文 and 繁體中文 are in
the gettext catalogs with the UI's (``app/translations``); :func:`translate` picks.

Texts are ``str.format`` templates over the names in :data:`PLACEHOLDERS`; every
language uses the same ones.
"""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.connection import CONNECTION
from app.probe.catalogue.entry import Entry, translate
from app.probe.catalogue.login import LOGIN
from app.probe.catalogue.oauth import OAUTH
from app.probe.catalogue.tls import TLS
from app.probe.report import Code

CATALOGUE: dict[Code, Entry] = {**CONNECTION, **TLS, **LOGIN, **OAUTH}

PLACEHOLDERS = frozenset(
    {"host", "port", "protocol", "provider", "version", "days", "date", "names", "issuer"}
    | {"speaks", "step", "login", "reply", "user", "scope", "secret"}
)

# The provider's name when no account is known, and the line before its own steps.
SOME_PROVIDER = N_("Your mail provider")
FOLLOW_STEPS = N_("Do what {provider} asks, in this order:")
# Before a server's own failure, when the login itself worked ({login}).
LOGIN_WORKED = N_("The login works. ")
# One of the provider's steps, with the menu path to follow.
STEP_WITH_PATH = N_("{text} ({path})")
# What {secret} names, and {scope} when neither the server nor the provider names one.
PASSWORD_WORD = N_("the password")
TOKEN_WORD = N_("the access token")
SOME_SCOPE = N_("the scope the provider documents for mail")


__all__ = [
    "CATALOGUE",
    "FOLLOW_STEPS",
    "LOGIN_WORKED",
    "PASSWORD_WORD",
    "PLACEHOLDERS",
    "SOME_PROVIDER",
    "SOME_SCOPE",
    "STEP_WITH_PATH",
    "TOKEN_WORD",
    "Entry",
    "translate",
]
