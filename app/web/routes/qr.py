"""QR codes on the setup page, drawn as inline SVG by segno (no image service).

One code opens the setup page on a phone, the other downloads the Apple
profile (only where one can be built). Their links start with
``MAILSETUP_PUBLIC_URL``, or, when it is unset, with the request's own origin
(:mod:`app.web.http.origin`: forwarding headers count only from trusted proxies,
and the page is then ``Cache-Control: private``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from fastapi import Request
from markupsafe import Markup

from app.i18n import N_
from app.web.http.i18n import current_lang, translations
from app.web.http.origin import public_origin

SETUP_LABEL = N_("QR code: open these settings on your phone")
PROFILE_LABEL = N_("QR code: install the profile on iPhone or iPad")
SETUP_CAPTION = N_("Scan to open this page on your phone.")
PROFILE_CAPTION = N_("Scan with the iPhone or iPad camera to install the profile.")


def public_link(public_url: str, path: str, params: Mapping[str, str]) -> str:
    """``public_url`` + ``path`` + the encoded query, e.g. ``https://host/setup?email=a%40b.c``."""
    return public_url.rstrip("/") + path + ("?" + urlencode(params) if params else "")


def setup_link(public_url: str, email: str) -> str:
    """The setup page of ``email`` on the public site."""
    return public_link(public_url, "/setup", {"email": email})


def profile_link(public_url: str, email: str) -> str:
    """The Apple profile download of ``email`` on the public site."""
    return public_link(public_url, "/apple/mobileconfig", {"email": email})


def qr_svg(data: str, label: str) -> Markup:
    """An inline, scalable SVG QR code of ``data``, named ``label`` for screen readers."""
    code = segno.make(data, error="m")
    svg = code.svg_inline(scale=4, title=label, svgclass="qr", omitsize=True, light="#fff")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno escapes the title


@dataclass(frozen=True)
class QRCode:
    """A code to show: the link it holds, its caption and the SVG."""

    url: str
    caption: str
    svg: Markup


def setup_codes(request: Request, email: str, *, profile: bool) -> list[QRCode]:
    """The setup page's codes for ``email``; the profile's too when ``profile`` is true."""
    public_url = public_origin(request)
    gettext = translations(current_lang.get()).gettext
    wanted = [(setup_link(public_url, email), SETUP_LABEL, SETUP_CAPTION)]
    if profile:
        wanted.append((profile_link(public_url, email), PROFILE_LABEL, PROFILE_CAPTION))
    return [
        QRCode(url, gettext(caption), qr_svg(url, gettext(label))) for url, label, caption in wanted
    ]
