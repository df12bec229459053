"""A provider file whose sign-in goes to the loopback authorization server
(:mod:`tests.oauth_as`) and whose servers are Dovecot with OAuth2, and the steps a browser
takes through the flow, for the sign-in tests."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.hardening.forms import csrf_token
from tests.oauth_as import AuthServer
from tests.oauthservers import DovecotOAuth
from tests.sample_data import provider_toml

ALICE = "alice@mail.test"
CLIENT_ID = "mailsetup-test-client"
PUBLIC_URL = "https://mailsetup.test"
REDIRECT_URI = PUBLIC_URL + "/signin/callback"
SCOPE = "https://mail.test/imap https://mail.test/smtp"


def signin_provider(auth: AuthServer, dovecot: DovecotOAuth) -> str:
    """mail.test: IMAP and submission on the OAuth Dovecot, sign-in at ``auth``."""
    oauth = f"""
[oauth2]
issuer = "127.0.0.1"
scopes = ["https://mail.test/imap", "https://mail.test/smtp", "offline_access"]
auth_url = "{auth.authorize_url}"
token_url = "{auth.token_url}"
sign_in = "google"
mechanism = "xoauth2"
[oauth2.protocol_scopes]
imap = ["https://mail.test/imap"]
smtp = ["https://mail.test/smtp"]
"""
    return provider_toml(
        "mail.test",
        domains=("mail.test",),
        name="Mail Test",
        extra=oauth,
        servers=(
            ("imap", "mail.test", dovecot["imaps"], "tls"),
            ("smtp", "mail.test", dovecot["submission"], "starttls"),
        ),
        auth='["oauth2"]',
    )


async def start(client: httpx.AsyncClient, email: str = ALICE) -> httpx.Response:
    """Post "Sign in with …" from the tester page, as the browser does."""
    page = await client.get("/test", params={"email": email})
    form = {"email": email, "csrf_token": csrf_token(page.text)}
    return await client.post("/signin", data=form)


def consent(auth_url: str, decision: str = "approve") -> str:
    """Open the provider's page, press a button; the URL it sends the browser back to."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(auth_url)
        assert page.status_code == 200, page.text
        answer = browser.post(auth_url, data={"user": ALICE, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def callback_path(location: str) -> str:
    """The callback URL as a path on the app under test."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def page_error(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else ""
