"""Loopback hosts in provider files: accepted only on a server marked
``local_bridge = true`` (a program on the user's own computer, as Proton Mail Bridge)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.errors import ProviderFileError
from app.models import AuthMethod, Protocol, Security, Source
from app.providers.db import ProviderDB
from app.providers.loader import load_file
from app.providers.schema import ProviderRecord
from app.providers.server_entry import ServerEntry, is_loopback
from tests.sample_data import provider_toml

LOOPBACK = [
    "127.0.0.1",
    "127.0.0.2",
    "127.1",
    "0x7f.0.0.1",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "localhost",
    "LocalHost",
    "bridge.localhost",
]


def _file(tmp_path: Path, host: str, *, flag: str = "") -> Path:
    """A provider file whose IMAP server is at ``host``, with ``flag`` after the host."""
    servers = (("imap", host, 1143, "starttls"), ("smtp", "smtp.example.org", 465, "tls"))
    text = provider_toml(servers=servers)
    if flag:
        text = text.replace(f'host = "{host}"\n', f'host = "{host}"\n{flag}\n', 1)
    path = tmp_path / "example.org.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_host_without_local_bridge_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ProviderFileError) as info:
        load_file(_file(tmp_path, host))
    err = info.value
    assert (err.file, err.field) == ("example.org.toml", "servers[0].host")
    assert "a loopback host is the user's own computer" in err.problem
    assert "only on a server marked local_bridge = true" in err.problem
    assert str(err).startswith("example.org.toml: servers[0].host: ")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_host_with_local_bridge_is_accepted(tmp_path: Path, host: str) -> None:
    record = load_file(_file(tmp_path, host, flag="local_bridge = true"))
    server = record.servers[0]
    assert (server.host, server.local_bridge) == (host, True)
    assert server.to_endpoint().host == host
    assert record.servers[1].local_bridge is False


def test_local_bridge_false_is_the_default_and_refuses_loopback(tmp_path: Path) -> None:
    with pytest.raises(ProviderFileError, match="only on a server marked local_bridge = true"):
        load_file(_file(tmp_path, "127.0.0.1", flag="local_bridge = false"))


@pytest.mark.parametrize("host", ["imap.example.org", "192.0.2.1", "localhost.example.org"])
def test_local_bridge_on_another_host_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ProviderFileError) as info:
        load_file(_file(tmp_path, host, flag="local_bridge = true"))
    err = info.value
    assert err.field == "servers[0].host"
    assert "local_bridge = true is only for a loopback host" in err.problem
    assert "remove local_bridge" in err.problem


@pytest.mark.parametrize("host", ["::1%eth0", "x y.localhost", "localhost."])
def test_malformed_loopback_host_is_refused_even_with_local_bridge(host: str) -> None:
    with pytest.raises(ValidationError, match="not a valid host name"):
        ServerEntry.model_validate(
            {
                "protocol": "imap",
                "host": host,
                "port": 1143,
                "security": "none",
                "local_bridge": True,
            }
        )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *((h.lower(), True) for h in LOOPBACK),
        ("imap.example.org", False),
        ("192.0.2.1", False),
        ("10.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - a host name under test, nothing listens
        ("2001:db8::1", False),
        ("localhost.example.org", False),
        ("127.0.0.1.example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_flag_is_a_check_not_a_fact(tmp_path: Path) -> None:
    """It never reaches a dump (the API's provider JSON) nor a ServerEndpoint."""
    record = load_file(_file(tmp_path, "127.0.0.1", flag="local_bridge = true"))
    dumped = record.model_dump(mode="json", by_alias=True)
    assert "local_bridge" not in dumped["servers"][0]
    endpoint = record.servers[0].to_endpoint()
    assert endpoint.model_dump() == {
        "protocol": Protocol.IMAP,
        "host": "127.0.0.1",
        "port": 1143,
        "security": Security.STARTTLS,
        "username": "%EMAILADDRESS%",
        "auth": (AuthMethod.PASSWORD,),
        "source": Source.DATABASE,
        "issued_username": None,
    }


def test_only_proton_mail_bridge_is_a_local_bridge(db: ProviderDB) -> None:
    bridges = {(rec.id, s.host) for rec in db.search("") for s in rec.servers if s.local_bridge}
    assert bridges == {("proton.me", "127.0.0.1")}
    proton = db.get("proton.me")
    assert isinstance(proton, ProviderRecord)
    assert all(s.local_bridge for s in proton.servers)
