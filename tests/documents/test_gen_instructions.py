"""Client guides: every client for every provider, the user's own values, OAuth2-only wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from app.documents import client_texts, instructions
from app.documents.instructions import CLIENTS, Guide, build_guide
from app.errors import MailsetupError
from app.models import AccountConfig, EmailAddress
from app.providers.db import ProviderDB
from tests.documents.synthetic import LOCALPART, POP_ONLY, STARTTLS_ONLY, SYNTHETIC, address_for

REQUIRED_CLIENTS = {
    "thunderbird",
    "outlook",
    "new-outlook",
    "apple-mail",
    "ios",
    "gmail-android",
    "thunderbird-android",
    "foxmail",
}


def text(guide: Guide) -> str:
    return "\n".join((guide.title, *guide.steps, *guide.mistakes))


def configs(db: ProviderDB) -> list[AccountConfig]:
    out = list(SYNTHETIC.values())
    for record in db.records:
        if record.status.has_servers and record.domains:
            out.append(db.config_for(record.domains[0]))
    return out


def test_required_clients_exist() -> None:
    assert set(CLIENTS) >= REQUIRED_CLIENTS
    assert all(CLIENTS.values())


def test_every_client_for_every_provider(db: ProviderDB) -> None:
    for config in configs(db):
        address = address_for(config, "pat.lee")
        for client_id in CLIENTS:
            guide = build_guide(config, address, client_id)
            body = text(guide)
            assert guide.client_id == client_id
            assert "pat.lee@" + config.domain in guide.title
            for endpoint in (guide.incoming, guide.outgoing):
                assert endpoint.host in body, (config.domain, client_id, endpoint.host)
                assert str(endpoint.port) in body, (config.domain, client_id, endpoint.port)
            assert guide.steps
            assert guide.mistakes
            assert not {"{", "}"} & set(body)  # every placeholder was filled
            if not guide.oauth2_only:
                assert address.fill(guide.incoming.username) in body


def test_chosen_servers(db: ProviderDB) -> None:
    qq = build_guide(db.config_for("qq.com"), EmailAddress.parse("a@qq.com"), "thunderbird")
    assert (qq.incoming.host, qq.incoming.port) == ("imap.qq.com", 993)
    assert (qq.outgoing.host, qq.outgoing.port) == ("smtp.qq.com", 465)
    pop = build_guide(POP_ONLY, address_for(POP_ONLY), "thunderbird")
    assert pop.incoming.host == "pop.popmail.test"


@pytest.mark.parametrize("client_id", ["foxmail", "ios"])
def test_qq_guides_need_the_authorization_code(db: ProviderDB, client_id: str) -> None:
    config = db.config_for("qq.com")
    guide = build_guide(config, EmailAddress.parse("10001@qq.com"), client_id)
    assert any("authorization code" in s.text for s in guide.before)
    assert all(s.url == "https://mail.qq.com/" for s in guide.before)
    assert any("授权码" in step for step in guide.steps)
    assert any("web" in m and "授权码" in m for m in guide.mistakes)
    assert "your mail password" not in text(guide)
    zh = build_guide(config, EmailAddress.parse("10001@qq.com"), client_id, "zh-Hans")
    assert any("授权码" in s.text for s in zh.before)
    assert any(s.path and s.path.startswith("设置") for s in zh.before)
    tw = build_guide(config, EmailAddress.parse("10001@qq.com"), client_id, "zh-Hant")
    assert any("授權碼" in s.text for s in tw.before)


def test_foxmail_uses_its_own_words(db: ProviderDB) -> None:
    guide = build_guide(db.config_for("qq.com"), EmailAddress.parse("a@qq.com"), "foxmail")
    body = text(guide)
    for words in ("手动设置", "Manual setup", "imap.qq.com", "tick “SSL”"):
        assert words in body


def test_163_notes_and_steps(db: ProviderDB) -> None:
    guide = build_guide(db.config_for("163.com"), EmailAddress.parse("a@163.com"), "thunderbird")
    assert any("ID command" in n for n in guide.notes)
    assert "“Hostname” imap.163.com, “Port” 993, “Connection security” SSL/TLS" in text(guide)


def test_outlook_spa_and_thunderbird_autodetect(db: ProviderDB) -> None:
    address = EmailAddress.parse("a@163.com")
    outlook = text(build_guide(db.config_for("163.com"), address, "outlook"))
    assert "Let me set up my account manually" in outlook
    assert "Secure Password Authentication (SPA)" in outlook
    tb = build_guide(db.config_for("163.com"), address, "thunderbird")
    assert "Configure manually" in text(tb)
    assert any("Autodetect" in m for m in tb.mistakes)


@pytest.mark.parametrize("client_id", sorted(REQUIRED_CLIENTS))
def test_outlook_com_is_oauth2_only(db: ProviderDB, client_id: str) -> None:
    config = db.config_for("outlook.com")
    guide = build_guide(config, EmailAddress.parse("sam@hotmail.com"), client_id)
    body = text(guide)
    assert guide.oauth2_only
    assert "accepts only OAuth2" in guide.steps[0]
    assert "your mail password" not in body
    assert "app password you" not in body
    assert not re.search(r"“Password” (?!empty)", body)  # no password field is filled in
    assert "outlook.office365.com, port 993" in body


def test_gmail_offers_app_password_and_oauth2(db: ProviderDB) -> None:
    guide = build_guide(db.config_for("gmail.com"), EmailAddress.parse("a@gmail.com"), "outlook")
    body = text(guide)
    assert not guide.oauth2_only
    assert "the app password" in body
    assert "also offers OAuth2" in body


def test_icloud_ios(db: ProviderDB) -> None:
    address = EmailAddress.parse("emily@icloud.com")
    guide = build_guide(db.config_for("icloud.com"), address, "ios")
    body = text(guide)
    assert "Settings” → “Apps” → “Mail” → “Mail Accounts” → “Add Account” → “Other”" in body
    assert "“Host Name” imap.mail.me.com, “User Name” emily," in body
    assert "“Use SSL” on, “Authentication” Password, “Server Port” 587" in body
    assert any("“Use SSL” off for port 587" in m for m in guide.mistakes)
    assert any("logs in with emily (sending: emily@icloud.com)" in m for m in guide.mistakes)


def test_pop_only_wording() -> None:
    address = address_for(POP_ONLY)
    assert "“POP” tab" in text(build_guide(POP_ONLY, address, "ios"))
    assert "“Personal (POP3)”" in text(build_guide(POP_ONLY, address, "gmail-android"))
    for client_id in ("outlook", "gmail-android", "thunderbird-android"):
        guide = build_guide(POP_ONLY, address, client_id)
        assert any("POP" in m and "server" in m for m in guide.mistakes), client_id


def test_starttls_only_wording() -> None:
    address = address_for(STARTTLS_ONLY)
    tb = build_guide(STARTTLS_ONLY, address, "thunderbird")
    assert "“Port” 143, “Connection security” STARTTLS" in text(tb)
    assert any("“SSL/TLS” for port 143" in m for m in tb.mistakes)
    fox = text(build_guide(STARTTLS_ONLY, address, "foxmail"))
    assert "leave “SSL” unticked and tick" in fox
    mac = build_guide(STARTTLS_ONLY, address, "apple-mail")
    assert "“Use TLS/SSL” ticked" in text(mac)


def test_localpart_wording() -> None:
    guide = build_guide(LOCALPART, address_for(LOCALPART), "thunderbird")
    assert "“Username” alice.smith." in text(guide)
    assert any("logs in with alice.smith" in m for m in guide.mistakes)


def test_every_ui_string_goes_through_gettext(db: ProviderDB) -> None:
    def mark(message: str) -> str:
        return "⟦" + message

    for config in (db.config_for("qq.com"), db.config_for("outlook.com"), POP_ONLY):
        for client_id in CLIENTS:
            guide = build_guide(config, address_for(config), client_id, gettext=mark)
            for line in (guide.title, guide.client, *guide.steps, *guide.mistakes):
                assert line.startswith("⟦"), line


def test_strings_are_extracted_by_babel() -> None:
    path = Path(client_texts.__file__)
    ids = {m[1] for m in extract_from_file("python", str(path))}
    texts = client_texts.CLIENT_TEXTS.values()
    templates = {t for client in texts for t in (*client.steps, *client.mistakes)}
    templates |= {c.oauth for c in texts} | {c.finish for c in texts}
    templates |= set(CLIENTS.values()) | {client_texts.WRONG_PASSWORD, client_texts.USE_SECRET}
    assert templates - ids == set()


def test_each_client_finishes_with_its_guides_last_button() -> None:
    """What to do once a test passes: the buttons the guide's own steps name last."""
    for client_id, client in client_texts.CLIENT_TEXTS.items():
        assert client.finish.startswith("Go back to "), client_id
        quoted = re.findall(r"“[^”]+”", client.finish)
        assert quoted, client_id
        ends = [re.findall(r"“[^”]+”", step)[-len(quoted) :] for step in client.steps]
        assert quoted in ends, (client_id, quoted)


