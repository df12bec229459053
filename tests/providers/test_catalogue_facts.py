"""The catalogue gives the providers' documented hosts, ports and TLS mode, via lookup
and via autoconfig.

The first server of each protocol is the recommended one; these are checked
against the providers' own help pages (cited in each provider file), not against stale
blog posts.
"""

from __future__ import annotations

import httpx
import pytest
from defusedxml import ElementTree

from app.models import Status
from app.providers.db import ProviderDB

SSL = "tls"
# domain -> {protocol: (host, port, security)} for the recommended server of each protocol
FACTS = {
    "163.com": {
        "imap": ("imap.163.com", 993, SSL),
        "pop3": ("pop.163.com", 995, SSL),
        "smtp": ("smtp.163.com", 465, SSL),
    },
    "126.com": {
        "imap": ("imap.126.com", 993, SSL),
        "pop3": ("pop.126.com", 995, SSL),
        "smtp": ("smtp.126.com", 465, SSL),
    },
    "yeah.net": {
        "imap": ("imap.yeah.net", 993, SSL),
        "pop3": ("pop.yeah.net", 995, SSL),
        "smtp": ("smtp.yeah.net", 465, SSL),
    },
    "qq.com": {
        "imap": ("imap.qq.com", 993, SSL),
        "pop3": ("pop.qq.com", 995, SSL),
        "smtp": ("smtp.qq.com", 465, SSL),
    },
    "foxmail.com": {"imap": ("imap.qq.com", 993, SSL), "smtp": ("smtp.qq.com", 465, SSL)},
    "sina.com": {
        "imap": ("imap.sina.com", 993, SSL),
        "pop3": ("pop.sina.com", 995, SSL),
        "smtp": ("smtp.sina.com", 465, SSL),
    },
    "sohu.com": {
        "imap": ("imap.sohu.com", 993, SSL),
        "pop3": ("pop3.sohu.com", 995, SSL),
        "smtp": ("smtp.sohu.com", 465, SSL),
    },
    "139.com": {
        "imap": ("imap.139.com", 993, SSL),
        "pop3": ("pop.139.com", 995, SSL),
        "smtp": ("smtp.139.com", 465, SSL),
    },
    "tom.com": {"pop3": ("pop.tom.com", 995, SSL), "smtp": ("smtp.tom.com", 465, SSL)},
    "189.cn": {
        "imap": ("imap.189.cn", 993, SSL),
        "pop3": ("pop.189.cn", 995, SSL),
        "smtp": ("smtp.189.cn", 465, SSL),
    },
    "21cn.com": {
        "imap": ("imap.21cn.com", 993, SSL),
        "pop3": ("pop.21cn.com", 995, SSL),
        "smtp": ("smtp.21cn.com", 465, SSL),
    },
    "aliyun.com": {"imap": ("imap.aliyun.com", 993, SSL), "smtp": ("smtp.aliyun.com", 465, SSL)},
    "gmail.com": {
        "imap": ("imap.gmail.com", 993, SSL),
        "pop3": ("pop.gmail.com", 995, SSL),
        "smtp": ("smtp.gmail.com", 465, SSL),
    },
    "yahoo.com": {
        "imap": ("imap.mail.yahoo.com", 993, SSL),
        "smtp": ("smtp.mail.yahoo.com", 465, SSL),
    },
    "outlook.com": {
        "imap": ("outlook.office365.com", 993, SSL),
        "pop3": ("outlook.office365.com", 995, SSL),
        "smtp": ("smtp-mail.outlook.com", 587, "starttls"),
    },
    "hotmail.com": {"imap": ("outlook.office365.com", 993, SSL)},
    "icloud.com": {
        "imap": ("imap.mail.me.com", 993, SSL),
        "smtp": ("smtp.mail.me.com", 587, "starttls"),
    },
    "me.com": {"imap": ("imap.mail.me.com", 993, SSL)},
    "fastmail.com": {"imap": ("imap.fastmail.com", 993, SSL)},
    "proton.me": {"imap": ("127.0.0.1", 1143, "starttls"), "smtp": ("127.0.0.1", 1025, "starttls")},
}

