"""Mozilla autoconfig: routes, Host fallback, caching, and Thunderbird's reading rules."""

from __future__ import annotations

import tomllib
from urllib.parse import quote_plus

import httpx
import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from app.documents.mozilla import SOCKET_TYPE, authentication_values, render_autoconfig
from app.providers.db import ProviderDB, to_account_config
from app.providers.schema import ProviderRecord
from app.web.routes.wellknown import _query_value
from tests.sample_data import provider_toml
from tests.thunderbird import Rejected, thunderbird_reads

QQ_EXPECTED = [
    ("incomingServer", "imap", "imap.qq.com", "993", "SSL"),
    ("incomingServer", "pop3", "pop.qq.com", "995", "SSL"),
    ("outgoingServer", "smtp", "smtp.qq.com", "465", "SSL"),
    ("outgoingServer", "smtp", "smtp.qq.com", "587", "STARTTLS"),
]


def _servers(doc: bytes) -> list[tuple[str, str, str, str, str]]:
    provider = ElementTree.fromstring(doc).find("emailProvider")
    assert provider is not None
    return [
        (
            s.tag,
            s.get("type", ""),
            s.findtext("hostname", ""),
            s.findtext("port", ""),
            s.findtext("socketType", ""),
        )
        for s in provider
        if s.tag in ("incomingServer", "outgoingServer")
    ]


async def test_qq_autoconfig(client: httpx.AsyncClient) -> None:
    r = await client.get("/mail/config-v1.1.xml", params={"emailaddress": "user@qq.com"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    assert _servers(r.content) == QQ_EXPECTED
    root = ElementTree.fromstring(r.content)
    assert root.tag == "clientConfig"
    assert root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None
    assert provider.get("id") == "qq.com"
    assert [d.text for d in provider.findall("domain")] == ["qq.com", "foxmail.com", "vip.qq.com"]
    assert provider.findtext("displayName") == "QQ Mail"
    for server in provider.iter():
        if server.tag in ("incomingServer", "outgoingServer"):
            assert server.findtext("username") == "%EMAILADDRESS%"
            assert [a.text for a in server.findall("authentication")] == ["password-cleartext"]
    pop3 = provider.find("incomingServer[@type='pop3']/pop3")
    assert pop3 is not None
    assert pop3.findtext("leaveMessagesOnServer") == "true"
    enable = provider.find("enable")
    assert enable is not None
    assert enable.get("visiturl", "").startswith("https://")
    langs = {i.get("lang"): i.text or "" for i in enable.findall("instruction")}
    assert set(langs) == {"en", "zh-CN", "zh-TW"}
    assert "授权码" in langs["zh-CN"]
    assert provider.find("documentation/descr[@lang='en']") is not None
    reading = thunderbird_reads(r.content)
    assert reading.dropped == []
    assert reading.incoming[0].hostname == "imap.qq.com"


@pytest.mark.parametrize(
    ("path", "host"),
    [
        ("/mail/config-v1.1.xml", "autoconfig.qq.com"),
        ("/mail/config-v1.1.xml", "autoconfig.foxmail.com:8443"),
        ("/mail/config-v1.1.xml?emailaddress=", "AUTOCONFIG.QQ.COM."),
        ("/.well-known/autoconfig/mail/config-v1.1.xml", "qq.com"),
        ("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=x%40vip.qq.com", "other.org"),
        ("/v1.1/QQ.com.", "mailsetup.test"),
    ],
)
async def test_routes_and_host_fallback(client: httpx.AsyncClient, path: str, host: str) -> None:
    r = await client.get(path, headers={"Host": host})
    assert r.status_code == 200, r.text
    assert _servers(r.content) == QQ_EXPECTED


@pytest.mark.parametrize("host", ["127.0.0.1", "autoconfig.nope.example"])
async def test_host_without_a_known_domain(client: httpx.AsyncClient, host: str) -> None:
    r = await client.get("/mail/config-v1.1.xml", headers={"Host": host})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("localhost:8000", "names no mail domain: 'localhost' is not a full domain name"),
        ("[::1]:8000", "the Host header is an IP address"),
    ],
)
async def test_host_that_names_no_domain(client: httpx.AsyncClient, host: str, why: str) -> None:
    r = await client.get("/mail/config-v1.1.xml", headers={"Host": host})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("give ?emailaddress=someone@example.com; ")
    assert why in detail


