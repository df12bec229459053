"""Autodiscover, Apple profiles and guides over HTTP, for known and discovered domains."""

from __future__ import annotations

import plistlib
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from defusedxml import ElementTree

from app.main import create_app
from app.settings import Settings
from tests.documents.test_gen_signing import _key_pem, _pem, make_chain, openssl_verify

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
NS = {"o": OUTLOOK, "r": "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"}
XML = {"Content-Type": "text/xml; charset=utf-8"}


def request(address: str, schema: str = OUTLOOK) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{REQUEST_NS}"><Request>'
        f"<EMailAddress>{address}</EMailAddress>"
        f"<AcceptableResponseSchema>{schema}</AcceptableResponseSchema></Request></Autodiscover>"
    ).encode()


def protocols(body: bytes) -> list[dict[str, str]]:
    root = ElementTree.fromstring(body)
    return [
        {child.tag.split("}")[1]: child.text or "" for child in p}
        for p in root.iterfind("o:Response/o:Account/o:Protocol", NS)
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/autodiscover/autodiscover.xml",
        "/Autodiscover/Autodiscover.xml",
        "/AUTODISCOVER/AUTODISCOVER.XML",
    ],
)
async def test_autodiscover_163(client: httpx.AsyncClient, path: str) -> None:
    r = await client.post(path, content=request("user@163.com"), headers=XML)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    imap = protocols(r.content)[0]
    assert imap["Type"] == "IMAP"
    assert (imap["Server"], imap["Port"], imap["Encryption"]) == ("imap.163.com", "993", "SSL")
    assert imap["SPA"] == "off"
    assert imap["LoginName"] == "user@163.com"
    assert all(p["SPA"] == "off" for p in protocols(r.content))


async def test_autodiscover_for_a_discovered_domain(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/autodiscover/autodiscover.xml",
        content=request("me@srvonly.test"),
        headers={"Content-Type": "application/xml"},
    )
    assert r.status_code == 200
    found = protocols(r.content)
    assert [(p["Type"], p["Server"], p["Port"], p["Encryption"]) for p in found] == [
        ("IMAP", "mail.srvonly.test", "993", "SSL"),
        ("SMTP", "mail.srvonly.test", "587", "TLS"),
    ]


def error_code(body: bytes) -> str:
    root = ElementTree.fromstring(body)
    codes = [e.text for e in root.iter() if e.tag.endswith("ErrorCode")]
    assert codes, body
    return str(codes[0])


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"<Autodiscover", XML, 400, "600"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', XML, 400, "600"),
        (request("user@163.com"), {"Content-Type": "application/json"}, 415, "600"),
        (request("user@163.com"), {}, 415, "600"),
        (b"<x>" + b" " * 20_000 + b"</x>", XML, 413, "600"),
        (request("me@does-not-exist.test"), XML, 200, "500"),
        (request("user@163.com", MOBILESYNC), XML, 200, "601"),
        (request("not-an-address"), XML, 400, "600"),
    ],
)
async def test_autodiscover_errors_are_documents(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    r = await client.post("/autodiscover/autodiscover.xml", content=body, headers=headers)
    assert r.status_code == status
    assert error_code(r.content) == code


async def test_mobilesync_error_is_in_its_own_namespace(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/autodiscover/autodiscover.xml", content=request("user@163.com", MOBILESYNC), headers=XML
    )
    assert MOBILESYNC.encode() in r.content


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/autodiscover/autodiscover.json?Email=a@qq.com&Protocol=AutodiscoverV1", 200),
        ("/autodiscover/autodiscover.json?Email=a@qq.com&Protocol=Autodiscoverv1", 200),
        ("/Autodiscover/Autodiscover.json?Email=a@qq.com&Protocol=autodiscoverv1", 200),
        ("/autodiscover/autodiscover.json/v1.0/a@qq.com?Protocol=AutodiscoverV1", 200),
        ("/autodiscover/autodiscover.json?Email=a@qq.com&Protocol=ActiveSync", 400),
        ("/autodiscover/autodiscover.json?Email=a@qq.com", 400),
    ],
)
async def test_autodiscover_v2(client: httpx.AsyncClient, path: str, status: int) -> None:
    r = await client.get(path, headers={"Host": "evil.example"})
    assert r.status_code == status
    body = r.json()
    if status == 200:
        # From MAILSETUP_PUBLIC_URL, never from the Host header.
        assert body == {
            "Protocol": "AutodiscoverV1",
            "Url": "https://mailsetup.test/autodiscover/autodiscover.xml",
        }
    else:
        assert body["ErrorCode"] == "InvalidProtocol"


