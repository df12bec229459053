"""``protocol:host:port:security`` server specs, IPv6 literals in brackets among them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import app.net.guard
from app.cli import cli
from app.livetest import ServerSpec
from app.models import AuthMethod, Protocol, Security, ServerEndpoint
from app.settings import get_settings
from tests.hardening.forms import post_form

PASSWORD = "Xq7zv9k-not-sent\n"


@pytest.mark.parametrize(
    ("text", "protocol", "host", "port", "security"),
    [
        ("imap:imap.qq.com:993:tls", Protocol.IMAP, "imap.qq.com", 993, Security.TLS),
        (" SMTP:Smtp.Example.COM.:587:STARTTLS ", Protocol.SMTP, "smtp.example.com", 587,
         Security.STARTTLS),
        ("pop3:192.0.2.1:995:tls", Protocol.POP3, "192.0.2.1", 995, Security.TLS),
        ("imap:[2001:db8::1]:993:tls", Protocol.IMAP, "2001:db8::1", 993, Security.TLS),
        ("imap:[::1]:993:tls", Protocol.IMAP, "::1", 993, Security.TLS),
        ("smtp:[2001:DB8::A]:587:starttls", Protocol.SMTP, "2001:db8::a", 587, Security.STARTTLS),
        ("imap:[::ffff:192.0.2.1]:143:none", Protocol.IMAP, "::ffff:192.0.2.1", 143, Security.NONE),
    ],
)  # fmt: skip
def test_valid_specs(
    text: str, protocol: Protocol, host: str, port: int, security: Security
) -> None:
    spec = ServerSpec.parse(text)
    assert (spec.protocol, spec.host, spec.port, spec.security) == (
        protocol,
        host,
        port,
        security,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("imap:2001:db8::1:993:tls", "write the IPv6 address '2001:db8::1' in brackets"),
        ("imap:::1:993:tls", "write the IPv6 address '::1' in brackets"),
        ("imap:[not-an-ip]:993:tls", "'not-an-ip' in brackets is not an IPv6 address"),
        ("imap:[192.0.2.1]:993:tls", "'192.0.2.1' in brackets is not an IPv6 address"),
        ("imap:[]:993:tls", "'' in brackets is not an IPv6 address"),
        ("imap:[2001:db8::1]993:tls", "write ':' and the port after ']'"),
        ("imap:[2001:db8::1:993:tls", "the '[' has no ']'"),
        ("imap:[2001:db8::1]:993", "write protocol:host:port:security"),
        ("imap:[2001:db8::1]:993:tls:x", "write protocol:host:port:security"),
        ("imap:mail.test:993", "write protocol:host:port:security"),
        ("imap:mail.test:993:tls:x", "write protocol:host:port:security"),
        ("imap::993:tls", "write protocol:host:port:security"),
        (":mail.test:993:tls", "write protocol:host:port:security"),
        ("imap:[::1]:x:tls", "the port must be a number"),
        ("imap:mail.test:x:tls", "the port must be a number"),
    ],
)
def test_invalid_specs_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        ServerSpec.parse(text)
    assert not isinstance(caught.value, ValidationError), caught.value  # one line, no field
    assert str(caught.value).startswith(repr(text) + ": ")


@pytest.mark.parametrize(
    "text",
    ["imap:[2001:db8::1]:993:gopher", "imap:[2001:db8::1]:70000:tls", "gopher:[::1]:993:tls"],
)
def test_field_errors_come_from_the_model(text: str) -> None:
    with pytest.raises(ValidationError):
        ServerSpec.parse(text)


@pytest.mark.parametrize(
    ("host", "stored"),
    [
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("imap.example.com", "imap.example.com"),
        ("192.0.2.1", "192.0.2.1"),
    ],
)
def test_json_host_accepts_ipv6_with_or_without_brackets(host: str, stored: str) -> None:
    spec = ServerSpec.model_validate(
        {"protocol": "imap", "host": host, "port": 993, "security": "tls"}
    )
    assert spec.host == stored


@pytest.mark.parametrize(
    "host", ["[192.0.2.1]", "[imap.example.com]", "[2001:db8::1", "::1]", "[]"]
)
def test_json_host_brackets_hold_ipv6_only(host: str) -> None:
    with pytest.raises(ValidationError, match=r"brackets hold an IPv6 address only"):
        ServerSpec.model_validate(
            {"protocol": "imap", "host": host, "port": 993, "security": "tls"}
        )


def test_a_spec_becomes_the_endpoint_the_tester_takes() -> None:
    endpoint = ServerSpec.parse("imap:[2001:db8::1]:993:tls").to_endpoint()
    assert endpoint == ServerEndpoint(
        protocol=Protocol.IMAP, host="2001:db8::1", port=993, security=Security.TLS
    )
    assert (endpoint.username, endpoint.auth) == ("%EMAILADDRESS%", (AuthMethod.PASSWORD,))


@pytest.fixture
def no_connections(nameserver: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Local DNS only, nothing allowed past the guard, and a connector that records
    and refuses every call (the guard must refuse 2001:db8::/32 before connecting)."""
    calls: list[object] = []

    async def refuse(ip: str, port: int) -> app.net.guard.Streams:
        calls.append((ip, port))
        raise ConnectionRefusedError(f"the test forbids connecting to {ip} port {port}")

    monkeypatch.setattr(app.net.guard, "open_tcp", refuse)
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    monkeypatch.setenv("MAILSETUP_DISCOVERY_DEADLINE", "3")
    monkeypatch.delenv("MAILSETUP_PROBE_ALLOW_NETWORKS", raising=False)
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_cli_tests_a_bracketed_ipv6_server(no_connections: list[object]) -> None:
    args = ["test", "user@example.com", "--server", "imap:[2001:db8::1]:993:tls"]
    result = CliRunner().invoke(cli, [*args, "--json"], input=PASSWORD)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    [server] = report["results"]
    assert (server["protocol"], server["host"], server["port"]) == ("imap", "2001:db8::1", 993)
    assert server["error"]["type"] == "GuardRefused"
    assert "refused 2001:db8::1: documentation" in server["error"]["message"]
    assert [f["code"] for f in server["findings"]] == ["guard-refused"]
    readable = CliRunner().invoke(cli, args, input=PASSWORD)
    assert readable.exit_code == 1
    assert "FAIL imap [2001:db8::1]:993 tls" in readable.stdout
    assert no_connections == []


def test_cli_refuses_an_unbracketed_ipv6_server(no_connections: list[object]) -> None:
    args = ["test", "user@example.com", "--server", "imap:2001:db8::1:993:tls"]
    result = CliRunner().invoke(cli, args, input=PASSWORD)
    assert result.exit_code == 2
    assert "write the IPv6 address '2001:db8::1' in brackets" in result.stderr
    assert no_connections == []


async def test_form_accepts_a_bracketed_ipv6_server(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int]] = []

    async def refuse(ip: str, port: int) -> app.net.guard.Streams:
        calls.append((ip, port))
        raise ConnectionRefusedError(f"the test forbids connecting to {ip} port {port}")

    monkeypatch.setattr(app.net.guard, "open_tcp", refuse)
    data = {"email": "user@example.com", "password": "x", "servers": "imap:[2001:db8::1]:993:tls"}
    page = await post_form(client, data)
    assert page.status_code == 200, page.text
    assert "2001:db8::1" in page.text
    assert "The tester may not connect to 2001:db8::1 port 993" in page.text
    assert calls == []
    unbracketed = await post_form(client, {**data, "servers": "imap:2001:db8::1:993:tls"})
    assert unbracketed.status_code == 422
    assert "in brackets" in unbracketed.text
