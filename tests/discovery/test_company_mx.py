"""Company domains known by their MX alone: a made-up domain under .test whose MX is a
hosted service's real MX host gets that service's servers from the provider data.

The local DNS server (tests/dnsmasq.py ``ZONE``) answers the MX; the MX host itself
needs no address record, because recognition compares host names only."""

from __future__ import annotations

import httpx
import pytest

from app.models import Protocol, Source
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.loader import load_records

# domain -> (provider id, first IMAP host, first SMTP host)
COMPANIES = {
    "acme-google.test": ("workspace.google.com", "imap.gmail.com", "smtp.gmail.com"),
    "acme-google-new.test": ("workspace.google.com", "imap.gmail.com", "smtp.gmail.com"),
    "acme-googlemail.test": ("workspace.google.com", "imap.gmail.com", "smtp.gmail.com"),
    "acme-m365.test": ("office365.com", "outlook.office365.com", "smtp.office365.com"),
    "acme-m365-new.test": ("office365.com", "outlook.office365.com", "smtp.office365.com"),
    "acme-21v.test": ("partner.outlook.cn", "partner.outlook.cn", "smtp.partner.outlook.cn"),
    "acme-usgov.test": ("office365.us", "outlook.office365.us", "outlook.office365.us"),
    "acme-exmail.test": ("exmail.qq.com", "imap.exmail.qq.com", "smtp.exmail.qq.com"),
    "acme-netease.test": ("qiye.163.com", "imap.qiye.163.com", "smtp.qiye.163.com"),
    "acme-netease-hz.test": ("qiye.163.com", "imap.qiye.163.com", "smtp.qiye.163.com"),
    "acme-aliyun.test": ("qiye.aliyun.com", "imap.qiye.aliyun.com", "smtp.qiye.aliyun.com"),
    "acme-hichina.test": ("qiye.aliyun.com", "imap.qiye.aliyun.com", "smtp.qiye.aliyun.com"),
    "acme-zoho.test": ("workplace.zoho.com", "imappro.zoho.com", "smtppro.zoho.com"),
    "acme-zoho-eu.test": ("workplace.zoho.eu", "imappro.zoho.eu", "smtppro.zoho.eu"),
    "acme-zoho-in.test": ("workplace.zoho.in", "imappro.zoho.in", "smtppro.zoho.in"),
    "acme-zoho-au.test": ("workplace.zoho.com.au", "imappro.zoho.com.au", "smtppro.zoho.com.au"),
    "acme-zoho-jp.test": ("workplace.zoho.jp", "imappro.zoho.jp", "smtppro.zoho.jp"),
    "acme-zoho-ca.test": ("workplace.zohocloud.ca", "imappro.zohocloud.ca", "smtppro.zohocloud.ca"),
    "acme-yandex.test": ("360.yandex.com", "imap.yandex.com", "smtp.yandex.com"),
    "acme-fastmail.test": ("fastmail.com", "imap.fastmail.com", "smtp.fastmail.com"),
    "acme-icloud.test": ("custom-domain.icloud.com", "imap.mail.me.com", "smtp.mail.me.com"),
    "acme-godaddy.test": ("secureserver.net", "imap.secureserver.net", "smtpout.secureserver.net"),
    "acme-godaddy-eu.test": (
        "secureserver.net",
        "imap.secureserver.net",
        "smtpout.secureserver.net",
    ),
    "acme-ionos.test": ("ionos.de", "imap.ionos.de", "smtp.ionos.de"),
    "acme-ionos-us.test": ("ionos.com", "imap.ionos.com", "smtp.ionos.com"),
    "acme-ionos-uk.test": ("ionos.co.uk", "imap.ionos.co.uk", "smtp.ionos.co.uk"),
    "acme-ovh.test": ("ovh.net", "ssl0.ovh.net", "ssl0.ovh.net"),
    "acme-namecheap.test": ("privateemail.com", "mail.privateemail.com", "mail.privateemail.com"),
    "acme-proton.test": ("proton.me", "127.0.0.1", "127.0.0.1"),
    "acme-yahoo.test": ("yahoo.com", "imap.mail.yahoo.com", "smtp.mail.yahoo.com"),
    "acme-aol.test": ("aol.com", "imap.aol.com", "smtp.aol.com"),
}


def first_host(config, protocol: Protocol) -> str:  # type: ignore[no-untyped-def]
    return next(e.host for e in config.endpoints if e.protocol is protocol)


@pytest.mark.parametrize(("domain", "expected"), COMPANIES.items(), ids=list(COMPANIES))
async def test_company_domain_gets_its_hosts_servers_by_mx(  # type: ignore[no-untyped-def]
    make_discoverer, domain: str, expected: tuple[str, str, str]
) -> None:
    provider, imap, smtp = expected
    result = await make_discoverer().discover(domain, f"someone@{domain}")
    assert result.config is not None, result.trace
    assert result.config.provider_id == provider
    assert result.config.source is Source.MX
    assert result.config.domain == domain
    assert {e.source for e in result.config.endpoints} == {Source.MX}
    assert first_host(result.config, Protocol.IMAP) == imap
    assert first_host(result.config, Protocol.SMTP) == smtp
    mx = [a for a in result.trace if a.source is Source.MX]
    assert any(f"belongs to {provider}" in a.detail for a in mx), mx


