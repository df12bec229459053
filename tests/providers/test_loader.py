"""Provider files: a broken one names the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.errors import DataError, ProviderFileError
from app.providers.db import ProviderDB
from app.providers.loader import load_file, load_records
from tests.sample_data import provider_toml


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path: Path) -> None:
    rec = load_file(_write(tmp_path, "example.org.toml", provider_toml()))
    assert rec.id == "example.org"
    assert [s.host for s in rec.servers] == ["imap.example.org", "smtp.example.org"]
    assert rec.servers[0].username == "%EMAILADDRESS%"


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (
            provider_toml(servers=(("imap", "imap.example.org", 99999, "tls"),)),
            "servers[0].port",
            "less than or equal to 65535",
        ),
        (
            provider_toml(servers=(("imap", "imap.example.org", 993, "ssl"),)),
            "servers[0].security",
            "'tls', 'starttls' or 'none'",
        ),
        (
            provider_toml(servers=(("imap", "imap.example.org", 993, "tls"),)),
            "(file)",
            "at least one smtp server",
        ),
        (provider_toml(username="%USER%"), "servers[0].username", "unknown placeholder %USER%"),
        (provider_toml(auth='["magic"]'), "servers[0].auth[0]", "Input should be"),
        (provider_toml(domains=("bad_domain.org",)), "domains", "not a valid domain name"),
        (provider_toml(status="preparation"), "(file)", "needs status_reason"),
        (provider_toml(extra='colour = "blue"'), "colour", "Extra inputs are not permitted"),
        (provider_toml(status="retired"), "(file)", "status 'retired' lists no servers"),
        (provider_toml(status="no-mail-apps"), "(file)", "status 'no-mail-apps' lists no servers"),
        (provider_toml(auth='["oauth2"]'), "(file)", "[oauth2] table is needed"),
        (provider_toml(mx=("*.bad_mx",)), "mx", "is not 'host.name'"),
    ],
)
def test_broken_file_names_file_field_and_problem(
    tmp_path: Path, text: str, field: str, problem: str
) -> None:
    with pytest.raises(ProviderFileError) as info:
        load_file(_write(tmp_path, "example.org.toml", text))
    err = info.value
    assert err.file == "example.org.toml"
    assert err.field == ("" if field == "(file)" else field)
    assert problem in err.problem
    assert str(err).startswith("example.org.toml")


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "example.org.toml", provider_toml() + "\nport = = 1\n")
    with pytest.raises(ProviderFileError, match=r"example.org.toml: TOML syntax: .*line"):
        load_file(path)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.org.toml", provider_toml())
    with pytest.raises(ProviderFileError) as info:
        load_file(path)
    assert info.value.field == "id"


def test_domain_claimed_twice_is_an_error(data_dir_factory) -> None:  # type: ignore[no-untyped-def]
    data = data_dir_factory(
        {
            "a.org.toml": provider_toml("a.org", domains=("a.org", "shared.org")),
            "b.org.toml": provider_toml("b.org", domains=("b.org", "shared.org")),
        }
    )
    result = load_records(data)
    assert [str(e) for e in result.errors] == ["b.org.toml: domains[1]: shared.org is in a.org"]
    with pytest.raises(DataError, match="1 problem"):
        ProviderDB.from_dir(data)


def test_validate_data_cli(data_dir_factory) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    good = data_dir_factory({"example.org.toml": provider_toml()})
    ok = runner.invoke(cli, ["validate-data", "--data-dir", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "1 provider file(s) valid, 0 error(s)" in ok.output

    (good / "providers" / "broken.org.toml").write_text(
        provider_toml("broken.org", domains=("broken.org",), servers=()), encoding="utf-8"
    )
    bad = runner.invoke(cli, ["validate-data", "--data-dir", str(good)])
    assert bad.exit_code == 1
    assert "broken.org.toml" in bad.output
    assert "at least one imap or pop3 server" in bad.output


def test_validate_data_cli_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate-data", "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a folder of provider files" in result.output


def test_shipped_data_is_valid() -> None:
    result = CliRunner().invoke(cli, ["validate-data"])
    assert result.exit_code == 0, result.output
