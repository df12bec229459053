"""Shared fixtures: settings, the provider database and an in-process HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.settings import Settings
from tests.dnsmasq import ZONE, run_dnsmasq
from tests.mailutils import run_mailutils
from tests.oauthservers import (
    OAUTH_TOKENS,
    DovecotOAuth,
    IntrospectionServer,
    OAuthSmtpServers,
    reset_tokens,
    run_aiosmtpd_oauth,
    run_dovecot_oauth,
)
from tests.postfix import run_postfix
from tests.servers import (
    Certificates,
    SmtpServers,
    make_certificates,
    refused_port,
    run_aiosmtpd,
    run_dovecot,
    run_dovecot_submission,
    run_relay,
)


@pytest.fixture(scope="session")
def db() -> ProviderDB:
    return ProviderDB.from_dir(DATA_DIR)


@pytest.fixture(scope="session")
def nameserver() -> Iterator[str]:
    """A real DNS server (dnsmasq) for the .test zone; nothing else resolves."""
    with run_dnsmasq(ZONE) as ns:
        yield ns


@pytest.fixture
def settings(nameserver: str) -> Settings:
    """The app's settings in tests: local DNS only, and an ISPDB that refuses at once."""
    return Settings(
        data_dir=DATA_DIR,
        public_url="https://mailsetup.test",
        dns_servers=(nameserver,),
        dns_timeout=1.0,
        ispdb_url="http://127.0.0.1:9/v1.1/",
        discovery_deadline=3.0,
    )


async def _client(
    settings: Settings, db: ProviderDB | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mailsetup.test") as c:
            yield c


@pytest.fixture
async def client(settings: Settings, db: ProviderDB) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with its lifespan run."""
    async for c in _client(settings, db):
        yield c


@pytest.fixture
def data_dir_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write provider files (name -> TOML text) into a fresh data dir and return it."""

    def make(files: dict[str, str]) -> Path:
        folder = tmp_path / "data" / "providers"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return tmp_path / "data"

    return make


@pytest.fixture
async def client_for(settings: Settings):  # type: ignore[no-untyped-def]
    """A client factory for an app serving another data dir."""
    clients: list[AsyncIterator[httpx.AsyncClient]] = []

    async def make(data_dir: Path, **overrides: object) -> httpx.AsyncClient:
        values = {**settings.model_dump(), "data_dir": data_dir, **overrides}
        gen = _client(Settings.model_validate(values))
        clients.append(gen)
        return await anext(gen)

    yield make
    for gen in clients:
        await gen.aclose()


# Real mail servers on loopback, shared by every test directory.
@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def dovecot(certs: Certificates) -> Iterator[dict[str, int]]:
    """Dovecot ports by listener: imap, imaps, pop3, pop3s."""
    with run_dovecot(certs) as ports:
        yield ports


@pytest.fixture(scope="session")
def smtpd(certs: Certificates) -> Iterator[SmtpServers]:
    with run_aiosmtpd(certs) as servers:
        yield servers


# More real servers; each starts only when a test first asks for it.
@pytest.fixture(scope="session")
def mailutils(certs: Certificates) -> Iterator[dict[str, int]]:
    """GNU Mailutils ports by listener: imap, imaps, imap-tls-required, pop3, pop3s,
    pop3-tls-required (see tests/mailutils.py)."""
    with run_mailutils(certs) as ports:
        yield ports


@pytest.fixture(scope="session")
def postfix(certs: Certificates) -> Iterator[dict[str, int]]:
    """Postfix ports by listener: submission (STARTTLS required), submissions."""
    with run_postfix(certs) as ports:
        yield ports


@pytest.fixture(scope="session")
def dovecot_submission(certs: Certificates) -> Iterator[dict[str, int]]:
    """Dovecot submission ports (submission, submissions), relaying to a discarding relay."""
    with run_relay() as relay_port, run_dovecot_submission(certs, relay_port) as ports:
        yield ports


@pytest.fixture(scope="session")
def dovecot_submission_no_relay(certs: Certificates) -> Iterator[dict[str, int]]:
    """Dovecot submission ports whose relay refuses connections: AUTH succeeds (235), and
    the next command gets 421 4.4.0 ... Failed to connect to relay server."""
    with refused_port() as relay_port, run_dovecot_submission(certs, relay_port) as ports:
        yield ports


# OAuth 2.0 servers (XOAUTH2, OAUTHBEARER; see tests/oauthservers.py). One session-wide
# token mapping (token -> user) serves both; the function-scoped fixtures put it back to
# OAUTH_TOKENS, and the introspection endpoint back up with no requests recorded, before
# and after every test, so that what a test changes never reaches the next one.
@pytest.fixture(scope="session")
def oauth_token_map() -> dict[str, str]:
    return dict(OAUTH_TOKENS)


@pytest.fixture(scope="session")
def dovecot_oauth_session(
    certs: Certificates, oauth_token_map: dict[str, str]
) -> Iterator[DovecotOAuth]:
    with (
        run_relay() as relay_port,
        run_dovecot_oauth(certs, relay_port, oauth_token_map) as servers,
    ):
        yield servers


@pytest.fixture(scope="session")
def smtpd_oauth_session(
    certs: Certificates, oauth_token_map: dict[str, str]
) -> Iterator[OAuthSmtpServers]:
    with run_aiosmtpd_oauth(certs, oauth_token_map) as servers:
        yield servers


@pytest.fixture
def oauth_tokens(oauth_token_map: dict[str, str]) -> Iterator[dict[str, str]]:
    """The token mapping of dovecot_oauth and smtpd_oauth: add, remove or reassign tokens
    (token -> user) at will; it is OAUTH_TOKENS again before and after each test."""
    reset_tokens(oauth_token_map)
    yield oauth_token_map
    reset_tokens(oauth_token_map)


@pytest.fixture
def dovecot_oauth(
    dovecot_oauth_session: DovecotOAuth, oauth_tokens: dict[str, str]
) -> Iterator[DovecotOAuth]:
    """Dovecot with XOAUTH2 and OAUTHBEARER: ``.ports`` (imap, imaps, pop3, pop3s,
    submission, submissions; also ``dovecot_oauth["imap"]``), ``.introspection`` (up, no
    requests recorded) and ``.tokens``. Submission relays to a discarding relay."""
    dovecot_oauth_session.introspection.go_up()
    dovecot_oauth_session.introspection.clear()
    yield dovecot_oauth_session
    dovecot_oauth_session.introspection.go_up()


@pytest.fixture
def introspection(dovecot_oauth: DovecotOAuth) -> IntrospectionServer:
    """dovecot_oauth's introspection endpoint."""
    return dovecot_oauth.introspection


@pytest.fixture
def smtpd_oauth(
    smtpd_oauth_session: OAuthSmtpServers, oauth_tokens: dict[str, str]
) -> OAuthSmtpServers:
    """aiosmtpd with XOAUTH2 and OAUTHBEARER answered like Gmail: ``.starttls``,
    ``.implicit`` (ports), ``.handler.attempts`` (emptied for each test), ``.tokens``."""
    smtpd_oauth_session.handler.attempts.clear()
    return smtpd_oauth_session
