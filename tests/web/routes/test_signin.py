""" "Sign in with …" against a real authorization server (Authlib, on loopback) and
Dovecot with OAuth2: the whole flow, and every attack on it the flow must stop: a
tampered state, a replayed code, a code injected into another flow (a wrong PKCE
verifier), a denied consent, and a missing or forged cookie."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from app.settings import Settings
from app.signin import COOKIE
from tests.hardening.forms import csrf_token
from tests.leaks import assert_no_token
from tests.oauth_as import AuthServer, run_authorization_server
from tests.oauthservers import DovecotOAuth
from tests.realservers import PROBE_LOOPBACK
from tests.servers import USERS, Certificates

from .signin_setup import (
    ALICE,
    CLIENT_ID,
    PUBLIC_URL,
    REDIRECT_URI,
    callback_path,
    consent,
    page_error,
    query,
    signin_provider,
    start,
)


@pytest.fixture
def auth(oauth_tokens: dict[str, str]) -> Iterator[AuthServer]:
    with run_authorization_server(oauth_tokens, list(USERS)) as server:
        server.register_client(CLIENT_ID, REDIRECT_URI)
        yield server


@pytest.fixture
async def app(
    client_for,  # type: ignore[no-untyped-def]
    data_dir_factory,  # type: ignore[no-untyped-def]
    certs: Certificates,
    auth: AuthServer,
    dovecot_oauth: DovecotOAuth,
) -> httpx.AsyncClient:
    data = data_dir_factory({"mail.test.toml": signin_provider(auth, dovecot_oauth)})
    client: httpx.AsyncClient = await client_for(
        data,
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=10.0,
        public_url=PUBLIC_URL,
        oauth={"google_client_id": CLIENT_ID},
        rate_limit_test="100/minute",
    )
    return client


async def test_sign_in_tests_with_the_token_and_forgets_it(
    app: httpx.AsyncClient,
    auth: AuthServer,
    dovecot_oauth: DovecotOAuth,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tester = await app.get("/test", params={"email": ALICE})
    assert "Sign in with Google" in tester.text
    assert 'id="password"' not in tester.text  # the provider takes no password
    assert "with a token from your provider" in tester.text
    # The form's redirect to the provider's page is a form action too (CSP).
    assert f"form-action 'self' {auth.url}" in tester.headers["content-security-policy"]
    started = await start(app)
    assert started.status_code == 303
    location = started.headers["location"]
    sent = query(location)
    assert location.startswith(auth.authorize_url + "?")
    assert sent["code_challenge_method"] == "S256"
    assert sent["redirect_uri"] == REDIRECT_URI
    assert sent["scope"] == "https://mail.test/imap https://mail.test/smtp"  # no offline_access
    assert sent["login_hint"] == ALICE
    assert "code_verifier" not in location
    cookie = started.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/signin/callback" in cookie
    back = consent(location)
    assert query(back)["state"] == sent["state"]
    report = await app.get(callback_path(back))
    assert report.status_code == 200, page_error(report.text)
    assert 'data-outcome="all-good"' in report.text
    assert report.headers["cache-control"] == "no-store"
    ((token, user, scope),) = auth.issued
    assert user == ALICE
    assert scope == sent["scope"]
    assert token in dovecot_oauth.introspection.requests  # the servers saw this token
    assert COOKIE not in app.cookies  # the flow is over
    # The app's own log lines; the authorization server in this process logs its tokens.
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app"))
    assert_no_token(report.text + logs, ALICE, token)
    assert query(back)["code"] not in logs  # the access log leaves query strings out


async def test_a_tampered_state_is_stopped_before_the_token_endpoint(
    app: httpx.AsyncClient, auth: AuthServer
) -> None:
    back = consent((await start(app)).headers["location"])
    tampered = back.replace("state=", "state=x")
    answer = await app.get(callback_path(tampered))
    assert answer.status_code == 400
    assert "did not start in this browser" in page_error(answer.text)
    assert ("POST", "/token") not in auth.requests
    assert auth.issued == []


async def test_a_replayed_code_is_refused(app: httpx.AsyncClient, auth: AuthServer) -> None:
    started = await start(app)
    sealed = app.cookies[COOKIE]
    back = consent(started.headers["location"])
    first = await app.get(callback_path(back))
    assert first.status_code == 200
    # The same code again, even with the flow's cookie put back: the provider refuses it.
    app.cookies.set(COOKIE, sealed, domain="mailsetup.test", path="/signin/callback")
    again = await app.get(callback_path(back))
    assert again.status_code == 400
    assert "did not accept the sign-in code (invalid_grant)" in page_error(again.text)
    assert len(auth.issued) == 1


async def test_a_code_from_another_flow_fails_pkce(
    app: httpx.AsyncClient, auth: AuthServer
) -> None:
    """An attacker's code pasted into the victim's flow: the victim's verifier does not
    match the attacker's challenge, so the provider refuses it (RFC 7636)."""
    stolen = query(consent((await start(app)).headers["location"]))["code"]
    victim = await start(app)  # a new flow: its cookie replaces the first
    state = query(victim.headers["location"])["state"]
    answer = await app.get("/signin/callback", params={"code": stolen, "state": state})
    assert answer.status_code == 400
    assert "invalid_grant" in page_error(answer.text)
    assert auth.issued == []


