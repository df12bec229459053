"""The loopback OAuth 2.0 authorization server of tests/oauth_as.py, driven with httpx
the way a browser and the app's callback would: authorization code grant with PKCE."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests import oauth_as
from tests.oauth_as import AuthServer, run_authorization_server
from tests.oauthservers import run_introspection

USERS = ["alice@example.test", "bob@example.test", "carol@example.test"]
PUBLIC = "mailsetup-public"
CONFIDENTIAL = "mailsetup-web"
SECRET = "s3cret-of-the-web-client"
REDIRECT = "http://127.0.0.1:8080/oauth/callback"
SCOPE = "openid email https://mail.example.test/imap offline_access"
# RFC 6750 b64token, and what secrets.token_urlsafe gives.
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 4.1 and 4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Flow:
    server: AuthServer
    http: httpx.Client
    tokens: dict[str, str]

    def authorize_params(self, challenge: str, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": PUBLIC,
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "state-123",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **overrides,
        }
        return {k: v for k, v in params.items() if v is not None}

    def consent(self, params: dict[str, str]) -> httpx.Response:
        return self.http.get(self.server.authorize_url, params=params)

    def decide(
        self, page: httpx.Response, decision: str, user: str | None = None
    ) -> httpx.Response:
        """Submit the consent page's form as a browser would."""
        action = re.search(r'<form method="post" action="([^"]+)">', page.text)
        assert action is not None
        form = {"decision": decision, "user": user or selected_user(page.text)}
        return self.http.post(self.server.url + html.unescape(action[1]), data=form)

    def code(self, challenge: str, user: str | None = None, **overrides: str | None) -> str:
        page = self.consent(self.authorize_params(challenge, **overrides))
        assert page.status_code == 200, page.text
        answer = self.decide(page, "approve", user)
        assert answer.status_code == 302
        return httpx.URL(answer.headers["location"]).params["code"]

    def redeem(self, code: str, verifier: str | None, **overrides: str | None) -> httpx.Response:
        form: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": PUBLIC,
            "code_verifier": verifier,
            **overrides,
        }
        return self.http.post(
            self.server.token_url, data={k: v for k, v in form.items() if v is not None}
        )


def selected_user(page: str) -> str:
    selected = re.findall(r'<option value="([^"]+)" selected>', page)
    assert len(selected) == 1, page
    return html.unescape(selected[0])


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect to the client's redirect URI."""
    assert response.status_code == 302, response.text
    location = httpx.URL(response.headers["location"])
    assert str(location.copy_with(query=None)) == REDIRECT
    return dict(location.params)


@pytest.fixture
def flow() -> Iterator[Flow]:
    tokens: dict[str, str] = {}
    with run_authorization_server(tokens, USERS) as server, httpx.Client(timeout=10) as http:
        server.register_client(PUBLIC, REDIRECT)
        server.register_client(CONFIDENTIAL, REDIRECT, secret=SECRET)
        yield Flow(server, http, tokens)


def test_happy_path_with_pkce(flow: Flow) -> None:
    verifier, challenge = pkce()
    page = flow.consent(flow.authorize_params(challenge))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Test sign-in</title>" in page.text
    assert html.escape(SCOPE) in page.text
    assert re.findall(r'<option value="([^"]+)"', page.text) == USERS
    assert selected_user(page.text) == USERS[0]
    assert '<button name="decision" value="approve">Approve</button>' in page.text
    assert '<button name="decision" value="deny">Deny</button>' in page.text

    params = redirect_params(flow.decide(page, "approve", USERS[1]))
    assert set(params) == {"code", "state"}
    assert params["state"] == "state-123"

    answer = flow.redeem(params["code"], verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == SCOPE  # offline_access too, but:
    assert "refresh_token" not in token
    access = token["access_token"]
    assert TOKEN_CHARS.match(access)
    assert len(access) >= 40
    assert flow.tokens == {access: USERS[1]}
    assert flow.server.issued == [(access, USERS[1], SCOPE)]
    assert flow.server.codes_redeemed == 1
    assert flow.server.requests == [
        ("GET", "/authorize"),
        ("POST", "/authorize"),
        ("POST", "/token"),
    ]


def test_issued_token_passes_introspection(flow: Flow) -> None:
    """The mapping the server writes is the one the introspection endpoint (and so
    Dovecot's oauth2 passdb) answers from."""
    verifier, challenge = pkce()
    with run_introspection(flow.tokens) as introspection:
        answer = flow.redeem(flow.code(challenge, USERS[2]), verifier)
        token = answer.json()["access_token"]
        active = httpx.post(introspection.url, data={"token": token}, timeout=10).json()
        assert active == {"active": True, "username": USERS[2]}
        other = httpx.post(introspection.url, data={"token": token + "x"}, timeout=10).json()
        assert other == {"active": False}


def test_scope_is_echoed_and_may_be_omitted(flow: Flow) -> None:
    verifier, challenge = pkce()
    token = flow.redeem(flow.code(challenge, scope="a b:c"), verifier).json()
    assert token["scope"] == "a b:c"
    verifier, challenge = pkce()
    token = flow.redeem(flow.code(challenge, scope=None), verifier).json()
    assert "scope" not in token
    assert flow.server.issued[-1][2] == ""


def test_deny(flow: Flow) -> None:
    _, challenge = pkce()
    page = flow.consent(flow.authorize_params(challenge))
    params = redirect_params(flow.decide(page, "deny"))
    assert params["error"] == "access_denied"
    assert params["state"] == "state-123"
    assert "code" not in params
    assert flow.tokens == {}
    assert flow.server.issued == []


def test_login_hint_preselects(flow: Flow) -> None:
    _, challenge = pkce()
    page = flow.consent(flow.authorize_params(challenge, login_hint=USERS[2]))
    assert selected_user(page.text) == USERS[2]
    page = flow.consent(flow.authorize_params(challenge, login_hint="nobody@example.test"))
    assert selected_user(page.text) == USERS[0]


def test_approve_for_the_user_chosen(flow: Flow) -> None:
    verifier, challenge = pkce()
    page = flow.consent(flow.authorize_params(challenge, login_hint=USERS[2]))
    code = redirect_params(flow.decide(page, "approve"))["code"]
    token = flow.redeem(code, verifier).json()["access_token"]
    assert flow.tokens[token] == USERS[2]


def test_approve_for_an_unknown_user_refused(flow: Flow) -> None:
    _, challenge = pkce()
    page = flow.consent(flow.authorize_params(challenge))
    assert flow.decide(page, "approve", "mallory@example.test").status_code == 400


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "code_challenge"),
        ({"code_challenge": None}, "code_challenge"),
        ({"code_challenge_method": None}, "S256"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": "S512"}, "S256"),
        ({"code_challenge": "too-short"}, "code_challenge"),
    ],
)
def test_s256_code_challenge_required(
    flow: Flow, overrides: dict[str, str | None], description: str
) -> None:
    """Refused before the consent page, with a redirect to the (valid) redirect URI as RFC
    6749 4.1.2.1 says."""
    _, challenge = pkce()
    params = redirect_params(flow.consent(flow.authorize_params(challenge, **overrides)))
    assert params["error"] == "invalid_request"
    assert description in params["error_description"]
    assert params["state"] == "state-123"


