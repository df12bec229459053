"""Real mail servers on 127.0.0.1 for the probe tests: Dovecot and aiosmtpd.

Dovecot (2.3, Debian 12) serves IMAP+STARTTLS, IMAPS, POP3+STLS, POP3S and APOP;
aiosmtpd serves SMTP submission with STARTTLS and with implicit TLS. A second Dovecot
instance serves only SMTP submission (plain+STARTTLS and implicit TLS) and relays to a
given port. Certificates come from a trustme CA for the names in :data:`HOSTNAMES`.
GNU Mailutils and Postfix live in tests/mailutils.py and tests/postfix.py.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.realservers import TEST_PORTS, free_tcp_port, free_tcp_ports, unavailable

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
DOVECOT_SUBMISSION_LISTENERS = ("submission", "submissions")
free_port = free_tcp_port
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


def wait_for_port(port: int, process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


def _process_table() -> Iterator[tuple[int, int, int, str]]:
    """(pid, ppid, pgid, state) of every process, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name (field 2) is in parentheses and may hold spaces.
        state, ppid, pgid = stat[stat.rindex(")") + 2 :].split()[:3]
        yield int(entry.name), int(ppid), int(pgid), state


def child_pids(pid: int, *, zombies: bool = False) -> list[int]:
    """The children of ``pid``; zombies (exited, not yet reaped) only if asked."""
    return [p for p, ppid, _, st in _process_table() if ppid == pid and (zombies or st != "Z")]


def group_pids(pgid: int, *, zombies: bool = False) -> list[int]:
    """The members of process group ``pgid``; zombies only if asked."""
    return [p for p, _, group, st in _process_table() if group == pgid and (zombies or st != "Z")]


def wait_until_gone(pgid: int, timeout: float = _STOP_TIMEOUT) -> None:
    """Wait until process group ``pgid`` has no running member; SIGKILL it after ``timeout``.

    Members that are already zombies count as gone: once their parent has exited only
    init can reap them, and it may do so a second or two later.
    """
    deadline = time.monotonic() + timeout
    while group_pids(pgid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            return
        time.sleep(0.02)


def stop_process(process: subprocess.Popen[bytes], timeout: float = _STOP_TIMEOUT) -> None:
    """SIGTERM ``process`` and wait for it; SIGKILL it after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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


# What every Dovecot instance here shares; {protocols} and {services} complete it.
DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
listen = 127.0.0.1
protocols = {protocols}
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
{services}"""

# The passdb in DOVECOT_CONF, which _run_dovecot(passdb=...) replaces.
DOVECOT_PASSDB = """\
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
"""
assert DOVECOT_PASSDB in DOVECOT_CONF

DOVECOT_MAIL_SERVICES = """\
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

# Submission relays every accepted session to {relay_port}; it connects there right after
# a successful AUTH, so with nothing listening the next command gets 421.
DOVECOT_SUBMISSION_SERVICES = """\
hostname = mail.test
submission_relay_host = 127.0.0.1
submission_relay_port = {relay_port}
service submission-login {{
  inet_listener submission {{
    port = {submission}
  }}
  inet_listener submissions {{
    port = {submissions}
    ssl = yes
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


@contextlib.contextmanager
def _run_dovecot(
    certs: Certificates,
    protocols: str,
    listeners: tuple[str, ...],
    services: str,
    *,
    passdb: str = DOVECOT_PASSDB,
    files: Mapping[str, str] | None = None,
    **values: object,
) -> Iterator[dict[str, int]]:
    """A private Dovecot for ``protocols`` in its own temp dir (its own base_dir and
    state_dir, so instances never meet); yields the ports of ``listeners`` by name.

    ``passdb`` takes the place of :data:`DOVECOT_PASSDB` (it is formatted like the rest,
    so ``{root}`` is the temp dir); ``files`` (name -> text) are written into that dir.
    """
    binary = dovecot_binary()
    if binary is None:
        unavailable("the dovecot binary is not installed (apt-get install dovecot-imapd ...)")
    assert binary is not None
    if os.geteuid() != 0:
        unavailable("Dovecot test servers need root (mail processes switch to uid 65534)")
    # Outside pytest's 0700 tmp tree: login and mail processes run as other users.
    root = Path(tempfile.mkdtemp(prefix="mailsetup-dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        root.chmod(0o755)
        (root / "home").mkdir(mode=0o777)
        (root / "home").chmod(0o777)
        passwd = "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
        (root / "passwd").write_text(passwd, encoding="utf-8")
        ports = free_tcp_ports(listeners)
        conf = root / "dovecot.conf"
        for name, text in (files or {}).items():
            (root / name).write_text(text, encoding="utf-8")
        conf.write_text(
            DOVECOT_CONF.replace(DOVECOT_PASSDB, passdb).format(
                root=root,
                cert=certs.cert_file,
                key=certs.key_file,
                protocols=protocols,
                services=services.format(**ports, **values),
            ),
            encoding="utf-8",
        )
        log_file = root / "dovecot.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [binary, "-F", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + _START_TIMEOUT
        if not all(wait_for_port(port, process, deadline) for port in ports.values()):
            tail = log_file.read_text(errors="replace")[-2000:]
            unavailable(f"Dovecot did not start (exit {process.poll()}):\n{tail}")
        yield ports
    finally:
        if process is not None:
            stop_process(process)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def run_dovecot(certs: Certificates) -> Iterator[dict[str, int]]:
    """Start a private Dovecot; yield its ports by listener name; stop it with SIGTERM."""
    with _run_dovecot(certs, "imap pop3", DOVECOT_LISTENERS, DOVECOT_MAIL_SERVICES) as ports:
        yield ports


@contextlib.contextmanager
def run_dovecot_submission(certs: Certificates, relay_port: int) -> Iterator[dict[str, int]]:
    """A Dovecot serving only SMTP submission, relaying to 127.0.0.1:``relay_port``.

    Yields ``submission`` (plain with STARTTLS) and ``submissions`` (implicit TLS). AUTH
    is offered on both, even before STARTTLS: Dovecot counts loopback as secured. If
    nothing answers at ``relay_port``, AUTH still succeeds (235) and the next command gets
    ``421 4.4.0 mail.test Failed to connect to relay server``.
    """
    with _run_dovecot(
        certs,
        "submission",
        DOVECOT_SUBMISSION_LISTENERS,
        DOVECOT_SUBMISSION_SERVICES,
        relay_port=relay_port,
    ) as ports:
        yield ports


@contextlib.contextmanager
def run_relay() -> Iterator[int]:
    """An SMTP server that accepts and discards everything: the relay behind a Dovecot
    submission. Yields its port."""
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port in the test range where connections are refused, held for the duration.

    The socket is bound but never listens, so a connect gets a reset at once, and no other
    server can take the port meanwhile.
    """
    for port in random.sample(TEST_PORTS, 200):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        with sock:
            yield port
        return
    raise RuntimeError("no free port in the test range")


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
def run_aiosmtpd(
    certs: Certificates, handler: Any = None, controller: type[Controller] = Controller
) -> Iterator[SmtpServers]:
    """SMTP submission: STARTTLS + AUTH, and implicit TLS + AUTH, each in its own thread.

    ``handler`` (default :class:`Handler`) serves both; its ``auth_*`` methods add SASL
    mechanisms. ``controller`` may be a subclass that builds another SMTP class.
    """
    context = server_context(certs)
    handler = Handler() if handler is None else handler
    starttls = controller(
        handler,
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
    implicit = controller(
        handler,
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
