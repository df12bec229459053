"""Schemathesis against the OpenAPI spec: no generated request makes the app answer 5xx.

A bounded, derandomized run. The app under fuzz resolves names only through the
local dnsmasq, asks an ISPDB on 127.0.0.1:9 (refused at once), has short deadlines
and no ``MAILSETUP_PROBE_ALLOW_NETWORKS``. Server hosts that are IP literals are
rewritten to 192.0.2.1 (TEST-NET-1, which the guard refuses), and a tripwire on
``socket.connect`` fails the run if anything tries an address off this machine.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.python import asgi as schemathesis_asgi

from app.main import create_app
from app.net.guard import parse_ip_literal
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.settings import Settings

MAX_EXAMPLES = 60


def _local(address: object) -> bool:
    if isinstance(address, str):  # a Unix socket path
        return True
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])  # type: ignore[index]
    except ValueError:
        return False
    return ip.is_loopback


def install_tripwire(monkeypatch: pytest.MonkeyPatch, seen: list[object]) -> None:
    """Refuse, and record in ``seen``, every connection to an address that is not loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(sock: socket.socket, address: Any) -> None:
        if not _local(address):
            seen.append(address)
            raise ConnectionRefusedError(f"tripwire: {address!r} is off this machine")
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if not _local(address):
            seen.append(address)
            return errno.ECONNREFUSED
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen: list[object] = []
    install_tripwire(monkeypatch, seen)
    yield
    assert seen == [], "a request tried to reach an address off this machine"


async def test_the_tripwire_stops_connections_off_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[object] = []
    install_tripwire(monkeypatch, seen)
    with pytest.raises(ConnectionRefusedError, match="tripwire"):
        socket.create_connection(("192.0.2.1", 9), timeout=0.5)
    with pytest.raises(ConnectionRefusedError, match="tripwire"):
        await asyncio.open_connection("2001:db8::1", 9)
    assert [a[0] for a in seen] == ["192.0.2.1", "2001:db8::1"]  # type: ignore[index]
    with pytest.raises(ConnectionRefusedError) as refused:  # loopback: the real connect
        socket.create_connection(("127.0.0.1", 9), timeout=0.5)
    assert "tripwire" not in str(refused.value)
    assert len(seen) == 2


# Valid values, so that half the generated requests get past input validation and run
# discovery, a live test or a document: known, MX-found, unknown and non-existent domains.
ADDRESSES = ("alice@mail.test", "a@qq.com", "x@gw.test", "y@nowhere.test", "z@srvonly.test")
DOMAINS = ("mail.test", "qq.com", "gw.test", "nowhere.test", "srvonly.test", "163.com")
SERVER_HOSTS = ("mail.test", "192.0.2.1", "imap.qq.com", "private.test", "nowhere.test")


def _pick(value: object, choices: tuple[str, ...]) -> object:
    """``value`` for half of the values, one of ``choices`` for the others (by hash)."""
    digest = sum(repr(value).encode())
    return value if digest % 2 else choices[digest // 2 % len(choices)]


def _plausible(params: Any) -> Any:
    if isinstance(params, dict):
        for name in ("email", "emailaddress"):
            if name in params:
                params[name] = _pick(params[name], ADDRESSES)
        if "domain" in params:
            params["domain"] = _pick(params["domain"], DOMAINS)
    return params


def _plausible_body(context: Any, body: Any) -> Any:
    """Live tests: half of them get a plausible address and plausible servers. Server
    hosts that are IP literals become 192.0.2.1, which the guard refuses, so no packet
    leaves the machine."""
    if context.operation is None or context.operation.path != "/api/v1/test":
        return body
    if not isinstance(body, dict):
        return body
    plausible = "email" in body and _pick(body["email"], ADDRESSES) != body["email"]
    if plausible:
        body["email"] = _pick(body["email"], ADDRESSES)
    servers = body.get("servers")
    for server in servers if isinstance(servers, list) else []:
        if not isinstance(server, dict) or not isinstance(server.get("host"), str):
            continue
        if plausible:
            server["host"] = _pick(server["host"] + "!", SERVER_HOSTS)
        if parse_ip_literal(server["host"].strip().lower()) is not None:
            server["host"] = "192.0.2.1"
    return body


# The spec does not depend on settings: read it once, at collection, without serving.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
schema.hook("map_body")(_plausible_body)
schema.hook("map_query")(lambda context, query: _plausible(query))
schema.hook("map_path_parameters")(lambda context, params: _plausible(params))


def fuzz_settings(nameserver: str) -> Settings:
    """Local DNS only, an ISPDB that refuses at once, short deadlines, no rate limits."""
    return Settings(
        data_dir=DATA_DIR,
        public_url="https://mailsetup.test",
        dns_servers=(nameserver,),
        dns_timeout=0.5,
        ispdb_url="http://127.0.0.1:9/v1.1/",
        discovery_deadline=1.0,
        probe_deadline=2.0,
        rate_limits=False,
    )


@pytest.fixture(scope="module")
def fuzz_app(nameserver: str, db: ProviderDB) -> Iterator[Any]:
    """The app the requests go to; schemathesis runs its lifespan until the module ends."""
    yield create_app(fuzz_settings(nameserver), db=db)
    schemathesis_asgi.shutdown_lifespans()


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case: Any, fuzz_app: Any, tripwire: None) -> None:
    response = case.call(app=fuzz_app, timeout=30)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
