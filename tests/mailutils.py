"""GNU Mailutils ``imap4d`` and ``pop3d`` on 127.0.0.1: a second IMAP/POP3 implementation.

Users are :data:`tests.servers.USERS`, served by Mailutils' virtdomain backend (a passwd-style
file per domain holding crypt hashes), so no system account is created. Each daemon is one
process with three listeners:

- ``imap`` / ``pop3``: plain with STARTTLS/STLS offered; login is allowed without TLS.
- ``imaps`` / ``pop3s``: implicit TLS.
- ``imap-tls-required`` / ``pop3-tls-required``: STARTTLS/STLS offered, login refused before it.

Behaviours a client must expect from Mailutils 3.15 (Debian 12):

- The IMAP greeting is a bare ``* OK IMAP4rev1`` (no capabilities); the POP3 greeting always
  carries an APOP timestamp although APOP is not set up.
- Every user's password works with IMAP ``LOGIN`` (quoted string or literal; imap4d even
  takes the UTF-8 one raw in a quoted string) and with POP3 ``USER``/``PASS``.
- IMAP offers many SASL mechanisms through GNU SASL (kept on, as a real server would have
  them). ``AUTHENTICATE PLAIN`` and ``LOGIN`` work for every user, but the tagged success
  reply ends in a bare LF instead of CRLF (a server bug that a client must survive); a
  failure ends in CRLF. ``CRAM-MD5`` (and the other challenge mechanisms) is advertised
  but always fails: there is no GNU SASL password file, only crypt hashes. There is no
  SASL-IR: an initial response gets ``BAD AUTHENTICATE Invalid arguments``.
- POP3 has no SASL: ``AUTH`` answers ``-ERR Not implemented``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.realservers import free_tcp_ports, unavailable
from tests.servers import (
    USERS,
    Certificates,
    child_pids,
    stop_process,
    wait_for_port,
    wait_until_gone,
)

# listener name suffix -> Mailutils tls-mode
TLS_MODES = {"": "ondemand", "s": "connection", "-tls-required": "required"}
DAEMONS = {"imap4d": "imap", "pop3d": "pop3"}
MAILUTILS_LISTENERS = tuple(proto + suffix for proto in DAEMONS.values() for suffix in TLS_MODES)
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
_SESSION_GRACE = 1.0

CONF = """\
logging {{
  syslog no;
  print-severity yes;
}};
auth {{
  authorization virtdomain;
  authentication generic;
}};
virtdomain {{
  passwd-dir "{root}/virt";
}};
tls-file-checks {{
  key-file none;
  cert-file none;
  ca-file none;
}};
tls {{
  ssl-certificate-file "{root}/cert.pem";
  ssl-key-file "{root}/key.pem";
}};
mode daemon;
foreground yes;
pidfile "{root}/{daemon}.pid";
{servers}"""

SERVER = """\
server 127.0.0.1:{port} {{
  tls-mode {mode};
}};
"""


def mailutils_binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def crypt_hash(password: str) -> str:
    """A SHA-512 crypt hash; ``openssl passwd -stdin`` hashes the line's bytes, UTF-8 here."""
    result = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=password.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("ascii").strip()


def write_users(root: Path) -> None:
    """One passwd-format file per domain under ``root/virt``; the login name is the address."""
    virt = root / "virt"
    virt.mkdir()
    lines: dict[str, list[str]] = {}
    for address, password in USERS.items():
        local, domain = address.split("@")
        # The passwd format separates fields with ':' and ends at a newline.
        assert ":" not in password, address
        assert "\n" not in password, address
        home = root / "home" / local
        home.mkdir(parents=True)
        home.chmod(0o777)
        line = f"{local}:{crypt_hash(password)}:65534:65534:Test:{home}:/bin/false\n"
        lines.setdefault(domain, []).append(line)
    for domain, entries in lines.items():
        (virt / domain).write_text("".join(entries), encoding="utf-8")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a daemon and the sessions it forked, leaving neither processes nor zombies.

    On SIGTERM the daemon waits for its sessions, and a logged-in session that waits for
    its client ignores SIGTERM. A session whose parent is gone can only be reaped by init,
    which may take a while. So the sessions go first (SIGTERM, then SIGKILL), while the
    daemon is there to reap them, then the daemon; whatever is left in its process group
    is killed.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + _SESSION_GRACE
        while process.poll() is None and (sessions := child_pids(process.pid, zombies=True)):
            if time.monotonic() > deadline:
                break
            for pid in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            time.sleep(0.02)
    stop_process(process, _STOP_TIMEOUT)
    wait_until_gone(process.pid)


@contextlib.contextmanager
def run_mailutils(certs: Certificates) -> Iterator[dict[str, int]]:
    """Start imap4d and pop3d; yield their ports by listener name (see the module docstring)."""
    binaries = {daemon: mailutils_binary(daemon) for daemon in DAEMONS}
    missing = [daemon for daemon, binary in binaries.items() if binary is None]
    if missing:
        unavailable(
            f"{' and '.join(missing)} not installed (apt-get install mailutils-imap4d"
            " mailutils-pop3d)"
        )
    if os.geteuid() != 0:
        unavailable("the Mailutils test servers need root")
    # Mode 0755 outside pytest's 0700 tmp tree, homes 0777: the users are uid 65534, so
    # nothing breaks should a session run as that user. (Mailutils 3.15 keeps them as
    # root: the INBOX it creates on first login is root:mail, mode 0600.)
    root = Path(tempfile.mkdtemp(prefix="mailsetup-mailutils-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        root.chmod(0o755)
        shutil.copyfile(certs.cert_file, root / "cert.pem")
        shutil.copyfile(certs.key_file, root / "key.pem")
        (root / "key.pem").chmod(0o600)
        write_users(root)
        ports = free_tcp_ports(MAILUTILS_LISTENERS)
        logs: list[Path] = []
        for daemon, proto in DAEMONS.items():
            servers = "".join(
                SERVER.format(port=ports[proto + suffix], mode=mode)
                for suffix, mode in TLS_MODES.items()
            )
            conf = root / f"{daemon}.conf"
            conf.write_text(
                CONF.format(root=root, daemon=daemon, servers=servers), encoding="utf-8"
            )
            log_file = root / f"{daemon}.log"
            logs.append(log_file)
            with log_file.open("wb") as log:
                # --config-file implies --no-config: the system's mailutils.conf is not read.
                processes.append(
                    subprocess.Popen(
                        [str(binaries[daemon]), f"--config-file={conf}"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # Its own process group, so that no session can outlive stop().
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + _START_TIMEOUT
        for process, proto in zip(processes, DAEMONS.values(), strict=True):
            names = [proto + suffix for suffix in TLS_MODES]
            if not all(wait_for_port(ports[name], process, deadline) for name in names):
                tails = "\n".join(f.read_text(errors="replace")[-1500:] for f in logs)
                unavailable(f"Mailutils did not start (exit {process.poll()}):\n{tails}")
        yield ports
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(root, ignore_errors=True)
