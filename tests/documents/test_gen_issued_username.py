"""Every document for a provider that issues the login name (docomo): no address is
passed off as the user name; the provider's text says what to type where a format can."""

from __future__ import annotations

import plistlib
import tomllib
from typing import Any

import pytest
from defusedxml import ElementTree

from app.documents import autodiscover as ad
from app.documents import mobileconfig as mc
from app.documents.client_texts import WRONG_USERNAME
from app.documents.instructions import CLIENTS, build_guide
from app.documents.mozilla import render_autoconfig
from app.models import AccountConfig, EmailAddress, Localized
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from tests.documents.synthetic import LOCALPART
from tests.thunderbird import thunderbird_reads

ADDRESS = EmailAddress.parse("taro@docomo.ne.jp")
OL = "{" + ad.OUTLOOK_NS + "}"


def issued_text() -> Localized:
    """docomo's issued_username, read from its provider file."""
    with (DATA_DIR / "providers" / "docomo.ne.jp.toml").open("rb") as fp:
        return Localized.model_validate(tomllib.load(fp)["issued_username"])


@pytest.fixture
def docomo(db: ProviderDB) -> AccountConfig:
    return db.config_for("docomo.ne.jp")


def _issued(config: AccountConfig) -> AccountConfig:
    """``config`` with every server's login name issued by the provider."""
    endpoints = tuple(
        e.model_copy(update={"issued_username": issued_text()}) for e in config.endpoints
    )
    return config.model_copy(update={"endpoints": endpoints})


def test_autoconfig_says_the_address_for_the_user_to_replace(docomo: AccountConfig) -> None:
    reading = thunderbird_reads(render_autoconfig(docomo))
    servers = [*reading.incoming, *reading.outgoing]
    assert len(servers) == len(docomo.endpoints)
    assert {s.username for s in servers} == {"%EMAILADDRESS%"}
    # Even where the stand-in template says otherwise: the format cannot name the ID.
    localpart = thunderbird_reads(render_autoconfig(_issued(LOCALPART)))
    assert {s.username for s in localpart.incoming} == {"%EMAILADDRESS%"}


def _login_names(doc: bytes) -> list[str | None]:
    root = ElementTree.fromstring(doc)
    return [p.findtext(OL + "LoginName") for p in root.iter(OL + "Protocol")]


def test_autodiscover_leaves_the_login_name_out(db: ProviderDB, docomo: AccountConfig) -> None:
    names = _login_names(ad.render_response(docomo, ADDRESS))
    assert len(names) == len(docomo.endpoints)
    assert set(names) == {None}
    others = _login_names(
        ad.render_response(db.config_for("qq.com"), EmailAddress.parse("a@qq.com"))
    )
    assert set(others) == {"a@qq.com"}


def _profile(config: AccountConfig, address: EmailAddress, **kwargs: Any) -> dict[str, Any]:
    doc = mc.render_profile(
        config, address, identifier_prefix="test.issued", organization="Test", **kwargs
    )
    outer = plistlib.loads(doc)
    assert isinstance(outer, dict)
    return outer


def test_profile_lets_the_device_ask_for_the_user_name(
    db: ProviderDB, docomo: AccountConfig
) -> None:
    outer = _profile(docomo, ADDRESS, lang="zh-Hant", gettext=lambda t: "«" + t)
    (mail,) = outer["PayloadContent"]
    assert not [k for k in mail if k.endswith("MailServerUsername")]
    assert mail["EmailAddress"] == ADDRESS.address
    description = outer["PayloadDescription"]
    assert description.startswith("«Sets up taro@docomo.ne.jp")
    assert issued_text().get("zh-Hant") in description
    (qq,) = _profile(db.config_for("qq.com"), EmailAddress.parse("a@qq.com"))["PayloadContent"]
    assert qq["IncomingMailServerUsername"] == qq["OutgoingMailServerUsername"] == "a@qq.com"


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_guides_name_the_issued_login(docomo: AccountConfig, client: str, lang: str) -> None:
    guide = build_guide(docomo, ADDRESS, client, lang)
    text = issued_text().get(lang)
    assert text in " ".join(guide.steps)
    wrong = WRONG_USERNAME.format(in_user=text, out_user=text)
    assert wrong in guide.mistakes
