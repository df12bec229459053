"""Real mail servers on 127.0.0.1 for the probe tests: Dovecot and aiosmtpd.

Dovecot (2.3, Debian 12) serves IMAP+STARTTLS, IMAPS, POP3+STLS, POP3S and APOP;
aiosmtpd serves SMTP submission with STARTTLS and with implicit TLS. Certificates
come from a trustme CA for the names in :data:`HOSTNAMES`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.realservers import free_tcp_port, unavailable

HOSTNAMES = ("mail.test", "localhost", "127.0.0.1")

# user -> password. LEAKY holds a quote, a space and non-ASCII; ASCII_LEAKY a
# quote, a space and a backslash, so IMAP sends it quoted rather than as a literal.
USERS = {
    "alice@mail.test": "correct horse",
    "leaky@mail.test": 'pa"ss wörd密码',
    "ascii@mail.test": 'pa"ss w\\rd',
}
WRONG_PASSWORD = "wrong password"

DOVECOT_LISTENERS = ("imap", "imaps", "pop3", "pop3s")
free_port = free_tcp_port
_START_TIMEOUT = 10.0


def wait_for_port(port: int, process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


@dataclass
class Certificates:
    ca: trustme.CA
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(directory: Path) -> Certificates:
    ca = trustme.CA()
    leaf = ca.issue_cert(*HOSTNAMES)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    for pem in leaf.cert_chain_pems[1:]:
        pem.write_to_path(str(cert_file), append=True)
    return Certificates(ca, ca_file, cert_file, key_file)


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
listen = 127.0.0.1
protocols = imap pop3
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login apop cram-md5
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 65534
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/home/%u
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


@contextlib.contextmanager
def run_dovecot(certs: Certificates) -> Iterator[dict[str, int]]:
    """Start a private Dovecot; yield its ports by listener name; stop it with SIGTERM."""
    binary = dovecot_binary()
    if binary is None:
        unavailable("the dovecot binary is not installed (apt-get install dovecot-imapd ...)")
    assert binary is not None
    if os.geteuid() != 0:
        unavailable("Dovecot test servers need root (mail processes switch to uid 65534)")
    # Outside pytest's 0700 tmp tree: login and mail processes run as other users.
    root = Path(tempfile.mkdtemp(prefix="mailsetup-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir(mode=0o777)
    (root / "home").chmod(0o777)
    passwd = "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
    (root / "passwd").write_text(passwd, encoding="utf-8")
    ports = {name: free_port() for name in DOVECOT_LISTENERS}
    conf = root / "dovecot.conf"
    conf.write_text(
        DOVECOT_CONF.format(root=root, cert=certs.cert_file, key=certs.key_file, **ports),
        encoding="utf-8",
    )
    log_file = root / "dovecot.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        if not all(wait_for_port(port, process, deadline) for port in ports.values()):
            tail = log_file.read_text(errors="replace")[-2000:]
            unavailable(f"Dovecot did not start (exit {process.poll()}):\n{tail}")
        yield ports
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def authenticator(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
) -> AuthResult:
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = auth_data.login.decode("utf-8", "replace")
    password = auth_data.password.decode("utf-8", "replace")
    # handled=False: aiosmtpd then answers 535 itself (handled=True would answer nothing).
    return AuthResult(success=USERS.get(user) == password, handled=False)


class Handler:
    """Accepts nothing: probes never send MAIL, RCPT or DATA."""


@dataclass
class SmtpServers:
    starttls: int
    implicit: int
    controllers: list[Controller] = field(default_factory=list)


@contextlib.contextmanager
def run_aiosmtpd(certs: Certificates) -> Iterator[SmtpServers]:
    """SMTP submission: STARTTLS + AUTH, and implicit TLS + AUTH, each in its own thread."""
    context = server_context(certs)
    starttls = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="mail.test",
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    # aiosmtpd does not see implicit TLS as TLS and would hide AUTH, so this
    # listener sets auth_require_tls=False. auth_required stays False: together
    # with auth_require_tls=False it would warn (UserWarning) on every connection.
    implicit = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="mail.test",
        ssl_context=context,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    servers = SmtpServers(starttls=starttls.port, implicit=implicit.port)
    try:
        for controller in (starttls, implicit):
            controller.start()
            servers.controllers.append(controller)
        yield servers
    finally:
        for controller in servers.controllers:
            controller.stop()


def server_context(certs: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certs.cert_file), str(certs.key_file))
    return context
