"""The ``[oauth2]`` tables behind the tester's "Sign in with …": the shipped records name
the scopes of every protocol they take tokens on, never ask for a refresh token, reach
their endpoints over https and use the client registration decided for each provider;
a broken table is refused with a message that says what to fix."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from app.models import AuthMethod, Protocol
from app.paths import DATA_DIR
from app.providers.loader import load_records
from app.providers.oauth2_record import REFRESH_SCOPE, SignInClient
from app.providers.schema import ProviderRecord
from tests.sample_data import provider_toml

RECORDS = {r.id: r for r in load_records(DATA_DIR).records}
WITH_OAUTH = [r for r in RECORDS.values() if r.oauth2 is not None]
SIGN_IN = [r for r in WITH_OAUTH if r.oauth2 is not None and r.oauth2.sign_in is not None]

# What was decided, not what the files say: the files are checked against it.
DECIDED = {
    "outlook.com": SignInClient.MICROSOFT,
    "office365.com": SignInClient.MICROSOFT,
    "gmail.com": SignInClient.GOOGLE,
    "workspace.google.com": SignInClient.GOOGLE,
    "yahoo.com": SignInClient.YAHOO,
    "att.net": SignInClient.YAHOO,  # Thunderbird sends att.net to its Yahoo client
    "aol.com": SignInClient.AOL,
}
# OAuth2 servers, but no sourced scope strings (see their confidence_note).
NO_SIGN_IN = ("office365.us", "partner.outlook.cn")


def oauth_protocols(record: ProviderRecord) -> set[Protocol]:
    return {s.protocol for s in record.servers if AuthMethod.OAUTH2 in s.auth}


def test_the_decided_records_exist_and_take_oauth2() -> None:
    for provider in (*DECIDED, *NO_SIGN_IN):
        assert provider in RECORDS, provider
        assert oauth_protocols(RECORDS[provider]), provider
    assert len(SIGN_IN) >= len(DECIDED)


@pytest.mark.parametrize(("provider", "client"), DECIDED.items())
def test_each_provider_signs_in_with_the_decided_client(
    provider: str, client: SignInClient
) -> None:
    oauth = RECORDS[provider].oauth2
    assert oauth is not None
    assert oauth.sign_in is client


@pytest.mark.parametrize("provider", NO_SIGN_IN)
def test_unsourced_clouds_offer_no_sign_in(provider: str) -> None:
    oauth = RECORDS[provider].oauth2
    assert oauth is not None
    assert oauth.sign_in is None
    assert oauth.protocol_scopes is None


@pytest.mark.parametrize("record", SIGN_IN, ids=lambda r: r.id)
def test_every_oauth2_protocol_has_its_scopes(record: ProviderRecord) -> None:
    oauth = record.oauth2
    assert oauth is not None
    assert oauth.protocol_scopes is not None
    for protocol in oauth_protocols(record):
        scopes = oauth.protocol_scopes.of(protocol)
        assert scopes, f"{record.id}: no scopes for {protocol.value}"
        # What the tester asks for is among what mail apps are told to ask for.
        assert set(scopes) <= set(oauth.scopes), f"{record.id}: {protocol.value}"
    assert oauth.scopes_for(oauth_protocols(record))


@pytest.mark.parametrize("record", WITH_OAUTH, ids=lambda r: r.id)
def test_no_refresh_token_and_only_https_endpoints(record: ProviderRecord) -> None:
    oauth = record.oauth2
    assert oauth is not None
    if oauth.protocol_scopes is not None:
        for protocol in Protocol:
            assert REFRESH_SCOPE not in oauth.protocol_scopes.of(protocol), record.id
    for url in (oauth.auth_url, oauth.token_url):
        assert urlsplit(str(url)).scheme == "https", f"{record.id}: {url}"


def test_one_client_registration_means_one_set_of_endpoints() -> None:
    """Records that share a registration send it to the same endpoints, with the same
    SASL mechanism and the same rule on the client secret."""
    by_client: dict[SignInClient, set[tuple[str, str, str, bool]]] = defaultdict(set)
    for record in SIGN_IN:
        oauth = record.oauth2
        assert oauth is not None
        assert oauth.sign_in is not None
        by_client[oauth.sign_in].add(
            (str(oauth.auth_url), str(oauth.token_url), oauth.mechanism, oauth.client_secret)
        )
    assert {c: len(v) for c, v in by_client.items()} == dict.fromkeys(by_client, 1)


# A minimal provider whose IMAP and SMTP servers take oauth2, and its [oauth2] table.
def oauth_toml(table: str) -> str:
    return provider_toml(auth='["oauth2"]', extra=table)


TABLE = """
[oauth2]
issuer = "login.example.org"
scopes = ["mail", "offline_access"]
auth_url = "{auth_url}"
token_url = "{token_url}"
{keys}
"""
AUTH_URL, TOKEN_URL = "https://login.example.org/authorize", "https://login.example.org/token"
SCOPES = '\n[oauth2.protocol_scopes]\nimap = ["mail"]\nsmtp = ["{smtp}"]\n'


def record_from(text: str) -> ProviderRecord:
    return ProviderRecord.model_validate(tomllib.loads(text))


def table(
    *,
    keys: str = 'sign_in = "google"',
    scopes: str | None = SCOPES,
    smtp: str = "mail",
    auth_url: str = AUTH_URL,
    token_url: str = TOKEN_URL,
) -> str:
    text = TABLE.format(auth_url=auth_url, token_url=token_url, keys=keys)
    return text + (scopes.format(smtp=smtp) if scopes is not None else "")


def test_a_complete_table_loads() -> None:
    oauth = record_from(oauth_toml(table())).oauth2
    assert oauth is not None
    assert oauth.sign_in is SignInClient.GOOGLE
    assert oauth.scopes_for({Protocol.IMAP, Protocol.SMTP}) == ("mail",)
    assert (oauth.mechanism, oauth.client_secret) == ("xoauth2", False)


def test_http_to_a_loopback_test_server_is_accepted() -> None:
    local = table(auth_url="http://127.0.0.1:8080/authorize", token_url="http://[::1]/token")
    assert record_from(oauth_toml(local)).oauth2 is not None


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (table(scopes=None), "sign_in needs protocol_scopes"),
        (table(smtp="offline_access"), "offline_access asks for a refresh token"),
        (
            table(token_url="http://login.example.org/token"),
            "http://login.example.org/token must use https",
        ),
        (
            table(auth_url="http://203.0.113.7/authorize"),
            "http://203.0.113.7/authorize must use https",
        ),
        (
            table(scopes='\n[oauth2.protocol_scopes]\nimap = ["mail"]\n'),
            "smtp on smtp.example.org takes oauth2, so [oauth2.protocol_scopes] needs smtp",
        ),
        (table(keys='sign_in = "hotmail"'), "sign_in"),
        (table(keys='sign_in = "google"\nmechanism = "plain"'), "mechanism"),
    ],
    ids=[
        "sign-in-without-scopes",
        "offline-access",
        "http-token-url",
        "http-auth-url-to-public-address",
        "protocol-without-scopes",
        "unknown-client",
        "unknown-mechanism",
    ],
)
def test_a_broken_table_is_refused_with_a_clear_message(broken: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        record_from(oauth_toml(broken))
    assert message in str(info.value)