def test_unknown_client() -> None:
    with pytest.raises(instructions.UnknownClient, match="thunderbird") as info:
        build_guide(POP_ONLY, address_for(POP_ONLY), "pine")
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, MailsetupError)


def test_retired_provider_has_no_guide(db: ProviderDB) -> None:
    with pytest.raises(instructions.GuideUnavailable):
        build_guide(db.config_for("yahoo.com.cn"), EmailAddress.parse("a@yahoo.com.cn"), "ios")


def test_hints_in_the_requested_language(db: ProviderDB) -> None:
    config = db.config_for("qq.com")
    guide = build_guide(config, EmailAddress.parse("a@qq.com"), "thunderbird", "zh-Hant")
    assert guide.after == tuple(h.zh_hant for h in config.hints.after)
    assert guide.notes[: len(config.hints.before)] == tuple(h.zh_hant for h in config.hints.before)


def test_thunderbird_says_it_finds_the_settings_itself(db: ProviderDB) -> None:
    """No autoconfig file to download: the guide says Thunderbird looks the settings up."""
    config = db.config_for("qq.com")
    address = EmailAddress.parse("pat@qq.com")
    guide = build_guide(config, address, "thunderbird", gettext=lambda t: "«" + t)
    assert guide.intro == "«" + client_texts.THUNDERBIRD_FINDS
    assert "looks these settings up by itself" in guide.intro
    others = [build_guide(config, address, c) for c in CLIENTS if c != "thunderbird"]
    assert [g.intro for g in others] == [""] * len(others)
