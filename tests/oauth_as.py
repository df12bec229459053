"""A real OAuth 2.0 authorization server on loopback, for "Sign in with ..." flows.

The protocol is Authlib's (its Flask ``AuthorizationServer`` with the
``AuthorizationCodeGrant`` of RFC 6749 and the ``CodeChallenge`` extension of RFC 7636);
this module only supplies in-memory models, a consent page and a thread to serve it on.

:func:`run_authorization_server` serves, on 127.0.0.1 at a free port of
:data:`tests.realservers.TEST_PORTS`:

* ``GET /authorize``: checks ``client_id``, ``redirect_uri`` (exact match with the one
  registered), ``response_type=code`` and a ``code_challenge`` with
  ``code_challenge_method=S256`` (missing, or ``plain``, is refused), then shows a consent
  page titled "Test sign-in" with the requested scope, a ``<select name="user">`` of the
  users (``login_hint`` preselects one of them, else the first) and the buttons
  ``decision=approve`` and ``decision=deny`` in one POST form back to the same URL.
* ``POST /authorize``: approve redirects to ``redirect_uri?code=...&state=...``, deny to
  ``redirect_uri?error=access_denied&state=...``.
* ``POST /token``: the ``authorization_code`` grant only; checks the client (public:
  ``client_id`` alone; confidential: ``client_id`` and ``client_secret`` in the form
  body), the code (single use, 10 minutes), the ``redirect_uri`` and the PKCE
  ``code_verifier``; answers ``{"access_token", "token_type": "Bearer", "expires_in":
  3600, "scope"}`` (the scope as asked for, ``offline_access`` too; never a refresh
  token) and puts ``tokens[access_token] = user``, the mapping that
  :func:`tests.oauthservers.run_introspection` answers from.

Errors are Authlib's, per RFC 6749: a bad ``client_id`` or ``redirect_uri`` gets a JSON
``400`` (``invalid_client``, ``invalid_request``) and no redirect; any later error of the
authorization request (a missing or ``plain`` code challenge, a denial) is a ``302`` to
the client's ``redirect_uri`` with ``error`` and ``state``; token errors are JSON ``400``
(``invalid_grant``, ``invalid_client``, ``invalid_request``).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, abort, render_template_string, request
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.realservers import listen_in_test_range

TOKEN_LIFETIME = 3600
CODE_LIFETIME = 600.0  # RFC 6749 4.1.2: "a maximum ... of 10 minutes is RECOMMENDED"

CONSENT_PAGE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test sign-in</title></head>
<body>
<h1>Test sign-in</h1>
<p><span id="client">{{ client_id }}</span> asks for: <code id="scope">{{ scope }}</code></p>
<form method="post" action="{{ action }}">
<label>Account
<select name="user">
{%- for user in users %}
<option value="{{ user }}"{% if user == selected %} selected{% endif %}>{{ user }}</option>
{%- endfor %}
</select></label>
<button name="decision" value="approve">Approve</button>
<button name="decision" value="deny">Deny</button>
</form>
</body>
</html>
"""


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    """A registered client: public (``secret`` None, token endpoint auth ``none``) or
    confidential (``client_secret_post``)."""

    client_id: str
    redirect_uri: str
    secret: str | None = None

    @property
    def token_endpoint_auth_method(self) -> str:
        return "none" if self.secret is None else "client_secret_post"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""  # whatever it asks for

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret is None:
            return False
        return secrets.compare_digest(self.secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        # Not "refresh_token": Authlib then issues no refresh token.
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str | None  # as in the authorization request (None: omitted there)
    scope: str
    user: str
    code_challenge: str
    code_challenge_method: str
    issued_at: float

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.monotonic() - self.issued_at > CODE_LIFETIME


class S256Required(CodeChallenge):  # type: ignore[misc]
    """Authlib's PKCE extension, with a code challenge required of every authorization
    request and S256 the only method (Authlib itself lets a request without one through,
    and takes ``plain``)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's attribute)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'")
        super().validate_code_challenge(grant, redirect_uri)


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.0: one request per connection, so no kept-alive connection holds a request
    # thread when the server stops (werkzeug would make it HTTP/1.1 for a threaded server).
    protocol_version = "HTTP/1.0"
    timeout = 10  # a client that connects and sends nothing

    def log(self, type: str, message: str, *args: Any) -> None:
        pass  # quiet


class AuthServer:
    """The running server (see the module docstring). ``tokens`` is the mapping it writes
    every access token to (token -> user); ``users`` the accounts the consent page
    offers."""

    def __init__(self, tokens: MutableMapping[str, str], users: Sequence[str]) -> None:
        if not users:
            raise ValueError("at least one user")
        self.tokens = tokens
        self.users: tuple[str, ...] = tuple(users)
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._issued: list[tuple[str, str, str]] = []
        self._requests: list[tuple[str, str]] = []
        self._codes_redeemed = 0
        self.app = self._make_app()
        with listen_in_test_range() as sock:
            # werkzeug serves a duplicate of this listening socket: no race for the port.
            self._server = make_server(
                "127.0.0.1",
                sock.getsockname()[1],
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=sock.fileno(),
            )
        # Closing joins the request threads (werkzeug makes them daemons).
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.authorize_url = f"{self.url}/authorize"
        self.token_url = f"{self.url}/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"oauth-as-{self.port}",
            daemon=True,
        )
        self._thread.start()

    # --- What tests set up and look at ---------------------------------------------------

    def register_client(self, client_id: str, redirect_uri: str, secret: str | None = None) -> None:
        """A public client (``secret`` None) or a confidential one (``client_secret_post``)
        with exactly this redirect URI; registering a ``client_id`` again replaces it."""
        with self._lock:
            self._clients[client_id] = Client(client_id, redirect_uri, secret)

    @property
    def issued(self) -> list[tuple[str, str, str]]:
        """(access token, user, scope) of every token issued, oldest first (a copy)."""
        with self._lock:
            return list(self._issued)

    @property
    def codes_redeemed(self) -> int:
        """How many authorization codes were exchanged for a token."""
        with self._lock:
            return self._codes_redeemed

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request, oldest first (a copy; no query strings)."""
        with self._lock:
            return list(self._requests)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()  # joins the request threads

    # --- The models Authlib asks --------------------------------------------------------

    def _query_client(self, client_id: str) -> Client | None:
        with self._lock:
            return self._clients.get(client_id)

    def _save_token(self, token: dict[str, Any], req: Any) -> None:
        user: str = req.user
        with self._lock:
            self.tokens[token["access_token"]] = user
            self._issued.append((token["access_token"], user, token.get("scope", "")))

    def _save_code(self, code: str, req: Any) -> None:
        data = req.payload.data
        item = AuthorizationCode(
            code=code,
            client_id=req.client.get_client_id(),
            redirect_uri=req.payload.redirect_uri,
            scope=req.scope or "",
            user=req.user,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            issued_at=time.monotonic(),
        )
        with self._lock:
            self._codes[code] = item

    def _query_code(self, code: str, client: Client) -> AuthorizationCode | None:
        with self._lock:
            item = self._codes.get(code)
        if item is None or item.client_id != client.client_id or item.is_expired():
            return None
        return item

    def _delete_code(self, item: AuthorizationCode) -> None:
        with self._lock:
            if self._codes.pop(item.code, None) is not None:
                self._codes_redeemed += 1

    # --- The Flask app ------------------------------------------------------------------

    def _make_app(self) -> Flask:
        owner = self

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            # "none" for public clients; no client_secret_basic, so that a confidential
            # client without its secret gets 400 invalid_client (401 with basic offered).
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post", "none"]  # noqa: RUF012

            def save_authorization_code(self, code: str, req: Any) -> None:
                owner._save_code(code, req)

            def query_authorization_code(
                self, code: str, client: Client
            ) -> AuthorizationCode | None:
                return owner._query_code(code, client)

            def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
                owner._delete_code(authorization_code)

            def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
                return authorization_code.user

        app = Flask(__name__)
        app.config.update(
            OAUTH2_ACCESS_TOKEN_GENERATOR=lambda **_: secrets.token_urlsafe(32),
            OAUTH2_REFRESH_TOKEN_GENERATOR=False,
            OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": TOKEN_LIFETIME},
        )
        server = AuthorizationServer(app, self._query_client, self._save_token)
        server.register_grant(CodeGrant, [S256Required(required=True)])

        @app.before_request
        def record() -> None:
            with owner._lock:
                owner._requests.append((request.method, request.path))

        @app.get("/authorize")
        def consent() -> Any:
            try:
                grant = server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            hint = request.args.get("login_hint")
            return render_template_string(
                CONSENT_PAGE,
                client_id=grant.client.get_client_id(),
                scope=grant.request.scope or "",
                users=owner.users,
                selected=hint if hint in owner.users else owner.users[0],
                action=f"/authorize?{request.query_string.decode('ascii', 'replace')}",
            )

        @app.post("/authorize")
        def decide() -> Any:
            decision = request.form.get("decision")
            user = request.form.get("user")
            if decision not in ("approve", "deny"):
                abort(400, "decision must be approve or deny")
            grant_user = None
            if decision == "approve":
                if user not in owner.users:
                    abort(400, "no such user")
                grant_user = user
            try:
                grant = server.get_consent_grant(end_user=grant_user)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant_user=grant_user, grant=grant)

        @app.post("/token")
        def token() -> Response:
            response: Response = server.create_token_response()
            return response

        return app


@contextlib.contextmanager
def run_authorization_server(
    tokens: MutableMapping[str, str], users: Sequence[str]
) -> Iterator[AuthServer]:
    """An OAuth 2.0 authorization server on a free loopback port (see the module
    docstring), writing the tokens it issues into ``tokens`` (token -> user) and offering
    ``users`` on its consent page. Register clients with :meth:`AuthServer.register_client`."""
    server = AuthServer(tokens, users)
    try:
        yield server
    finally:
        server.close()