async def test_mobileconfig_for_icloud(client: httpx.AsyncClient) -> None:
    r = await client.get("/apple/mobileconfig", params={"emailaddress": "emily@icloud.com"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-apple-aspen-config"
    assert 'filename="emily@icloud.com.mobileconfig"' in r.headers["content-disposition"]
    profile = plistlib.loads(r.content)
    mail = profile["PayloadContent"][0]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["IncomingMailServerUsername"] == "emily"
    assert mail["OutgoingMailServerPortNumber"] == 587
    assert mail["OutgoingMailServerUseSSL"] is True
    assert not any("Password" in k and k != "OutgoingPasswordSameAsIncomingPassword" for k in mail)
    again = await client.get("/apple/mobileconfig", params={"email": "emily@icloud.com"})
    assert again.content == r.content  # same identifier and UUIDs: reinstalling replaces it


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"email": "bad"}, 422),
        ({}, 422),
        ({"email": "me@does-not-exist.test"}, 404),
        ({"email": "me@yahoo.com.cn"}, 404),
        ({"email": "me@outlook.com"}, 409),
    ],
)
async def test_mobileconfig_errors(
    client: httpx.AsyncClient, params: dict[str, str], status: int
) -> None:
    r = await client.get("/apple/mobileconfig", params=params)
    assert r.status_code == status


async def test_signed_mobileconfig(settings: Settings, tmp_path: Path) -> None:
    chain = make_chain(ec.generate_private_key(ec.SECP256R1()))
    (tmp_path / "leaf.pem").write_bytes(_pem(chain.leaf))
    (tmp_path / "key.pem").write_bytes(_key_pem(chain.leaf_key))
    (tmp_path / "chain.pem").write_bytes(_pem(chain.intermediate))
    signed_settings = settings.model_copy(
        update={
            "profile_signing_cert": tmp_path / "leaf.pem",
            "profile_signing_key": tmp_path / "key.pem",
            "profile_signing_chain": tmp_path / "chain.pem",
        }
    )
    app = create_app(signed_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/apple/mobileconfig", params={"email": "emily@icloud.com"})
    assert r.status_code == 200
    code, content, stderr = openssl_verify(tmp_path, r.content, chain.root)
    assert code == 0, stderr
    assert plistlib.loads(content)["PayloadContent"][0]["IncomingMailServerUsername"] == "emily"


async def test_guides_api(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/guides", params={"email": "me@qq.com", "client": "foxmail"})
    assert r.status_code == 200
    (guide,) = r.json()
    assert guide["client_id"] == "foxmail"
    assert any("authorization code" in b["text"] for b in guide["before"])
    assert any("imap.qq.com" in s for s in guide["steps"])
    every = await client.get("/api/v1/guides", params={"email": "me@qq.com", "lang": "zh-Hans"})
    ids = [g["client_id"] for g in every.json()]
    assert {
        "thunderbird",
        "outlook",
        "new-outlook",
        "apple-mail",
        "ios",
        "gmail-android",
        "thunderbird-android",
        "foxmail",
    } <= set(ids)
    assert any("授权码" in b["text"] for g in every.json() for b in g["before"])
    bad = await client.get("/api/v1/guides", params={"email": "me@qq.com", "client": "pine"})
    assert bad.status_code == 422
    assert "thunderbird" in bad.json()["detail"]


async def test_setup_page_links_profiles_and_shows_guides(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "me@qq.com"})
    assert "/apple/mobileconfig?email=me%40qq.com" in r.text
    assert 'id="guide-foxmail"' in r.text
    assert 'id="guide-ios"' in r.text
