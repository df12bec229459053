"""Which mail app the visitor sets up: the home page's choice, remembered in a cookie,
and the compact settings card the setup page shows for it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from app.i18n import N_
from app.models import Protocol
from app.providers.lookup import EndpointAnswer

COOKIE = "client"
COOKIE_AGE = 365 * 24 * 3600
OTHER = "other"
# The home page's choices, in this order, with short names for the chips.
CHOICES: dict[str, str] = {
    "foxmail": N_("Foxmail"),
    "outlook": N_("Outlook"),
    "ios": N_("iPhone / iPad Mail"),
    "apple-mail": N_("Apple Mail (Mac)"),
    "thunderbird": N_("Thunderbird"),
    "gmail-android": N_("Gmail app"),
    "thunderbird-android": N_("Android (K-9 / Thunderbird)"),
    OTHER: N_("Another app"),
}
# Apps on a phone: their page offers the QR code that opens it there.
PHONE = frozenset({"ios", "gmail-android", "thunderbird-android", OTHER})
# Apps that take Apple's configuration profile.
APPLE = frozenset({"ios", "apple-mail", OTHER})


def chosen_app(request: Request, asked: str) -> str:
    """The app asked for (``?client=``), else the one remembered, else :data:`OTHER`."""
    for candidate in (asked, request.cookies.get(COOKIE, "")):
        if candidate in CHOICES:
            return candidate
    return OTHER


def remember_app(response: Response, request: Request, app: str) -> None:
    """Keep ``app`` for the next visit (a first-party cookie, readable by no script)."""
    if request.cookies.get(COOKIE) != app:
        secure = request.url.scheme == "https"
        response.set_cookie(
            COOKIE, app, max_age=COOKIE_AGE, httponly=True, samesite="lax", secure=secure
        )


@dataclass(frozen=True)
class Card:
    """The servers one app needs: where mail comes in and goes out; POP3 on request."""

    incoming: EndpointAnswer
    outgoing: EndpointAnswer
    pop3: EndpointAnswer | None


def card_for(endpoints: tuple[EndpointAnswer, ...]) -> Card | None:
    """The recommended incoming (IMAP, else POP3) and outgoing server; None without both."""
    first = {p: next((e for e in endpoints if e.protocol is p), None) for p in Protocol}
    incoming = first[Protocol.IMAP] or first[Protocol.POP3]
    outgoing = first[Protocol.SMTP]
    if incoming is None or outgoing is None:
        return None
    pop3 = first[Protocol.POP3] if incoming.protocol is Protocol.IMAP else None
    return Card(incoming, outgoing, pop3)