LONG_ADDRESS = "a" * 400 + "@qq.com"
LONG_TAG = {"If-None-Match": '"' + "x" * 1100 + '"'}
AUTOCONFIG = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")


async def test_the_autoconfig_routes_answer_a_422_as_the_api_does(
    client: httpx.AsyncClient,
) -> None:
    """Every 422 of the three autoconfig routes is JSON with a ``detail``, from the app's
    exception handlers: a parameter over its length as FastAPI's validation answers it,
    a bad address or domain as the API's lookup answers a bad address."""
    too_long = await client.get("/api/v1/lookup", params={"email": LONG_ADDRESS})
    bad = await client.get("/api/v1/lookup", params={"email": "a@bad..name"})
    cases = [
        *[(p, {"emailaddress": LONG_ADDRESS}, too_long) for p in AUTOCONFIG],
        *[(p, {"emailaddress": "a@bad..name"}, bad) for p in AUTOCONFIG],
        ("/v1.1/bad..name", {}, bad),
    ]
    for path, params, api in cases:
        r = await client.get(path, params=params)
        assert (r.status_code, r.headers["content-type"]) == (422, "application/json"), r.text
        assert r.headers.get("cache-control") == api.headers.get("cache-control")
        if isinstance(api.json()["detail"], list):  # the parameter's name differs
            [error] = r.json()["detail"]
            assert error == {
                "loc": ["query", "emailaddress"],
                "msg": "String should have at most 320 characters",
                "type": "string_too_long",
            }
            assert api.json()["detail"][0] == {**error, "loc": ["query", "email"]}
        else:
            assert r.json() == api.json()
            assert r.json()["detail"] == "'bad..name' is not a valid domain name: Empty Label"
    # A header over its length: FastAPI's own answer on /v1.1/{domain}, the same on the others.
    answers = [
        await client.get(p, headers=LONG_TAG)
        for p in ("/v1.1/qq.com", *(p + "?emailaddress=a@qq.com" for p in AUTOCONFIG))
    ]
    assert {(r.status_code, r.headers["cache-control"], r.content) for r in answers} == {
        (
            422,
            "no-store",
            b'{"detail":[{"loc":["header","if-none-match"],'
            b'"msg":"String should have at most 1024 characters","type":"string_too_long"}]}',
        )
    }