async def test_a_proton_company_domain_is_told_it_needs_bridge(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    result = await make_discoverer().discover("acme-proton.test", "someone@acme-proton.test")
    assert result.config is not None
    assert "bridge-only" in {q.value for q in result.config.quirks}
    assert result.config.status_reason is not None
    assert "Bridge" in result.config.status_reason.en
    assert all(e.host == "127.0.0.1" for e in result.config.endpoints)


async def test_the_21vianet_cloud_signs_in_at_its_own_endpoint(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    result = await make_discoverer().discover("acme-21v.test", None)
    assert result.config is not None
    assert result.config.oauth2 is not None
    assert result.config.oauth2.issuer == "login.partner.microsoftonline.cn"
    assert all(s.startswith("https://partner.outlook.cn/") for s in result.config.oauth2.scopes[:3])


async def test_lookup_api_answers_a_zoho_eu_company_with_the_eu_servers(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/v1/lookup", params={"email": "someone@acme-zoho-eu.test"})
    assert r.status_code == 200
    body = r.json()
    assert (body["provider"], body["source"]) == ("workplace.zoho.eu", "mx")
    hosts = [e["host"] for e in body["endpoints"]]
    assert hosts[0] == "imappro.zoho.eu"
    assert not any(h.endswith(".zoho.com") for h in hosts)


# --- the catalogue's MX patterns --------------------------------------------------

RECORDS = load_records(DATA_DIR).records


def test_every_mx_pattern_belongs_to_exactly_one_file() -> None:
    owners: dict[str, list[str]] = {}
    for record in RECORDS:
        for pattern in record.mx:
            owners.setdefault(pattern, []).append(record.id)
    claimed_twice = {p: ids for p, ids in owners.items() if len(ids) > 1}
    assert not claimed_twice
    assert len(owners) >= 50


def test_no_exact_mx_name_is_shadowed_by_a_suffix_of_the_same_file() -> None:
    """An exact name under a file's own suffix pattern would be dead weight."""
    for record in RECORDS:
        suffixes = [p[2:] for p in record.mx if p.startswith("*.")]
        for pattern in record.mx:
            if not pattern.startswith("*."):
                assert not any(pattern.endswith("." + s) for s in suffixes), (record.id, pattern)


@pytest.mark.parametrize(
    ("mx_host", "provider"),
    [
        ("aspmx.l.google.com", "workspace.google.com"),
        ("alt3.aspmx.l.google.com", "workspace.google.com"),
        ("smtp.google.com", "workspace.google.com"),
        ("aspmx5.googlemail.com", "workspace.google.com"),
        ("contoso-com.mail.protection.outlook.com", "office365.com"),
        ("contoso-com.a1b2c3.mx.microsoft", "office365.com"),
        ("outlook-com.olc.protection.outlook.com", "outlook.com"),
        ("contoso-com.mail.protection.partner.outlook.cn", "partner.outlook.cn"),
        ("contoso.mail.protection.office365.us", "office365.us"),
        ("mxbiz2.qq.com", "exmail.qq.com"),
        ("mx1.qq.com", "qq.com"),
        ("qiye163mx02.mxmail.netease.com", "qiye.163.com"),
        ("hzmx02.mxmail.netease.com", "qiye.163.com"),
        ("mxw.mxhichina.com", "qiye.aliyun.com"),
        ("mx3.qiye.aliyun.com", "qiye.aliyun.com"),
        ("mx3.zoho.com", "workplace.zoho.com"),
        ("mx2.zoho.eu", "workplace.zoho.eu"),
        ("mx3.zoho.in", "workplace.zoho.in"),
        ("mx.zoho.com.au", "workplace.zoho.com.au"),
        ("mx2.zoho.jp", "workplace.zoho.jp"),
        ("mx3.zohocloud.ca", "workplace.zohocloud.ca"),
        ("mx.yandex.net", "360.yandex.com"),
        ("in2-smtp.messagingengine.com", "fastmail.com"),
        ("mx02.mail.icloud.com", "custom-domain.icloud.com"),
        ("mailstore1.secureserver.net", "secureserver.net"),
        ("smtp.asia.secureserver.net", "secureserver.net"),
        ("mx01.ionos.de", "ionos.de"),
        ("mx01.ionos.com", "ionos.com"),
        ("mx01.ionos.co.uk", "ionos.co.uk"),
        ("mx4.mail.ovh.net", "ovh.net"),
        ("mx2.privateemail.com", "privateemail.com"),
        ("mailsec.protonmail.ch", "proton.me"),
        ("mta5.am0.yahoodns.net", "yahoo.com"),
        ("mx-eu.mail.gm0.yahoodns.net", "yahoo.com"),
        # AOL's exact name wins over Yahoo's suffix: exact names are matched first.
        ("mx-aol.mail.gm0.yahoodns.net", "aol.com"),
        ("MX-AOL.mail.gm0.YahooDNS.net.", "aol.com"),
    ],
)
def test_well_known_mx_hosts_map_to_their_records(
    db: ProviderDB, mx_host: str, provider: str
) -> None:
    record = db.by_mx(mx_host)
    assert record is not None, mx_host
    assert record.id == provider


@pytest.mark.parametrize(
    "mx_host",
    [
        "163mx01.mxmail.netease.com",  # personal NetEase mail: not the enterprise service
        "mail.protection.outlook.com",  # the bare suffix is no tenant's MX
        "mx.example.test",
    ],
)
def test_other_mx_hosts_are_not_claimed(db: ProviderDB, mx_host: str) -> None:
    assert db.by_mx(mx_host) is None
