"""Address parsing and username templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import InvalidAddress
from app.models import EmailAddress, Localized, check_username_template


@pytest.mark.parametrize(
    ("text", "local", "domain"),
    [
        ("someone@QQ.com", "someone", "qq.com"),
        (" first.last+tag@Example.ORG. ", "first.last+tag", "example.org"),
        ("用户@例子.中国", "用户", "xn--fsqu00a.xn--fiqs8s"),
        ("user@xn--fsqu00a.xn--fiqs8s", "user", "xn--fsqu00a.xn--fiqs8s"),
    ],
)
def test_parse(text: str, local: str, domain: str) -> None:
    address = EmailAddress.parse(text)
    assert (address.local, address.domain) == (local, domain)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "has no @"),
        ("someone", "has no @"),
        ("someone@localhost", "no dot"),
        ("a..b@qq.com", "two periods"),
        (".a@qq.com", "cannot start with a period"),
        ("a b@qq.com", "invalid characters"),
        ("x@exa_mple.com", "not a valid domain name"),
        ("x" * 65 + "@qq.com", "too long"),
        ("x@" + "a" * 400, "at most 320"),
    ],
)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidAddress, match=reason):
        EmailAddress.parse(text)


@given(st.text(max_size=80))
def test_parse_never_fails_unexpectedly(text: str) -> None:
    try:
        address = EmailAddress.parse(text)
    except InvalidAddress:
        return
    assert address.domain == address.domain.lower()
    assert "@" not in address.domain


def test_fill() -> None:
    address = EmailAddress.parse("Someone@qq.com")
    assert address.fill("%EMAILLOCALPART%+x@%EMAILDOMAIN%") == "Someone+x@qq.com"
    assert address.fill("%EMAILADDRESS%") == "Someone@qq.com"


def test_username_template_rules() -> None:
    assert check_username_template("address") == "%EMAILADDRESS%"
    assert check_username_template("localpart") == "%EMAILLOCALPART%"
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_username_template("%EMAILUSER%")


def test_localized_get() -> None:
    text = Localized(en="Mail", **{"zh-Hans": "邮件", "zh-Hant": "郵件"})
    assert [text.get(t) for t in ("en", "zh-CN", "zh-Hans", "zh-TW", "zh-Hant-HK", "fr")] == [
        "Mail",
        "邮件",
        "邮件",
        "郵件",
        "郵件",
        "Mail",
    ]


def test_port_settings_read_ports_and_ranges() -> None:
    from app.settings import Settings, parse_ports

    assert parse_ports("10110, 10143,20000-20002,") == {10110, 10143, 20000, 20001, 20002}
    assert parse_ports("") == frozenset()
    for bad in ("0", "70000", "20-10", "x", "1-2-3", "-5"):
        with pytest.raises(ValueError, match="not"):
            parse_ports(bad)
    assert Settings(probe_allow_ports="587-588").probe_allow_ports == {587, 588}
    assert Settings().discovery_allow_ports == frozenset()


def test_public_url_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset or empty means each request's own origin; a value must be an http(s) URL
    with a host, and loses its trailing slash."""
    from pydantic import ValidationError

    from app.settings import Settings

    monkeypatch.delenv("MAILSETUP_PUBLIC_URL", raising=False)
    assert Settings().public_url is None
    assert Settings(public_url="").public_url is None
    monkeypatch.setenv("MAILSETUP_PUBLIC_URL", " ")
    assert Settings().public_url is None
    monkeypatch.setenv("MAILSETUP_PUBLIC_URL", "https://mail-setup.example.com/")
    assert Settings().public_url == "https://mail-setup.example.com"
    for bad in ("mail-setup.example.com", "ftp://x.example", "https://", "https:///path"):
        with pytest.raises(ValidationError):
            Settings(public_url=bad)
