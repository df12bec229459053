"""The 简体中文 and 繁體中文 catalogs: complete, placeholders intact, the right script."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from app.translations import load_catalog, po_path, read_catalog
from app.web.http.i18n import translations

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_Hans", "zh_Hant")

# Names and protocol terms that are the same in Chinese, and a pattern that changes
# only its brackets (full-width in Chinese).
SAME_IN_CHINESE = {
    "SSL/TLS", "STARTTLS", "OAuth2", "NTLM", "Kerberos / GSSAPI", "Thunderbird", "Foxmail", "API",
    "Outlook", "EHLO", "{text} ({path})",
}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters that exist in only one of the two scripts (a sample of common ones).
SIMPLIFIED_ONLY = (
    "设这为们个发载时过务码邮连录应证认验选择项请开关删术从网络页数据库单击"
    "输显还没动态权类协议总让装档"
)
TRADITIONAL_ONLY = (
    "設這為們個發載時過務碼郵連錄應證認驗選擇項請開關刪術從網絡頁數據庫單擊"
    "輸顯還沒動態權類協議總讓裝檔"
)
# Mainland terms that Taiwan says differently (伺服器, 用戶端, 設定, 軟體, 資料夾, 預設, 登入 …).
NOT_TAIWAN = ("服務器", "客戶端", "設置", "軟件", "文件夾", "默認", "信息", "登錄", "鏈接", "賬")
# Foxmail's own (Simplified) labels, quoted with a Traditional gloss: 「账号管理」（帳號管理）.
QUOTED_LABEL = re.compile(r"「[^」「]*[\u4e00-\u9fff][^」「]*」（[^）「]*）")


def placeholders(text: str) -> set[str]:
    """``{name}`` fields and ``%(name)s`` specs in ``text``."""
    fields = {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name}
    return fields | set(re.findall(r"%\(\w+\)[sd]", text))


def stray_percent(text: str) -> bool:
    """A ``%`` that Jinja's %-formatting of every UI string would choke on."""
    return "%" in re.sub(r"%\(\w+\)[sd]|%%", "", text)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every UI string in the source, extracted as the catalog instructions say."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract"]
    subprocess.run(
        [*command, "-F", "pyproject.toml", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fp:
        return read_po(fp)


def _translated(catalog: Catalog) -> dict[str, str]:
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_every_ui_string_is_translated(extracted: Catalog, locale: str) -> None:
    wanted = {str(m.id) for m in extracted if m.id}
    assert len(wanted) > 300
    done = _translated(read_catalog(locale))
    assert sorted(wanted - set(done)) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogs_hold_no_stale_strings(extracted: Catalog, locale: str) -> None:
    wanted = {str(m.id) for m in extracted if m.id}
    held = {str(m.id) for m in read_catalog(locale) if m.id}
    assert sorted(held - wanted) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    for msgid, msgstr in _translated(read_catalog(locale)).items():
        assert placeholders(msgstr) == placeholders(msgid), (locale, msgid, msgstr)
        assert not stray_percent(msgstr), (locale, msgstr)


def test_placeholder_check_sees_a_lost_or_renamed_placeholder() -> None:
    assert placeholders("Set up {address} in {client}") == {"{address}", "{client}"}
    assert placeholders("在 {client} 中设置 {adress}") != {"{address}", "{client}"}
    assert placeholders("共 %(n)s 次") == {"%(n)s"}
    assert placeholders("共 n 次") != placeholders("%(n)s attempts")
    assert stray_percent("100% 完成")
    assert not stray_percent("%(n)s 次，100%%")


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_are_in_chinese(locale: str) -> None:
    for msgid, msgstr in _translated(read_catalog(locale)).items():
        if msgid not in SAME_IN_CHINESE:
            assert CJK.search(msgstr), (locale, msgid, msgstr)


def test_each_catalog_uses_its_own_script() -> None:
    for msgstr in _translated(read_catalog("zh_Hans")).values():
        assert not set(msgstr) & set(TRADITIONAL_ONLY), msgstr
    for msgstr in _translated(read_catalog("zh_Hant")).values():
        own = QUOTED_LABEL.sub("", msgstr)
        assert not set(own) & set(SIMPLIFIED_ONLY), msgstr
        assert not [term for term in NOT_TAIWAN if term in own], msgstr
        assert not re.search(r"應用(?!程式)", own), msgstr


def test_translations_returns_the_compiled_catalogs() -> None:
    assert translations("zh-Hans").gettext("Server settings") == "服务器设置"
    assert translations("zh-Hant").gettext("Server settings") == "伺服器設定"
    assert translations("en").gettext("Server settings") == "Server settings"
    assert translations("fr").gettext("Server settings") == "Server settings"
    assert translations("zh-Hans") is load_catalog("zh_Hans")  # compiled once


def test_no_compiled_catalogs_are_kept() -> None:
    folder = po_path("zh_Hans").parents[2]
    assert sorted(p.name for p in folder.rglob("*.mo")) == []
    assert all(po_path(locale).is_file() for locale in LOCALES)
