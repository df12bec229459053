"""A real DNS server for tests: dnsmasq on 127.0.0.1, authoritative for ``.test``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.message
import dns.query

from tests.realservers import free_udp_port, unavailable


@dataclass
class Zone:
    """Records to serve. Names are under .test; anything else there is NXDOMAIN."""

    mx: list[tuple[str, str, int]] = field(default_factory=list)  # (domain, host, pref)
    srv: list[tuple[str, str, int, int, int]] = field(
        default_factory=list
    )  # name, target, port, prio, weight
    no_service: list[str] = field(default_factory=list)  # SRV names answered with target "."
    hosts: list[tuple[str, str]] = field(default_factory=list)  # (name, address)
    cnames: list[tuple[str, str]] = field(default_factory=list)  # (alias, target)

    def arguments(self) -> list[str]:
        args = [f"--mx-host={d},{h},{p}" for d, h, p in self.mx]
        args += [f"--srv-host={n},{t},{port},{prio},{w}" for n, t, port, prio, w in self.srv]
        args += [f"--srv-host={n}" for n in self.no_service]
        args += [f"--host-record={n},{a}" for n, a in self.hosts]
        args += [f"--cname={a},{t}" for a, t in self.cnames]
        return args


@contextmanager
def run_dnsmasq(zone: Zone) -> Iterator[str]:
    """Serve ``zone``; yields the nameserver as ``127.0.0.1:port``. A port taken between
    choosing it and dnsmasq binding it (by another process on a busy machine) costs a
    second try on another port, not the run."""
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    if not shutil.which(binary):
        unavailable("dnsmasq is not installed (apt-get install dnsmasq-base)")
    for attempt in range(_TRIES):
        port = free_udp_port()
        command = [
            binary,
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--pid-file=",
            f"--port={port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--local=/test/",
            "--user=root",
            "--log-facility=-",
            *zone.arguments(),
        ]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
            try:
                failed = _wait_until_answering(port, proc)
                if failed is None:
                    yield f"127.0.0.1:{port}"
                    return
            finally:
                proc.terminate()
                proc.wait(timeout=10)
        if "Address already in use" not in failed or attempt == _TRIES - 1:
            unavailable(f"dnsmasq exited: {failed[-500:]}")


_TRIES = 3


def _wait_until_answering(port: int, proc: subprocess.Popen[bytes]) -> str | None:
    """None once dnsmasq answers on ``port``; what it said if it exited first."""
    query = dns.message.make_query("ready.test", "A")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            return None
        except (TimeoutError, OSError, dns.exception.Timeout):
            time.sleep(0.05)
    unavailable("dnsmasq did not answer within 10 s")


# The zone every test shares: names under .test for discovery, the guard and the web app.
NAMES = (
    "autoconfig.example.test",
    "example.test",
    "hop.test",
    "autoconfig.own.test",
    "own.test",
    "autoconfig.redir.test",
    "autoconfig.mx-base.test",
    "autoconfig.slow.test",
    "autoconfig.bomb.test",
)

ZONE = Zone(
    hosts=[
        *((name, "127.0.0.1") for name in NAMES),
        ("private.test", "10.0.0.1"),
        ("loop2.test", "127.0.0.2"),
        ("mixed.test", "127.0.0.1"),
        ("mixed.test", "192.168.1.1"),
        ("mail.srvonly.test", "127.0.0.1"),
        ("guessme.test", "127.0.0.1"),
        ("imap.guessme.test", "127.0.0.1"),
        ("smtp.guessme.test", "127.0.0.1"),
        ("mailsetup.test", "127.0.0.1"),
        ("mail.test", "127.0.0.1"),
        # Not on the test certificate: mailsetup verify-data reports the wrong name.
        ("verify.test", "127.0.0.1"),
    ],
    mx=[
        ("gw.test", "aspmx.l.google.com", 1),
        ("ms.test", "ms-test.mail.protection.outlook.com", 0),
        ("tx.test", "mxbiz1.qq.com", 5),
        ("viabase.test", "mx1.mx-base.test", 10),
        ("own.test", "mx.own.test", 10),
        # A domain nobody has added to the database, for the domain-owner page.
        ("owner.test", "mx1.owner.test", 10),
        ("owner.test", "mx2.owner.test", 20),
        # Company domains hosted by the big services, known by their MX alone
        # (tests/discovery/test_company_mx.py). The MX hosts are the services' real names;
        # recognising them needs no address record.
        ("acme-google.test", "aspmx.l.google.com", 1),
        ("acme-google-new.test", "smtp.google.com", 1),
        ("acme-googlemail.test", "aspmx2.googlemail.com", 10),
        ("acme-m365.test", "acme-m365-test.mail.protection.outlook.com", 0),
        ("acme-m365-new.test", "acme-m365-new-test.k7r2x.mx.microsoft", 0),
        ("acme-21v.test", "acme-21v-test.mail.protection.partner.outlook.cn", 0),
        ("acme-usgov.test", "acme.mail.protection.office365.us", 0),
        ("acme-exmail.test", "mxbiz1.qq.com", 5),
        ("acme-exmail.test", "mxbiz2.qq.com", 10),
        ("acme-netease.test", "qiye163mx01.mxmail.netease.com", 5),
        ("acme-netease-hz.test", "hzmx01.mxmail.netease.com", 5),
        ("acme-aliyun.test", "mx1.qiye.aliyun.com", 5),
        ("acme-hichina.test", "mxn.mxhichina.com", 5),
        ("acme-zoho.test", "mx.zoho.com", 10),
        ("acme-zoho-eu.test", "mx.zoho.eu", 10),
        ("acme-zoho-in.test", "mx.zoho.in", 10),
        ("acme-zoho-au.test", "mx.zoho.com.au", 10),
        ("acme-zoho-jp.test", "mx.zoho.jp", 10),
        ("acme-zoho-ca.test", "mx.zohocloud.ca", 10),
        ("acme-yandex.test", "mx.yandex.net", 10),
        ("acme-fastmail.test", "in1-smtp.messagingengine.com", 10),
        ("acme-icloud.test", "mx01.mail.icloud.com", 10),
        ("acme-godaddy.test", "smtp.secureserver.net", 0),
        ("acme-godaddy-eu.test", "mailstore1.europe.secureserver.net", 10),
        ("acme-ionos.test", "mx00.ionos.de", 10),
        ("acme-ionos-us.test", "mx00.ionos.com", 10),
        ("acme-ionos-uk.test", "mx00.ionos.co.uk", 10),
        ("acme-ovh.test", "mx1.mail.ovh.net", 5),
        ("acme-namecheap.test", "mx1.privateemail.com", 10),
        ("acme-proton.test", "mail.protonmail.ch", 10),
        ("acme-proton.test", "mailsec.protonmail.ch", 20),
        ("acme-yahoo.test", "mx-biz.mail.am0.yahoodns.net", 1),
        ("acme-aol.test", "mx-aol.mail.gm0.yahoodns.net", 1),
    ],
    cnames=[("autoconfig.owned.test", "mailsetup.test")],
    srv=[
        ("_imaps._tcp.owned.test", "imap.example.org", 993, 0, 0),
        ("_submissions._tcp.owned.test", "smtp.example.org", 587, 0, 0),
        ("_imaps._tcp.srvonly.test", "mail.srvonly.test", 993, 0, 1),
        ("_submission._tcp.srvonly.test", "mail.srvonly.test", 587, 0, 1),
        ("_imaps._tcp.owner.test", "mail.owner.test", 993, 0, 0),
        ("_submissions._tcp.owner.test", "smtp.elsewhere.test", 465, 0, 0),
    ],
    no_service=["_pop3._tcp.srvonly.test", "_pop3._tcp.owner.test"],
)