async def test_a_denied_consent_tests_nothing(app: httpx.AsyncClient, auth: AuthServer) -> None:
    back = consent((await start(app)).headers["location"], decision="deny")
    assert query(back)["error"] == "access_denied"
    answer = await app.get(callback_path(back))
    assert answer.status_code == 400
    assert "You did not allow access" in page_error(answer.text)
    assert ("POST", "/token") not in auth.requests


@pytest.mark.parametrize("cookie", [None, "forged", "gAAAAAB" + "A" * 200])
async def test_no_flow_of_this_browser_means_no_test(
    app: httpx.AsyncClient, auth: AuthServer, cookie: str | None
) -> None:
    back = consent((await start(app)).headers["location"])
    app.cookies.clear()
    if cookie is not None:
        app.cookies.set(COOKIE, cookie, domain="mailsetup.test", path="/signin/callback")
    answer = await app.get(callback_path(back))
    assert answer.status_code == 400
    assert "expired or was started in another browser" in page_error(answer.text)
    assert auth.issued == []


async def test_without_a_registered_client_the_operator_is_told(
    client_for,  # type: ignore[no-untyped-def]
    data_dir_factory,  # type: ignore[no-untyped-def]
    auth: AuthServer,
    dovecot_oauth: DovecotOAuth,
    settings: Settings,
) -> None:
    data = data_dir_factory({"mail.test.toml": signin_provider(auth, dovecot_oauth)})
    app: httpx.AsyncClient = await client_for(data, public_url=None)
    page = await app.get("/test", params={"email": ALICE})
    assert "Sign in with" not in page.text
    assert "form-action 'self';" in page.headers["content-security-policy"] + ";"
    assert "MAILSETUP_OAUTH_GOOGLE_CLIENT_ID" in page.text
    assert "MAILSETUP_PUBLIC_URL" in page.text
    assert 'id="password"' in page.text  # today's way stays
    answer = await start(app)
    assert answer.status_code == 503
    assert "not set up on this service" in page_error(answer.text)
    assert auth.requests == []


@pytest.mark.parametrize(("field", "value"), [("email", "ali\tce@mail.test"), ("username", "a\nb")])
async def test_a_control_character_stops_before_the_provider(
    app: httpx.AsyncClient, auth: AuthServer, field: str, value: str
) -> None:
    """Such a field could not go into a mail command: the browser is not sent anywhere."""
    page = await app.get("/test", params={"email": ALICE})
    form = {"email": ALICE, field: value, "csrf_token": csrf_token(page.text)}
    answer = await app.post("/signin", data=form)
    assert answer.status_code == 422
    assert "cannot be sent to a mail server" in page_error(answer.text)
    assert auth.requests == []