# Hosted services on customers' own domains, recognised by MX.
MX_FACTS = {
    "mxbiz1.qq.com": ("exmail.qq.com", "imap.exmail.qq.com", "smtp.exmail.qq.com"),
    "qiye163mx01.mxmail.netease.com": ("qiye.163.com", "imap.qiye.163.com", "smtp.qiye.163.com"),
    "mxn.mxhichina.com": ("qiye.aliyun.com", "imap.qiye.aliyun.com", "smtp.qiye.aliyun.com"),
    "aspmx.l.google.com": ("workspace.google.com", "imap.gmail.com", "smtp.gmail.com"),
    "contoso-com.mail.protection.outlook.com": (
        "office365.com",
        "outlook.office365.com",
        "smtp.office365.com",
    ),
    "contoso-com.t-v1.mx.microsoft": (
        "office365.com",
        "outlook.office365.com",
        "smtp.office365.com",
    ),
    "in1-smtp.messagingengine.com": ("fastmail.com", "imap.fastmail.com", "smtp.fastmail.com"),
}


def _recommended(endpoints: list[dict[str, object]]) -> dict[str, tuple[object, object, object]]:
    first: dict[str, tuple[object, object, object]] = {}
    for e in endpoints:
        first.setdefault(str(e["protocol"]), (e["host"], e["port"], e["security"]))
    return first


@pytest.mark.parametrize("domain", sorted(FACTS))
async def test_lookup_gives_the_facts(client: httpx.AsyncClient, domain: str) -> None:
    r = await client.get("/api/v1/lookup", params={"email": f"someone@{domain}"})
    assert r.status_code == 200, r.text
    got = _recommended(r.json()["endpoints"])
    for protocol, expected in FACTS[domain].items():
        assert got.get(protocol) == expected, (domain, protocol)


@pytest.mark.parametrize("domain", sorted(FACTS))
async def test_autoconfig_gives_the_facts(client: httpx.AsyncClient, domain: str) -> None:
    r = await client.get("/mail/config-v1.1.xml", params={"emailaddress": f"someone@{domain}"})
    assert r.status_code == 200
    provider = ElementTree.fromstring(r.content).find("emailProvider")
    socket = {"SSL": "tls", "STARTTLS": "starttls", "plain": "none"}
    first: dict[str, tuple[object, object, object]] = {}
    for server in provider:
        if server.tag in ("incomingServer", "outgoingServer"):
            first.setdefault(
                server.get("type"),
                (
                    server.findtext("hostname"),
                    int(server.findtext("port")),
                    socket[server.findtext("socketType")],
                ),
            )
    for protocol, expected in FACTS[domain].items():
        assert first.get(protocol) == expected, (domain, protocol)


@pytest.mark.parametrize("domain", ["yahoo.com.cn", "yahoo.cn"])
async def test_yahoo_china_is_retired_not_yahoo_global(
    client: httpx.AsyncClient, domain: str
) -> None:
    r = await client.get("/api/v1/lookup", params={"email": f"someone@{domain}"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "retired"
    assert body["endpoints"] == []
    assert "2013" in body["status_reason"]["en"]
    assert (await client.get(f"/v1.1/{domain}")).status_code == 404


@pytest.mark.parametrize("mx", sorted(MX_FACTS))
def test_mx_identifies_hosted_providers(db: ProviderDB, mx: str) -> None:
    provider_id, imap, smtp = MX_FACTS[mx]
    rec = db.by_mx(mx)
    assert rec is not None, mx
    assert rec.id == provider_id
    first = {}
    for s in rec.servers:
        first.setdefault(s.protocol.value, s.host)
    assert (first["imap"], first["smtp"]) == (imap, smtp)


def test_quirks_from_facts(db: ProviderDB) -> None:
    for domain in ("163.com", "126.com", "yeah.net"):
        rec = db.by_domain(domain)
        assert rec is not None
        assert "imap-id-required" in [q.value for q in rec.quirks], domain
        assert "imap-id-required" in [q.value for q in db.config_for(domain).quirks], domain
    icloud = db.by_domain("icloud.com")
    assert icloud is not None
    assert next(s for s in icloud.servers if s.protocol.value == "imap").username == (
        "%EMAILLOCALPART%"
    )
    outlook = db.by_domain("outlook.com")
    assert outlook is not None
    assert all(s.auth == ("oauth2",) for s in outlook.servers)
    proton = db.by_domain("proton.me")
    assert proton is not None
    assert "bridge-only" in [q.value for q in proton.quirks]
    for domain in ("qq.com", "163.com", "gmail.com", "icloud.com"):
        rec = db.by_domain(domain)
        assert rec is not None
        assert rec.status is Status.PREPARATION, domain
        assert rec.steps, domain


def test_every_record_is_sourced_and_dated(db: ProviderDB) -> None:
    assert len(db) >= 50
    for rec in db.records:
        assert rec.sources, rec.id
        assert rec.last_verified.year >= 2024, rec.id
        if rec.confidence.value == "low":
            assert rec.confidence_note, f"{rec.id}: a low-confidence record must say why"
