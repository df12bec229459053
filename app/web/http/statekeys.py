"""The keys this app keeps in an ASGI scope's ``state``, all in one place."""

from __future__ import annotations

from enum import StrEnum


class StateKey(StrEnum):
    """A key in ``scope["state"]``; prefixed so it cannot meet another library's."""

    REQUEST = "mailsetup.request"  # the edge's RequestInfo (app.web.http.context)
    HTTPS = "mailsetup.https"  # whether the client came over TLS, set by the edge
    CSRF_TOKEN = "mailsetup.csrf_token"  # noqa: S105 - a state key, not a secret
    CSRF_COOKIE = "mailsetup.csrf_set_cookie"  # a new CSRF token the response must set
    REQUEST_ORIGIN = "mailsetup.request_origin"  # links came from the request: keep it private
