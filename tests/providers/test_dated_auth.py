"""A sign-in method with an announced end (``auth_until``): offered until its last day,
left out after it, and named by validate-data once the day has passed."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli import cli
from app.models import AuthMethod, Protocol
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.loader import ended_methods
from app.providers.schema import ProviderRecord
from tests.sample_data import provider_toml

DATED = '["oauth2", "password"]\nauth_until = { password = 2026-12-31 }'
OAUTH = """
[oauth2]
issuer = "login.example.org"
scopes = ["https://mail.example.org/"]
auth_url = "https://login.example.org/authorize"
token_url = "https://login.example.org/token"
"""


def record(auth: str = DATED) -> ProviderRecord:
    return ProviderRecord.model_validate(tomllib.loads(provider_toml(auth=auth, extra=OAUTH)))


def test_a_dated_method_is_offered_until_its_last_day() -> None:
    server = record().servers[0]
    assert server.auth_until == {AuthMethod.PASSWORD: dt.date(2026, 12, 31)}
    last = dt.date(2026, 12, 31)
    assert server.auth_on(last) == (AuthMethod.OAUTH2, AuthMethod.PASSWORD)
    assert server.auth_on(last + dt.timedelta(days=1)) == (AuthMethod.OAUTH2,)
    assert server.to_endpoint(last + dt.timedelta(days=1)).auth == (AuthMethod.OAUTH2,)
    assert server.to_endpoint(dt.date(2026, 12, 6)).auth == (AuthMethod.OAUTH2, AuthMethod.PASSWORD)


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        ('["oauth2"]\nauth_until = { password = 2026-12-31 }', "which auth does not list"),
        ('["password"]\nauth_until = { password = 2026-12-31 }', "keep one without an end"),
        ('["oauth2", "password"]\nauth_until = { password = "soon" }', "date"),
    ],
)
def test_a_dated_rule_that_cannot_hold_is_refused(auth: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        record(auth)


def test_microsoft_365_smtp_takes_a_password_until_the_end_of_2026() -> None:
    """Exchange Online's SMTP AUTH keeps Basic auth through December 2026 (Microsoft's
    Exchange Team, 2026-01-27); IMAP and POP take OAuth2 only."""
    office = ProviderDB.from_dir(DATA_DIR).get("office365.com")
    assert office is not None
    by_protocol = {s.protocol: s for s in office.servers}
    assert by_protocol[Protocol.SMTP].auth_on(dt.date(2026, 12, 6)) == (
        AuthMethod.OAUTH2,
        AuthMethod.PASSWORD,
    )
    assert by_protocol[Protocol.SMTP].auth_on(dt.date(2027, 1, 1)) == (AuthMethod.OAUTH2,)
    assert by_protocol[Protocol.IMAP].auth == (AuthMethod.OAUTH2,)


def test_validate_data_names_a_rule_whose_day_has_passed(tmp_path: Path) -> None:
    folder = tmp_path / "providers"
    folder.mkdir()
    text = provider_toml(auth='["oauth2", "password"]\nauth_until = { password = 2020-01-31 }')
    (folder / "example.org.toml").write_text(text + OAUTH, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate-data", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: example.org.toml: imap imap.example.org:993 accepted password until " in (
        result.output
    )
    assert "2020-01-31; lookups now leave it out" in result.output
    shipped = ProviderDB.from_dir(DATA_DIR).records
    assert ended_methods(shipped, dt.date(2026, 12, 6)) == []