async def test_etag_and_304(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1.1/qq.com")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    assert "max-age" in r.headers["cache-control"]
    same = await client.get("/mail/config-v1.1.xml?emailaddress=a@foxmail.com")
    assert same.headers["etag"] == etag
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await client.get("/v1.1/qq.com", headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    fresh = await client.get("/v1.1/qq.com", headers={"If-None-Match": '"stale"'})
    assert fresh.status_code == 200
    # The 200's headers are encoded once per document (app.web.http.state.Rendered).
    assert fresh.headers.get_list("content-length") == [str(len(fresh.content))]
    assert fresh.headers["content-type"] == "text/xml; charset=utf-8"
    assert (fresh.headers["etag"], fresh.headers["vary"]) == (etag, "Host")
    assert cached.headers["vary"] == "Host"
    other = await client.get("/v1.1/163.com")
    assert other.headers["content-length"] == str(len(other.content)) != str(len(fresh.content))


async def test_unknown_and_retired_get_404(data_dir_factory, client_for) -> None:  # type: ignore[no-untyped-def]
    retired = provider_toml(
        "old.example",
        domains=("old.example",),
        status="retired",
        servers=(),
        extra='status_reason = { en = "Closed in 2013.", zh-Hans = "关闭", zh-Hant = "關閉" }',
    )
    apps_only = provider_toml(
        "own-apps.example",
        domains=("own-apps.example",),
        status="no-mail-apps",
        servers=(),
        extra='status_reason = { en = "Use our app.", zh-Hans = "用应用", zh-Hant = "用 App" }',
    )
    files = {"old.example.toml": retired, "own-apps.example.toml": apps_only}
    c = await client_for(data_dir_factory(files))
    r = await c.get("/v1.1/old.example")
    assert r.status_code == 404
    assert r.text == "old.example no longer offers mail: Closed in 2013.\n"
    r = await c.get("/v1.1/own-apps.example")
    assert r.status_code == 404
    assert r.text == "own-apps.example has no server for mail apps: Use our app.\n"
    page = await c.get("/setup", params={"email": "me@own-apps.example"})
    assert "Mail apps cannot connect to this provider" in page.text
    assert "Use our app." in page.text
    assert (await c.get("/v1.1/unknown.example")).status_code == 404


async def test_oauth2_then_password(data_dir_factory, client_for) -> None:  # type: ignore[no-untyped-def]
    oauth = """
[oauth2]
issuer = "accounts.example.org"
scopes = ["https://mail.example.org/"]
auth_url = "https://accounts.example.org/auth"
token_url = "https://accounts.example.org/token"
"""
    text = provider_toml(auth='["oauth2", "app-password", "password"]', extra=oauth)
    c = await client_for(data_dir_factory({"example.org.toml": text}))
    doc = (await c.get("/v1.1/example.org")).content
    root = ElementTree.fromstring(doc)
    imap = root.find("emailProvider/incomingServer[@type='imap']")
    assert imap is not None
    assert [a.text for a in imap.findall("authentication")] == ["OAuth2", "password-cleartext"]
    assert root.findtext("oAuth2/issuer") == "accounts.example.org"
    assert root.findtext("oAuth2/scope") == "https://mail.example.org/"
    assert root.findtext("oAuth2/tokenURL") == "https://accounts.example.org/token"
    # imap.example.org is not in Thunderbird's OAuth2 table, so it falls back to the password.
    assert thunderbird_reads(doc).incoming[0].auth == "password-cleartext"


def test_checker_rejects_what_thunderbird_rejects() -> None:
    record = ProviderRecord.model_validate(tomllib.loads(provider_toml()))
    good = render_autoconfig(to_account_config(record, "example.org"))
    thunderbird_reads(good)
    broken = {
        b"<socketType>SSL</socketType>": b"<socketType> SSL </socketType>",
        b"<username>%EMAILADDRESS%</username>": b"<username />",
        b'id="example.org"': b'id="not a host"',
        b"password-cleartext": b"OAuth2",
    }
    for old, new in broken.items():
        with pytest.raises(Rejected):
            _keeps_every_server(good.replace(old, new))


def _keeps_every_server(doc: bytes) -> None:
    reading = thunderbird_reads(doc)
    if reading.dropped:
        raise Rejected(reading.dropped[0])


def test_every_provider_document_is_read_by_thunderbird(db: ProviderDB) -> None:
    """Each shipped provider: Thunderbird keeps every server, element by element."""
    for rec in db.records:
        if not rec.servers:
            continue
        config = to_account_config(rec, rec.domains[0] if rec.domains else "customer.example")
        doc = render_autoconfig(config)
        try:
            reading = thunderbird_reads(doc)
        except Rejected as exc:
            pytest.fail(f"{rec.id}: {exc}")
        assert reading.dropped == [], rec.id
        servers = reading.incoming + reading.outgoing
        expected = [*config.incoming, *config.outgoing]
        assert [(s.hostname, s.port, s.socket_type, s.username) for s in servers] == [
            (e.host, e.port, SOCKET_TYPE[e.security], e.username) for e in expected
        ], rec.id
        for server, endpoint in zip(servers, expected, strict=True):
            values = authentication_values(endpoint)
            assert server.auth in values, rec.id


@given(
    st.lists(
        st.sampled_from(["emailaddress", "EmailAddress", "email%61ddress", "x", ""]), max_size=4
    ),
    st.lists(st.text(max_size=12), max_size=4),
    st.sampled_from(["=", "", "=="]),
)
def test_the_address_parameter_is_read_as_starlette_reads_it(
    names: list[str], values: list[str], joiner: str
) -> None:
    pairs = [
        f"{n}{joiner}{quote_plus(v) if i % 2 else v}"
        for i, (n, v) in enumerate(zip(names, values, strict=False))
    ]
    query = "&".join(pairs).encode("utf-8", "surrogatepass")
    assert _query_value(query, "emailaddress") == QueryParams(query).get("emailaddress")
