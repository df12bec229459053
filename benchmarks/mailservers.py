"""Local mail servers for the benchmarks, in a process of their own.

Dovecot (IMAP 143/STARTTLS, IMAPS, POP3 110/STLS, POP3S) and aiosmtpd (SMTP
submission with STARTTLS, and with implicit TLS), with trustme certificates for
``mail.test``, ``localhost`` and ``127.0.0.1``. Built from the test helpers
(``tests/servers.py``):
certificates, the Dovecot configuration and the aiosmtpd controllers. Added for
load: ``--users`` accounts ``bench0000@mail.test``... (password
:data:`PASSWORD`) in Dovecot's passwd-file and in aiosmtpd's table, and Dovecot
limits raised (processes, clients, ``mail_max_userip_connections``) and its
login processes in high-performance mode.

``python -m benchmarks.mailservers --users N`` prints one JSON line when ready
(ports, CA file; or ``{"error": ...}`` when it cannot run here) and stops
everything when its stdin closes, on SIGTERM, or after :data:`MAX_LIFETIME` s.
:func:`mail_servers` runs it from another process.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType

from benchmarks.common import PYTHON, REPO, free_port

PASSWORD = "bench password"  # noqa: S105 - a local test account
MAX_LIFETIME = 900  # seconds; the server process stops by itself after this
START_TIMEOUT = 15.0

# Appended to the test helpers' Dovecot configuration (Dovecot merges the
# service sections): room for hundreds of simultaneous logins from one IP, and
# login processes in Dovecot's high-performance mode (long-lived, each serving
# many clients) instead of one forked process per connection.
DOVECOT_LOAD_CONF = """
default_process_limit = 1000
default_client_limit = 4000
default_vsz_limit = 0
protocol imap {
  mail_max_userip_connections = 1000
}
protocol pop3 {
  mail_max_userip_connections = 1000
}
service imap-login {
  service_count = 0
  process_min_avail = 2
}
service pop3-login {
  service_count = 0
  process_min_avail = 2
}
"""


class Unavailable(RuntimeError):
    """The servers cannot run on this machine (no Dovecot, not root, helpers missing)."""


def helpers() -> ModuleType:
    """The test suite's server helpers (tests/servers.py); importing them needs pytest."""
    try:
        return importlib.import_module("tests.servers")
    except ImportError as exc:
        raise Unavailable(f"the test helpers do not import: {exc}") from exc


def bench_users(count: int) -> dict[str, str]:
    return {f"bench{i:04d}@mail.test": PASSWORD for i in range(count)}


@dataclass(frozen=True)
class MailServers:
    """Where the servers listen (all on 127.0.0.1) and the CA that signed them."""

    ca_file: str
    imap: int
    imaps: int
    pop3: int
    pop3s: int
    smtp: int  # STARTTLS (587-style)
    smtps: int  # implicit TLS (465-style)
    dovecot_pid: int

    def ports(self) -> tuple[int, ...]:
        """Every listening port, for ``MAILSETUP_PROBE_ALLOW_PORTS``."""
        return (self.imap, self.imaps, self.pop3, self.pop3s, self.smtp, self.smtps)


@contextlib.contextmanager
def run_dovecot(h: ModuleType, certs: object, users: dict[str, str]) -> Iterator[dict[str, int]]:
    """The helpers' Dovecot configuration plus :data:`DOVECOT_LOAD_CONF`, with ``users``."""
    binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        raise Unavailable("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)")
    if os.geteuid() != 0:
        raise Unavailable("Dovecot needs root here (mail processes switch to uid 65534)")
    root = Path(tempfile.mkdtemp(prefix="mailsetup-bench-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    (root / "home").chmod(0o777)
    passwd = "".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items())
    (root / "passwd").write_text(passwd, encoding="utf-8")
    ports = {name: free_port() for name in ("imap", "imaps", "pop3", "pop3s")}
    conf = root / "dovecot.conf"
    base = h.DOVECOT_CONF.format(  # type: ignore[attr-defined]
        root=root,
        cert=certs.cert_file,  # type: ignore[attr-defined]
        key=certs.key_file,  # type: ignore[attr-defined]
        protocols="imap pop3",
        services=h.DOVECOT_MAIL_SERVICES.format(**ports),  # type: ignore[attr-defined]
    )
    conf.write_text(base + DOVECOT_LOAD_CONF, encoding="utf-8")
    log = (root / "dovecot.log").open("wb")
    process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        if not all(h.wait_for_port(p, process, deadline) for p in ports.values()):
            tail = (root / "dovecot.log").read_text(errors="replace")[-2000:]
            raise Unavailable(f"Dovecot did not start (exit {process.poll()}):\n{tail}")
        ports["pid"] = process.pid
        yield ports
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(users: int) -> int:
    """Start everything, print where it listens, wait for stdin to close."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGALRM, _stop)
    signal.alarm(MAX_LIFETIME)
    try:
        h = helpers()
        accounts = bench_users(users)
        h.USERS.update(accounts)  # aiosmtpd's authenticator reads this table at login time
        with (
            tempfile.TemporaryDirectory(prefix="mailsetup-bench-certs-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            certs = h.make_certificates(Path(tmp))
            dovecot = stack.enter_context(run_dovecot(h, certs, dict(h.USERS)))
            smtp = stack.enter_context(h.run_aiosmtpd(certs))
            info = MailServers(
                ca_file=str(certs.ca_file),
                imap=dovecot["imap"],
                imaps=dovecot["imaps"],
                pop3=dovecot["pop3"],
                pop3s=dovecot["pop3s"],
                smtp=smtp.starttls,
                smtps=smtp.implicit,
                dovecot_pid=dovecot["pid"],
            )
            print(json.dumps(info.__dict__), flush=True)
            sys.stdin.read()  # until the parent closes our stdin (or a signal)
    except Unavailable as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1
    return 0


@contextlib.contextmanager
def mail_servers(users: int) -> Iterator[MailServers]:
    """Run the servers in a child process; raise :class:`Unavailable` if they can't run."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.mailservers", "--users", str(users)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            line = process.stdout.readline().decode()
            if not line:
                log.seek(0)
                raise Unavailable(f"mail servers exited: {log.read()[-1500:].decode()}")
            info = json.loads(line)
            if "error" in info:
                raise Unavailable(info["error"])
            yield MailServers(**info)
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.terminate()
                process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10)
    return serve(parser.parse_args().users)


if __name__ == "__main__":
    sys.exit(main())
