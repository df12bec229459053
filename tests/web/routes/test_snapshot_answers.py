"""Without the network, the API and the setup page answer from the shipped ISPDB
snapshot and say so, with its date; without a snapshot, the same lookup finds nothing.
The domains are ones the snapshot lists and the curated database does not.

The ``client`` fixture's DNS knows only .test (other names are refused, as on a machine
without the internet) and its ISPDB refuses connections."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.snapshot import IspdbSnapshot
from tests.discovery.test_snapshot import snapshot_only

SHIPPED = IspdbSnapshot.from_dir(DATA_DIR)
assert SHIPPED is not None
SNAPSHOT_LABEL = f"Thunderbird's ISPDB (snapshot of {SHIPPED.date.isoformat()})"


async def test_the_api_answers_from_the_snapshot_offline(
    client: httpx.AsyncClient, db: ProviderDB
) -> None:
    domain = snapshot_only(db)
    expected = SHIPPED.config_for(domain)
    assert expected is not None
    r = await client.get("/api/v1/lookup", params={"email": f"a@{domain}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "ispdb-snapshot"
    assert body["provider"] is None
    assert [(e["protocol"], e["host"], e["port"], e["security"]) for e in body["endpoints"]] == [
        (e.protocol.value, e.host, e.port, e.security.value) for e in expected.endpoints
    ]
    assert {e["source"] for e in body["endpoints"]} == {"ispdb-snapshot"}
    assert "%EMAILADDRESS%" not in {e["username"] for e in body["endpoints"]}
    (found,) = [a for a in body["trace"] if a["source"] == "ispdb-snapshot"]
    assert (found["outcome"], found["ok"]) == ("found", True)
    assert found["detail"].startswith(f"{SHIPPED.label}, entry ")
    assert SHIPPED.label.startswith(f"Thunderbird's ISPDB as of {SHIPPED.date.isoformat()}")
    online = [a for a in body["trace"] if a["source"] == "ispdb"]
    assert [a["outcome"] for a in online] == ["connection-failed"]


async def test_the_setup_page_names_the_snapshot_and_its_date(
    client: httpx.AsyncClient, db: ProviderDB
) -> None:
    domain = snapshot_only(db, placeholder=True)
    r = await client.get(
        "/setup", params={"email": f"a@{domain}"}, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 200, r.text
    page = r.text.replace("&#39;", "'")
    assert f"These settings come from {SNAPSHOT_LABEL}, not from our curated database" in page
    assert "ISPDB snapshot" in page  # the trace table's source column
    assert "%EMAILDOMAIN%" not in page


async def test_without_a_snapshot_the_lookup_finds_nothing(
    client_for, data_dir_factory, db
) -> None:  # type: ignore[no-untyped-def]
    qq = (DATA_DIR / "providers" / "qq.com.toml").read_text(encoding="utf-8")
    folder: Path = data_dir_factory({"qq.com.toml": qq})
    app_client = await client_for(folder)
    r = await app_client.get("/api/v1/lookup", params={"email": f"a@{snapshot_only(db)}"})
    assert r.status_code == 404, r.text
    assert "ispdb-snapshot" not in r.text
