"""``username = "issued"``: a login name the provider issues, not derived from the address
(docomo's IMAP ID), described by the record's three-language ``issued_username``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.discovery.autoconfig import parse_provider
from app.errors import ProviderFileError
from app.models import EmailAddress, Localized, Source
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.loader import load_file
from app.providers.lookup import answer_from_config
from app.providers.server_entry import ISSUED
from tests.sample_data import provider_toml

DOCOMO = DATA_DIR / "providers" / "docomo.ne.jp.toml"
TEXT = (
    'issued_username = { en = "the ID on the card", zh-Hans = "卡上的 ID", zh-Hant = "卡上的 ID" }'
)


def docomo_file() -> dict[str, Any]:
    """docomo's provider file as written."""
    with DOCOMO.open("rb") as fp:
        return tomllib.load(fp)


def docomo_text() -> Localized:
    return Localized.model_validate(docomo_file()["issued_username"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "example.org.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_docomo_logs_in_with_an_issued_name(db: ProviderDB) -> None:
    written = docomo_file()
    assert {s["username"] for s in written["servers"]} == {ISSUED}
    record = db.get("docomo.ne.jp")
    assert record is not None
    assert record.issued_username == docomo_text()
    for endpoint in db.config_for("docomo.ne.jp").endpoints:
        assert endpoint.issued_username == docomo_text()
        assert endpoint.username == "%EMAILADDRESS%"  # the stand-in, never shown as fact


def test_docomo_no_longer_apologises_for_the_format() -> None:
    note = docomo_file()["confidence_note"]["en"]
    assert "placeholder" not in note
    assert "cannot express" not in note


def test_issued_without_the_text_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, provider_toml(username=ISSUED))
    with pytest.raises(ProviderFileError) as info:
        load_file(path)
    err = info.value
    assert err.file == "example.org.toml"
    assert "servers[0] has username = 'issued'" in err.problem
    assert "issued_username" in err.problem
    assert str(err).startswith("example.org.toml: ")


def test_the_text_without_an_issued_server_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, provider_toml(extra=TEXT))
    with pytest.raises(ProviderFileError) as info:
        load_file(path)
    assert info.value.file == "example.org.toml"
    assert "no server has username = 'issued'" in info.value.problem


def test_the_text_needs_three_languages(tmp_path: Path) -> None:
    only_english = 'issued_username = { en = "the ID on the card" }'
    path = _write(tmp_path, provider_toml(username=ISSUED, extra=only_english))
    with pytest.raises(ProviderFileError) as info:
        load_file(path)
    assert info.value.field.startswith("issued_username")


def test_issued_with_the_text_loads(tmp_path: Path) -> None:
    record = load_file(_write(tmp_path, provider_toml(username=ISSUED, extra=TEXT)))
    assert record.issued_username is not None
    assert record.issued_username.en == "the ID on the card"
    assert record.model_dump(mode="json", by_alias=True)["issued_username"]["zh-Hant"]
    with pytest.raises(ValueError, match="issued_username"):
        record.servers[0].to_endpoint()  # the text is the record's: it must be passed


def test_lookup_answer_marks_the_issued_name(db: ProviderDB) -> None:
    config = db.config_for("docomo.ne.jp")
    for address in (EmailAddress.parse("taro@docomo.ne.jp"), None):
        answer = answer_from_config(config, address).to_json()
        for endpoint in answer["endpoints"]:
            assert endpoint["username_kind"] == "issued"
            assert endpoint["username"] == ""  # no address stands in for it
            assert endpoint["issued_username"] == docomo_text().model_dump(by_alias=True)


def test_other_answers_are_derived_from_the_address(db: ProviderDB) -> None:
    config = db.config_for("qq.com")
    answer = answer_from_config(config, EmailAddress.parse("a@qq.com")).to_json()
    assert {e["username_kind"] for e in answer["endpoints"]} == {"derived"}
    assert {e["issued_username"] for e in answer["endpoints"]} == {None}
    assert {e["username"] for e in answer["endpoints"]} == {"a@qq.com"}


def test_a_fetched_document_cannot_claim_an_issued_name() -> None:
    """Only a provider file can say it: a remote autoconfig's "issued" is a literal name."""
    xml = b"""<clientConfig version="1.1"><emailProvider id="example.org">
      <domain>example.org</domain>
      <incomingServer type="imap"><hostname>imap.example.org</hostname><port>993</port>
        <socketType>SSL</socketType><username>issued</username>
        <authentication>password-cleartext</authentication></incomingServer>
      <outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>465</port>
        <socketType>SSL</socketType><username>issued</username>
        <authentication>password-cleartext</authentication></outgoingServer>
    </emailProvider></clientConfig>"""
    found = parse_provider(xml, Source.AUTOCONFIG)
    assert {e.issued_username for e in found.endpoints} == {None}
    assert {e.username for e in found.endpoints} == {"issued"}
