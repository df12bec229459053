"""``mailsetup verify-data`` against real servers on loopback, each with a deliberate fault,
and names from the local DNS server; nothing here reaches the internet."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from tests.realservers import PROBE_LOOPBACK_ENV, listen_in_test_range
from tests.sample_data import provider_toml
from tests.servers import Certificates, SmtpServers, refused_port

OAUTH = """
[oauth2]
issuer = "login.oauth.test"
scopes = ["https://mail.oauth.test/"]
auth_url = "https://login.oauth.test/authorize"
token_url = "https://login.oauth.test/token"
"""


class TinyImap:
    """An IMAP greeting and CAPABILITY, on implicit TLS when given a context; nothing else."""

    def __init__(self, context: ssl.SSLContext | None, capability: str) -> None:
        self.context, self.capability = context, capability
        self.sock = listen_in_test_range()
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            conn.sendall(b"* OK tiny ready\r\n")
            reader = conn.makefile("rb")
            for raw in reader:
                tag, _, command = raw.decode().strip().partition(" ")
                if command.upper() == "CAPABILITY":
                    conn.sendall(f"* CAPABILITY {self.capability}\r\n{tag} OK done\r\n".encode())
                else:
                    conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                    return
        except (OSError, ssl.SSLError):
            return  # the client went away; this server only answers
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def tiny_imap(context: ssl.SSLContext | None, capability: str) -> Iterator[int]:
    server = TinyImap(context, capability)
    try:
        yield server.port
    finally:
        server.close()


def expiring_context(certs: Certificates, days: int) -> ssl.SSLContext:
    leaf = certs.ca.issue_cert(
        "mail.test", not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


@pytest.fixture
def local_env(nameserver: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PROBE_LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_DNS_TIMEOUT", "2")
    monkeypatch.setenv("MAILSETUP_PROBE_CA_FILE", str(certs.ca_file))
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()


def data_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "data"
    (folder / "providers").mkdir(parents=True)
    for name, text in files.items():
        (folder / "providers" / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def by_endpoint(report: list[dict[str, object]]) -> dict[tuple[object, ...], dict[str, object]]:
    return {(e["protocol"], e["host"], e["port"], e["security"]): e for e in report}


@pytest.mark.usefixtures("local_env")
def test_every_fault_is_reported(
    tmp_path: Path, certs: Certificates, dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    with (
        refused_port() as closed,
        tiny_imap(expiring_context(certs, 5), "IMAP4rev1 AUTH=PLAIN") as expiring,
        tiny_imap(None, "IMAP4rev1 AUTH=PLAIN") as no_starttls,
    ):
        password_servers = (
            ("imap", "mail.test", dovecot["imaps"], "tls"),  # fine
            ("pop3", "mail.test", dovecot["pop3"], "starttls"),  # fine
            ("smtp", "mail.test", smtpd.starttls, "starttls"),  # fine
            ("imap", "verify.test", dovecot["imaps"], "tls"),  # not the certificate's name
            ("imap", "mail.test", dovecot["imap"], "tls"),  # plain text on a "TLS" port
            ("imap", "mail.test", no_starttls, "starttls"),  # no STARTTLS offered
            ("imap", "mail.test", expiring, "tls"),  # certificate ends in 5 days
            ("imap", "mail.test", closed, "tls"),  # connection refused
            ("imap", "nowhere.test", 993, "tls"),  # does not resolve
        )
        folder = data_dir(
            tmp_path,
            {
                "pw.test": provider_toml("pw.test", domains=("pw.test",), servers=password_servers),
                "oauth.test": provider_toml(
                    "oauth.test",
                    domains=("oauth.test",),
                    servers=(
                        ("pop3", "mail.test", dovecot["pop3s"], "tls"),
                        ("smtp", "mail.test", smtpd.implicit, "tls"),
                    ),
                    auth='["oauth2"]',
                    extra=OAUTH,
                ),
            },
        )
        report_file = tmp_path / "report.json"
        args = ["verify-data", "--data-dir", str(folder), "--json", str(report_file)]
        result = CliRunner().invoke(cli, [*args, "--timeout", "5", "--concurrency", "4"])
    assert result.exit_code == 1, result.output
    report = by_endpoint(json.loads(report_file.read_text()))
    assert len(report) == 11

    def status(protocol: str, host: str, port: int, security: str) -> object:
        return report[(protocol, host, port, security)]["status"]

    for ok in password_servers[:3]:
        assert status(*ok) == "ok", report[ok]
    assert status("imap", "verify.test", dovecot["imaps"], "tls") == "certificate-wrong-name"
    assert status("imap", "mail.test", dovecot["imap"], "tls") == "tls-mode-differs"
    assert status("imap", "mail.test", no_starttls, "starttls") == "tls-mode-differs"
    entry = report[("imap", "mail.test", expiring, "tls")]
    assert entry["status"] == "certificate-expiring"
    expires = dt.datetime.fromisoformat(str(entry["certificate_expires"]))
    assert 3 <= (expires - dt.datetime.now(dt.UTC)).days <= 5
    assert status("imap", "mail.test", closed, "tls") == "connection-refused"
    assert status("imap", "nowhere.test", 993, "tls") == "host-unresolved"
    oauth = report[("pop3", "mail.test", dovecot["pop3s"], "tls")]
    assert oauth["status"] == "auth-differs"
    assert oauth["providers"] == ["oauth.test"]
    assert "PLAIN" in oauth["mechanisms"]
    fine = report[password_servers[0]]
    assert fine["providers"] == ["pw.test"]
    assert "PLAIN" in fine["mechanisms"]
    assert fine["certificate_expires"]
    assert report[("smtp", "mail.test", smtpd.implicit, "tls")]["status"] == "auth-differs"
    assert "ok: 3" in result.output
    assert "certificate-wrong-name" in result.output


@pytest.mark.usefixtures("local_env")
def test_only_the_chosen_provider_and_exit_0_when_all_agree(
    tmp_path: Path, dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    folder = data_dir(
        tmp_path,
        {
            "good.test": provider_toml(
                "good.test",
                domains=("good.test",),
                servers=(
                    ("imap", "mail.test", dovecot["imaps"], "tls"),
                    ("smtp", "mail.test", smtpd.starttls, "starttls"),
                ),
            ),
            "gone.test": provider_toml(
                "gone.test",
                domains=("gone.test",),
                servers=(
                    ("imap", "nowhere.test", 993, "tls"),
                    ("smtp", "nowhere.test", 465, "tls"),
                ),
            ),
        },
    )
    report_file = tmp_path / "report.json"
    args = ["verify-data", "--data-dir", str(folder), "--provider", "good.test"]
    result = CliRunner().invoke(cli, [*args, "--json", str(report_file)])
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert [(e["host"], e["status"]) for e in report] == [("mail.test", "ok")] * 2
    unknown = CliRunner().invoke(cli, [*args[:3], "--provider", "nobody.test"])
    assert unknown.exit_code == 2
    assert "no provider record nobody.test" in unknown.output


def test_exit_2_when_nothing_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS pointed at a closed port: one line saying so, not a list of dead hosts."""
    with refused_port() as closed:
        for name, value in PROBE_LOOPBACK_ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("MAILSETUP_DNS_SERVERS", f"127.0.0.1:{closed}")
        monkeypatch.setenv("MAILSETUP_DNS_TIMEOUT", "1")
        get_settings.cache_clear()
        folder = data_dir(
            tmp_path,
            {
                "a.test": provider_toml(
                    "a.test",
                    domains=("a.test",),
                    servers=(
                        ("imap", "imap.a.test", 993, "tls"),
                        ("smtp", "smtp.a.test", 465, "tls"),
                    ),
                )
            },
        )
        args = ["verify-data", "--data-dir", str(folder), "--timeout", "2"]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "no endpoint could be reached: is this machine offline?" in result.output
    assert "imap.a.test" not in result.output
