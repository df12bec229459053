"""The language switcher's route: ``/lang/{code}?next=…`` sets the ``lang`` cookie.

The switcher is plain links (:func:`app.web.http.i18n.language_links`), so it works
without JavaScript; ``next`` must be a path on this site.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import RedirectResponse

from app.web.http.i18n import COOKIE, LANGUAGES

COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_NEXT = 2000

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site (without ``lang=``), else ``/``.

    Refuses what a browser could read as another host: ``//host``, ``/\\host``,
    absolute URLs, and control characters (browsers drop tabs and newlines).
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return "/"
    if (
        target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or c == "\x7f" for c in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + ("?" + urlencode(query) if query else "")


@router.get("/lang/{code}")
def switch_language(
    code: str, next_url: Annotated[str, Query(alias="next", max_length=MAX_NEXT)] = "/"
) -> RedirectResponse:
    """Remember ``code`` in the ``lang`` cookie and go back to ``next`` (a local path)."""
    if code not in LANGUAGES:
        raise HTTPException(404, f"unknown language {code!r}; use one of {', '.join(LANGUAGES)}")
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True
    )
    return response
