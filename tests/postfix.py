"""Postfix (3.7, Debian 12) as an SMTP submission server on 127.0.0.1, with Cyrus SASL.

Two listeners, yielded by name:

- ``submission``: STARTTLS is required (``smtpd_tls_security_level = encrypt``); AUTH is
  advertised and accepted only after it, and ``AUTH``/``MAIL`` before it get ``530``.
- ``submissions``: implicit TLS (``smtpd_tls_wrappermode = yes``).

AUTH offers PLAIN and LOGIN, checked against a private sasldb that holds
:data:`tests.servers.USERS` (login name = the full address). Nothing can be delivered:
local and outbound transports are both ``error``.

The whole instance lives in one temp dir: ``etc`` (``-c`` config dir), ``spool`` (queue) and
``data``. Debian's Postfix reads Cyrus' settings only from ``<config dir>/sasl/smtpd.conf``
(``cyrus_sasl_config_path`` is ignored); without that file Cyrus falls back to
``/etc/sasldb2`` and every AUTH fails with ``454``.
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
    stop_process,
    wait_for_port,
    wait_until_gone,
)

POSTFIX_LISTENERS = ("submission", "submissions")
# The first start in a fresh dir creates the queue and runs the integrity checks (~2-3 s).
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.test
mydomain = mail.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
maillog_file = /dev/stdout
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:local delivery disabled
default_transport = error:outbound delivery disabled
smtpd_banner = $myhostname ESMTP Postfix test
smtpd_tls_cert_file = {root}/cert.pem
smtpd_tls_key_file = {root}/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
"""

# Every service unchrooted; no port 25. postlog is what writes maillog_file.
MASTER_CF = """\
127.0.0.1:{submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
127.0.0.1:{submissions} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

SASL_CONF = """\
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: {root}/etc/sasldb2
mech_list: PLAIN LOGIN
"""


def postfix_binary() -> str | None:
    return shutil.which("postfix") or shutil.which("postfix", path="/usr/sbin:/usr/local/sbin")


def saslpasswd2_binary() -> str | None:
    return shutil.which("saslpasswd2") or shutil.which("saslpasswd2", path="/usr/sbin")


def sasl_plugins_missing() -> bool:
    """True unless Cyrus' PLAIN and sasldb plugins are installed (libsasl2-modules{,-db})."""
    found = {p.name for d in Path("/usr/lib").glob("*/sasl2") for p in d.glob("lib*.so*")}
    found |= {p.name for p in Path("/usr/lib/sasl2").glob("lib*.so*")}
    return not (any("plain" in n for n in found) and any("sasldb" in n for n in found))


def write_sasldb(root: Path, saslpasswd2: str) -> None:
    db = root / "etc" / "sasldb2"
    for address, password in USERS.items():
        local, realm = address.split("@")
        # -p reads the password from stdin up to EOF or a newline, so none may hold one.
        assert "\n" not in password, address
        subprocess.run(
            [saslpasswd2, "-f", str(db), "-p", "-c", "-u", realm, local],
            input=password.encode("utf-8"),
            capture_output=True,
            check=True,
        )
    # smtpd reads the database as the postfix user.
    shutil.chown(db, "root", "postfix")
    db.chmod(0o640)


def master_pid(root: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((root / "spool" / "pid" / "master.pid").read_text().split()[0])
    return None


def stop_postfix(process: subprocess.Popen[bytes], root: Path) -> None:
    """SIGTERM the master, which stops its process group, then reap the start-fg wrapper.

    Terminating only the wrapper (``/bin/sh postfix-script``) would leave the master
    running: it makes a session of its own. Before the master exists (the integrity
    checks of a first start), the wrapper's own process group holds everything it runs.
    """
    signalled = master_pid(root)
    with contextlib.suppress(ProcessLookupError):
        if signalled is not None:
            os.kill(signalled, signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGTERM)
    # The wrapper returns as soon as the master exits (rc 143).
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_STOP_TIMEOUT)
    stop_process(process, _STOP_TIMEOUT)
    master = signalled or master_pid(root)  # it may have started meanwhile
    if master is not None:
        if master != signalled:
            with contextlib.suppress(ProcessLookupError):
                os.kill(master, signal.SIGTERM)
        # The master's children are in its process group; they end right after it.
        wait_until_gone(master, _STOP_TIMEOUT)


@contextlib.contextmanager
def run_postfix(certs: Certificates) -> Iterator[dict[str, int]]:
    """Start a private Postfix; yield its ports by listener name; stop it and remove its dir."""
    postfix, saslpasswd2 = postfix_binary(), saslpasswd2_binary()
    if postfix is None or saslpasswd2 is None or sasl_plugins_missing():
        unavailable(
            "Postfix with Cyrus SASL is not installed (apt-get install postfix"
            " libsasl2-modules libsasl2-modules-db sasl2-bin)"
        )
    assert postfix is not None
    assert saslpasswd2 is not None
    if os.geteuid() != 0:
        unavailable("the Postfix test server needs root")
    root = Path(tempfile.mkdtemp(prefix="mailsetup-postfix-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        root.chmod(0o755)
        # The queue and data dirs sit beside the config dir, not in it: postfix check
        # wants everything under the config dir owned by root.
        (root / "etc" / "sasl").mkdir(parents=True)
        (root / "spool").mkdir()
        (root / "data").mkdir()
        shutil.chown(root / "data", "postfix")
        shutil.copyfile(certs.cert_file, root / "cert.pem")
        shutil.copyfile(certs.key_file, root / "key.pem")
        (root / "key.pem").chmod(0o600)
        ports = free_tcp_ports(POSTFIX_LISTENERS)
        (root / "etc" / "main.cf").write_text(MAIN_CF.format(root=root), encoding="utf-8")
        (root / "etc" / "master.cf").write_text(MASTER_CF.format(**ports), encoding="utf-8")
        (root / "etc" / "sasl" / "smtpd.conf").write_text(
            SASL_CONF.format(root=root), encoding="utf-8"
        )
        write_sasldb(root, saslpasswd2)
        log_file = root / "postfix.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [postfix, "-c", str(root / "etc"), "start-fg"],
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, for stop_postfix() before the master is up.
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        if not all(wait_for_port(port, process, deadline) for port in ports.values()):
            tail = log_file.read_text(errors="replace")[-2000:]
            unavailable(f"Postfix did not start (exit {process.poll()}):\n{tail}")
        yield ports
    finally:
        if process is not None:
            stop_postfix(process, root)
        shutil.rmtree(root, ignore_errors=True)
