"""Chinese pages show no English sentences outside what is marked as English or code."""

from __future__ import annotations

import httpx
import pytest

from app.paths import DATA_DIR
from app.providers.loader import load_records
from tests.web.english import english_runs

PAGES = (
    "/setup?email=someone@163.com",
    "/setup?email=someone@qq.com",
    "/setup?email=me@srvonly.test",  # found through SRV records on the local DNS server
    "/setup?email=me@does-not-exist.test",  # NXDOMAIN: the unknown page with its trace
    "/setup?email=me@unknown-company.example",
    "/providers",
    "/providers/163.com",
    "/providers/qq.com",
    "/domains?domain=qq.com",
    "/learn",
)


def test_the_helper_flags_english_and_skips_what_it_should() -> None:
    page = (
        "<body><p>请使用 IMAP 和 SMTP 连接 imap.163.com:993，mail me@163.com</p>"
        '<p lang="en">The original title <b>stays</b></p><code>no SRV records</code>'
        "<p>会收到“NO LOGIN Login error or password error”</p>"
        "<p>结果：Name or service not known</p></body>"
    )
    assert english_runs(page) == ["Name or service not known"]
    assert english_runs("<body><p>Incoming mail (IMAP) settings</p></body>")


async def test_the_trace_says_what_failed_and_keeps_the_raw_text_aside(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/setup?email=me@does-not-exist.test")
    assert "<td>MX records</td>" in r.text
    assert "the name does not exist in DNS" in r.text
    assert '<code lang="en">does-not-exist.test does not exist</code>' in r.text


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("page", PAGES)
async def test_chinese_pages_have_no_english_sentences(
    client: httpx.AsyncClient, lang: str, page: str
) -> None:
    r = await client.get(page, headers={"Accept-Language": lang})
    assert f'<html lang="{lang}">' in r.text
    assert english_runs(r.text) == []


PROVIDER_IDS = [r.id for r in load_records(DATA_DIR).records]


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
async def test_no_provider_page_has_english_sentences(client: httpx.AsyncClient, lang: str) -> None:
    """Every provider's page: its notes, confidence note and source notes in Chinese; only
    the sources' own titles may stay in their language, marked with lang."""
    found = {}
    for provider in PROVIDER_IDS:
        r = await client.get(f"/providers/{provider}", headers={"Accept-Language": lang})
        assert r.status_code == 200, provider
        if runs := english_runs(r.text):
            found[provider] = runs
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
