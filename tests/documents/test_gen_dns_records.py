"""DNS records for domain owners, the zone rendering, and the pure comparison."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.documents.dns_records import (
    CheckStatus,
    DnsRecord,
    Lookup,
    compare,
    pointer_records,
    public_host,
    records_for,
    render_zone,
    service_records,
)
from app.errors import InvalidAddress
from app.providers.db import ProviderDB
from tests.documents.synthetic import POP_ONLY, STARTTLS_ONLY

PUBLIC = "https://mailsetup.example.net"


def table(records: list[DnsRecord]) -> list[tuple[str, str, str]]:
    return [(r.name, r.type, r.value) for r in records]


def test_qq_records(db: ProviderDB) -> None:
    records = records_for("Example.COM.", db.config_for("qq.com"), PUBLIC + "/")
    assert table(records) == [
        ("autoconfig.example.com", "CNAME", "mailsetup.example.net."),
        ("_imaps._tcp.example.com", "SRV", "0 0 993 imap.qq.com."),
        ("_imap._tcp.example.com", "SRV", "0 0 0 ."),
        ("_pop3s._tcp.example.com", "SRV", "0 0 995 pop.qq.com."),
        ("_pop3._tcp.example.com", "SRV", "0 0 0 ."),
        ("_submissions._tcp.example.com", "SRV", "0 0 465 smtp.qq.com."),
        ("_submission._tcp.example.com", "SRV", "0 0 587 smtp.qq.com."),
        ("_autodiscover._tcp.example.com", "SRV", "0 0 443 mailsetup.example.net."),
    ]
    imaps = records[1]
    assert (imaps.priority, imaps.weight, imaps.port, imaps.target) == (0, 0, 993, "imap.qq.com.")
    assert all(r.purpose for r in records)
    assert records[0].priority is None


def test_several_endpoints_of_one_service_get_rising_priorities(db: ProviderDB) -> None:
    records = records_for("example.com", db.config_for("163.com"), PUBLIC)
    submissions = [r for r in records if r.name.startswith("_submissions.")]
    assert [(r.priority, r.port) for r in submissions] == [(0, 465), (1, 994)]


def test_pop_only() -> None:
    records = {r.name.split(".")[0]: r for r in records_for("popmail.test", POP_ONLY, PUBLIC)}
    assert records["_imaps"].target == records["_imap"].target == "."
    assert records["_pop3s"].value == "0 0 995 pop.popmail.test."
    assert records["_submissions"].value == "0 0 465 smtp.popmail.test."
    assert records["_submission"].value == "0 0 0 ."


def test_starttls_only() -> None:
    records = {r.name.split(".")[0]: r for r in records_for("starttls.test", STARTTLS_ONLY, PUBLIC)}
    assert records["_imaps"].value == "0 0 0 ."
    assert records["_imap"].value == "0 0 143 mail.starttls.test."
    assert records["_pop3"].value == "0 0 110 mail.starttls.test."
    assert records["_submissions"].value == "0 0 0 ."
    assert records["_submission"].value == "0 0 587 mail.starttls.test."


def test_public_url_with_port() -> None:
    records = records_for("starttls.test", STARTTLS_ONLY, "https://mx.example.net:8443/base")
    assert records[-1].value == "0 0 8443 mx.example.net."
    assert records[0].value == "mx.example.net."


@pytest.mark.parametrize(
    ("url", "rtype", "value"),
    [
        ("http://93.184.215.14:8000", "A", "93.184.215.14"),
        ("https://[2606:4700:4700::1111]", "AAAA", "2606:4700:4700::1111"),
    ],
)
def test_public_url_is_an_ip(url: str, rtype: str, value: str) -> None:
    records = records_for("popmail.test", POP_ONLY, url)
    assert (records[0].name, records[0].type, records[0].value) == (
        "autoconfig.popmail.test",
        rtype,
        value,
    )
    assert not any(r.name.startswith("_autodiscover.") for r in records)  # SRV needs a name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
        "http://[::ffff:127.0.0.1]",
        "http://10.1.2.3",
        "http://192.168.1.20",
        "http://172.16.0.5",
        "http://169.254.10.1",
        "http://[fe80::1]",
        "http://[fd00::1]",
        "http://192.0.2.10",  # documentation addresses are no one's either
        "http://localhost:8000",
        "http://LOCALHOST.",
        "http://app.localhost",
        "http://printer.local",
        "http://mailsetup",  # a single label resolves on a local network only
        "http://box.home.arpa",
    ],
)
def test_no_record_points_at_a_host_the_internet_cannot_reach(url: str) -> None:
    assert public_host(url) is None
    assert pointer_records("popmail.test", url) == []
    records = records_for("popmail.test", POP_ONLY, url)
    assert {r.name.split(".")[0] for r in records} == {
        "_imaps",
        "_imap",
        "_pop3s",
        "_pop3",
        "_submissions",
        "_submission",
    }
    host = (urlsplit(url).hostname or "").rstrip(".")
    assert host
    assert not any(host in r.value.lower() for r in records)


def test_a_public_name_is_pointed_at() -> None:
    assert public_host("https://Mail-Setup.Example.NET.:8443/x") == "mail-setup.example.net"
    assert table(pointer_records("Popmail.TEST", PUBLIC)) == [
        ("autoconfig.popmail.test", "CNAME", "mailsetup.example.net."),
        ("_autodiscover._tcp.popmail.test", "SRV", "0 0 443 mailsetup.example.net."),
    ]
    assert records_for("popmail.test", POP_ONLY, PUBLIC)[1:-1] == service_records(
        "popmail.test", POP_ONLY.endpoints
    )


def test_idn_domain_and_bad_input() -> None:
    records = records_for("例子.中国", POP_ONLY, PUBLIC)
    assert records[0].name == "autoconfig.xn--fsqu00a.xn--fiqs8s"
    with pytest.raises(ValueError, match="no host"):
        records_for("popmail.test", POP_ONLY, "not a url")
    with pytest.raises(InvalidAddress):
        records_for("nodot", POP_ONLY, PUBLIC)


def test_render_zone(db: ProviderDB) -> None:
    records = records_for("example.com", db.config_for("qq.com"), PUBLIC)
    zone = render_zone(records, ttl=300)
    lines = zone.splitlines()
    assert zone.endswith("\n")
    assert len(lines) == 2 * len(records)
    for comment, line, record in zip(lines[::2], lines[1::2], records, strict=True):
        assert comment == f"; {record.purpose}"
        name, ttl, klass, rtype, value = line.split("\t")
        assert (name, ttl, klass, rtype, value) == (
            record.name + ".",
            "300",
            "IN",
            record.type,
            record.value,
        )
    assert "_imap._tcp.example.com.\t300\tIN\tSRV\t0 0 0 ." in lines


def test_compare(db: ProviderDB) -> None:
    expected = records_for("example.com", db.config_for("qq.com"), PUBLIC)
    found = {
        ("AUTOCONFIG.example.com.", "cname"): ["MailSetup.Example.NET."],
        ("_imaps._tcp.example.com", "SRV"): ["0  0 993 IMAP.qq.com."],
        ("_imap._tcp.example.com", "SRV"): ["0 0 0 ."],
        ("_pop3s._tcp.example.com", "SRV"): ["0 0 110 pop.qq.com."],
        ("_submissions._tcp.example.com", "SRV"): ["10 5 465 smtp.qq.com", "0 0 465 smtp.qq.com"],
        ("_submission._tcp.example.com", "SRV"): [],
    }
    checks = {c.expected.name: c for c in compare(expected, found)}
    assert checks["autoconfig.example.com"].status is CheckStatus.PRESENT
    assert checks["_imaps._tcp.example.com"].status is CheckStatus.PRESENT
    assert checks["_imap._tcp.example.com"].status is CheckStatus.PRESENT
    assert checks["_pop3s._tcp.example.com"].status is CheckStatus.DIFFERENT
    assert checks["_pop3s._tcp.example.com"].found == ("0 0 110 pop.qq.com.",)
    assert checks["_submissions._tcp.example.com"].status is CheckStatus.PRESENT
    assert checks["_submission._tcp.example.com"].status is CheckStatus.MISSING
    assert checks["_pop3._tcp.example.com"].status is CheckStatus.MISSING
    assert checks["_autodiscover._tcp.example.com"].status is CheckStatus.MISSING
    assert len(checks) == len(expected)


@pytest.mark.parametrize(
    ("expected", "found", "status"),
    [
        (
            DnsRecord("a.test", "AAAA", "2001:db8::1", "p"),
            ["2001:0db8:0:0::1"],
            CheckStatus.PRESENT,
        ),
        (DnsRecord("a.test", "A", "192.0.2.1", "p"), ["192.0.2.2"], CheckStatus.DIFFERENT),
        (DnsRecord("a.test", "CNAME", "x.test.", "p"), ["y.test."], CheckStatus.DIFFERENT),
        (DnsRecord("a.test", "SRV", "0 0 0 .", "p"), ["0 0 993 imap.test."], CheckStatus.DIFFERENT),
        (DnsRecord("a.test", "SRV", "0 0 0 .", "p"), ["0 0 1 ."], CheckStatus.PRESENT),
        (DnsRecord("a.test", "SRV", "0 0 993 imap.test.", "p"), ["garbage"], CheckStatus.DIFFERENT),
    ],
)
def test_compare_values(expected: DnsRecord, found: list[str], status: CheckStatus) -> None:
    (check,) = compare([expected], {("a.test", expected.type): found})
    assert check.status is status


def test_compare_has_four_states() -> None:
    """A failed lookup is "unchecked", never "missing": it says nothing about the record."""
    imaps = DnsRecord("_imaps._tcp.x.test", "SRV", "0 0 993 mail.x.test.", "p")
    pop3s = DnsRecord("_pop3s._tcp.x.test", "SRV", "0 0 995 mail.x.test.", "p")
    smtp = DnsRecord("_submissions._tcp.x.test", "SRV", "0 0 465 mail.x.test.", "p")
    cname = DnsRecord("autoconfig.x.test", "CNAME", "mailsetup.example.net.", "p")
    found = {
        ("_imaps._tcp.x.test", "SRV"): Lookup(("0 0 993 mail.x.test.",)),
        ("_pop3s._tcp.x.test", "SRV"): Lookup(),  # NXDOMAIN or no data
        ("_submissions._tcp.x.test", "SRV"): Lookup(("0 0 587 smtp.other.test.",)),
        ("autoconfig.x.test", "CNAME"): Lookup(failed=True, detail="no DNS answer within 1 s"),
    }
    checks = {c.expected.name: c for c in compare([imaps, pop3s, smtp, cname], found)}
    assert checks[imaps.name].status is CheckStatus.PRESENT
    assert checks[pop3s.name].status is CheckStatus.MISSING
    assert checks[pop3s.name].found == ()
    assert checks[smtp.name].status is CheckStatus.DIFFERENT
    assert checks[smtp.name].found == ("0 0 587 smtp.other.test.",)
    assert checks[cname.name].status is CheckStatus.UNCHECKED
    assert checks[cname.name].detail == "no DNS answer within 1 s"
    assert checks[cname.name].found == ()
    assert {c.status for c in checks.values()} == set(CheckStatus)


def test_a_record_never_looked_up_is_missing_and_plain_values_still_work() -> None:
    record = DnsRecord("a.test", "A", "192.0.2.1", "p")
    (check,) = compare([record], {})
    assert check.status is CheckStatus.MISSING
    (check,) = compare([record], {("A.TEST.", "a"): ["192.0.2.1"]})
    assert check.status is CheckStatus.PRESENT
