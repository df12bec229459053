"""The ISPDB snapshot in data/ispdb/: the shipped files agree with each other, and a
broken or partial snapshot is refused with the file and the problem named."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from app.errors import DataError
from app.models import Source
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.snapshot import IspdbSnapshot

SHIPPED = DATA_DIR / "ispdb"


def test_the_shipped_origin_agrees_with_the_data() -> None:
    origin = tomllib.loads((SHIPPED / "ORIGIN.toml").read_text(encoding="utf-8"))
    data = json.loads((SHIPPED / "snapshot.json").read_text(encoding="utf-8"))
    providers = data["providers"]
    assert origin["license"] == "MPL-2.0"
    assert re.fullmatch(r"[0-9a-f]{40}", origin["commit"])
    assert isinstance(origin["date"], dt.date)
    assert origin["origin"] == (
        f"https://github.com/thunderbird/autoconfig/tree/{origin['commit']}/ispdb"
    )
    assert origin["providers"] == len(providers)
    assert origin["domains"] == sum(len(p["domains"]) for p in providers)
    assert origin["servers"] == sum(len(p["servers"]) for p in providers)
    assert origin["files"] == origin["providers"] + origin["files_skipped"]
    licence = (SHIPPED / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("Mozilla Public License Version 2.0")
    snapshot = IspdbSnapshot.from_dir(DATA_DIR)
    assert snapshot is not None
    assert (snapshot.date, len(snapshot)) == (origin["date"], origin["domains"])


def test_the_shipped_snapshot_fills_host_names_per_domain() -> None:
    snapshot = IspdbSnapshot.from_dir(DATA_DIR)
    assert snapshot is not None
    entry = snapshot.provider_for("inbox.lt")
    assert entry is not None
    assert {s.host for s in entry.servers} == {"mail.%EMAILDOMAIN%"}
    for domain in ("inbox.lv", "inbox.lt"):
        config = snapshot.config_for(domain)
        assert config is not None
        assert {e.host for e in config.endpoints} == {f"mail.{domain}"}
        assert config.source is Source.ISPDB_SNAPSHOT
        assert {e.username for e in config.endpoints} == {"%EMAILADDRESS%"}
    assert snapshot.config_for("nowhere.test") is None


def test_a_data_folder_without_ispdb_has_no_snapshot(data_dir_factory) -> None:  # type: ignore[no-untyped-def]
    folder = data_dir_factory({})
    assert IspdbSnapshot.from_dir(folder) is None
    assert ProviderDB.from_dir(folder).snapshot is None
    assert ProviderDB.from_dir(DATA_DIR).snapshot is not None


def _edit_json(change: Callable[[dict], None]) -> Callable[[Path], None]:  # type: ignore[type-arg]
    def edit(folder: Path) -> None:
        path = folder / "snapshot.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return edit


def _first_host(value: str) -> Callable[[dict], None]:  # type: ignore[type-arg]
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["providers"][0]["servers"][0]["host"] = value

    return change


def _set_origin(key: str, value: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "ORIGIN.toml"
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith(f"{key} =")]
        path.write_text("\n".join([*kept, f"{key} = {value}"]) + "\n", encoding="utf-8")

    return edit


def _second_claims_first_domain(data: dict) -> None:  # type: ignore[type-arg]
    data["providers"][1]["domains"].append(data["providers"][0]["domains"][0])


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda f: (f / "LICENSE").unlink(), "LICENSE is missing"),
        (lambda f: (f / "snapshot.json").write_text("{"), "snapshot.json: Expecting"),
        (lambda f: (f / "ORIGIN.toml").unlink(), "ORIGIN.toml: cannot read"),
        (_set_origin("domains", "1"), "ORIGIN.toml says 1 domains, snapshot.json has"),
        (_set_origin("license", '"MIT"'), "ORIGIN.toml: license"),
        (_set_origin("commit", '"not-a-commit"'), "is not a commit id"),
        (_edit_json(_first_host("imap.%EMAILLOCALPART%")), "only %EMAILDOMAIN% may stand"),
        (_edit_json(_first_host("bad host")), "is not a host name"),
        (_edit_json(_second_claims_first_domain), "126.com is in 126.com and 163.com"),
        (_edit_json(lambda d: d["providers"].reverse()), "unique and sorted"),
        (_edit_json(lambda d: d.update(format=2)), "format"),
    ],
)
def test_a_broken_snapshot_is_refused(
    tmp_path: Path, edit: Callable[[Path], None], problem: str
) -> None:
    folder = tmp_path / "ispdb"
    shutil.copytree(SHIPPED, folder)
    assert IspdbSnapshot.from_dir(tmp_path) is not None  # the copy loads before the edit
    edit(folder)
    with pytest.raises(DataError) as caught:
        IspdbSnapshot.from_dir(tmp_path)
    assert problem in str(caught.value)