def test_plain_challenge_refused_for_confidential_client_too(flow: Flow) -> None:
    verifier, _ = pkce()
    page = flow.consent(
        flow.authorize_params(verifier, client_id=CONFIDENTIAL, code_challenge_method="plain")
    )
    assert redirect_params(page)["error"] == "invalid_request"


def test_wrong_verifier_is_invalid_grant(flow: Flow) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge)
    other, _ = pkce()
    answer = flow.redeem(code, other)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    # Without a verifier at all: refused as well.
    answer = flow.redeem(code, None)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert flow.tokens == {}
    # The code was not used up by those: the right verifier still gets a token.
    assert flow.redeem(code, verifier).status_code == 200


def test_replayed_code_is_invalid_grant(flow: Flow) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge)
    assert flow.redeem(code, verifier).status_code == 200
    again = flow.redeem(code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert len(flow.tokens) == 1
    assert flow.server.codes_redeemed == 1


def test_unknown_code_is_invalid_grant(flow: Flow) -> None:
    verifier, _ = pkce()
    answer = flow.redeem("no-such-code", verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge)
    monkeypatch.setattr(oauth_as, "CODE_LIFETIME", -1.0)
    assert flow.redeem(code, verifier).json()["error"] == "invalid_grant"


def test_code_is_bound_to_its_client(flow: Flow) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge)
    answer = flow.redeem(code, verifier, client_id=CONFIDENTIAL, client_secret=SECRET)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_refused(flow: Flow) -> None:
    _, challenge = pkce()
    for wrong in (REDIRECT + "/", REDIRECT.replace("8080", "8081"), "https://evil.test/cb"):
        answer = flow.consent(flow.authorize_params(challenge, redirect_uri=wrong))
        # Never a redirect to an unregistered URI: an error page (JSON) instead.
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert answer.json()["error"] == "invalid_request"
    # At the token endpoint, the redirect URI must be the authorization request's.
    verifier, challenge = pkce()
    code = flow.code(challenge)
    answer = flow.redeem(code, verifier, redirect_uri=REDIRECT + "/other")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert flow.tokens == {}


def test_unknown_client_and_response_type_refused(flow: Flow) -> None:
    _, challenge = pkce()
    answer = flow.consent(flow.authorize_params(challenge, client_id="nobody"))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"
    answer = flow.consent(flow.authorize_params(challenge, response_type="token"))
    assert redirect_params(answer)["error"] == "unsupported_response_type"


def test_confidential_client(flow: Flow) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge, client_id=CONFIDENTIAL)
    for secret in (None, "wrong"):
        answer = flow.redeem(code, verifier, client_id=CONFIDENTIAL, client_secret=secret)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_client"
    assert flow.tokens == {}
    answer = flow.redeem(code, verifier, client_id=CONFIDENTIAL, client_secret=SECRET)
    assert answer.status_code == 200, answer.text
    assert flow.tokens == {answer.json()["access_token"]: USERS[0]}


def test_public_client_cannot_pose_as_confidential(flow: Flow) -> None:
    verifier, challenge = pkce()
    code = flow.code(challenge)
    answer = flow.redeem(code, verifier, client_secret="anything")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


def test_only_the_authorization_code_grant(flow: Flow) -> None:
    for grant in ("refresh_token", "client_credentials", "password"):
        answer = flow.http.post(
            flow.server.token_url,
            data={"grant_type": grant, "client_id": CONFIDENTIAL, "client_secret": SECRET},
        )
        assert answer.status_code == 400
        assert answer.json()["error"] == "unsupported_grant_type"


def test_stops_cleanly() -> None:
    before = set(threading.enumerate())
    with run_authorization_server({}, USERS) as server, httpx.Client() as http:
        server.register_client(PUBLIC, REDIRECT)
        assert http.get(server.url + "/nothing").status_code == 404
        port = server.port
        assert oauth_as.CODE_LIFETIME > 0
    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
