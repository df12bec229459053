"""Domain names: normalisation and the registrable domain."""

from __future__ import annotations

import pytest

from app.errors import InvalidAddress
from app.hostnames import base_domain, normalize_domain, to_unicode


def test_base_domain_uses_the_public_suffix_list() -> None:
    assert base_domain("ASPMX.L.Google.com.") == "google.com"
    assert base_domain("mx1.mail.example.co.uk") == "example.co.uk"
    assert base_domain("com") is None


def test_normalize_domain_takes_unicode_punycode_case_and_a_trailing_dot() -> None:
    assert normalize_domain("例子.中国") == "xn--fsqu00a.xn--fiqs8s"
    assert normalize_domain("Mail.Example.COM.") == "mail.example.com"
    assert to_unicode("xn--fsqu00a.xn--fiqs8s") == "例子.中国"


@pytest.mark.parametrize("bad", ["", ".", "localhost", "a..b", "-a.com", "xn--zz.com"])
def test_normalize_domain_refuses_what_is_not_a_domain(bad: str) -> None:
    with pytest.raises(InvalidAddress):
        normalize_domain(bad)
