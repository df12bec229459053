"""Every string field of every API, fed text no client should send (lone surrogates,
C0 and C1 controls, DEL, line separators, bidi overrides) answers below 500.

JSON bodies carry lone surrogates as ``\\ud800`` escapes, which Python's JSON reader
accepts; query and path parameters carry controls and invalid UTF-8 percent-escapes.
A credential field with such text is a 422 that names the field. Nothing leaves the
machine (the tripwire of :mod:`tests.test_fuzz_api`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from app.providers.db import ProviderDB
from app.untrusted import has_control, is_utf8
from tests.test_fuzz_api import fuzz_settings, install_tripwire

HOSTILE_CHARS = [
    *map(chr, range(0x20)),
    "\x7f",
    "\x85",
    "\x9b",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ud800",
    "\udfff",
    "\ufeff",
]
HOSTILE = st.text(
    st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8")), max_size=24
).filter(lambda text: not (is_utf8(text) and not has_control(text)) or text == "")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The one JSON body the API takes, valid; each string field is replaced in turn. Server
# 192.0.2.1 is TEST-NET-1, which the guard refuses, so a test that passes runs nowhere.
TEST_BODY: dict[str, Any] = {
    "email": "someone@mail.test",
    "password": "a-password",
    "username": "someone",
    "servers": [{"protocol": "imap", "host": "192.0.2.1", "port": 993, "security": "tls"}],
}
CREDENTIALS = {("email",), ("password",), ("username",)}


class Api:
    """The app in-process, with its lifespan run, on a loop of its own: Hypothesis
    calls the examples synchronously."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.lifespan = app.router.lifespan_context(app)
        self.loop.run_until_complete(self.lifespan.__aenter__())
        transport = httpx.ASGITransport(app=app)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://mailsetup.test")

    def get(self, url: str) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture
def api(nameserver: str, db: ProviderDB, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    seen: list[object] = []
    install_tripwire(monkeypatch, seen)
    app = create_app(fuzz_settings(nameserver), db=db)
    client = Api(app)
    try:
        yield client
    finally:
        client.close()
    assert seen == [], "a request tried to reach an address off this machine"


def _string_paths(
    schema: dict[str, Any], spec: dict[str, Any], at: tuple[Any, ...] = ()
) -> Iterator[tuple[Any, ...]]:
    """Where a JSON body schema has strings, as key paths (list items as index 0)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from _string_paths(option, spec, at)
    kind = schema.get("type")
    if kind == "string" or "enum" in schema:
        yield at
    elif kind == "object":
        for key, sub in schema.get("properties", {}).items():
            yield from _string_paths(sub, spec, (*at, key))
    elif kind == "array":
        yield from _string_paths(schema.get("items", {}), spec, (*at, 0))


def _json_operations(spec: dict[str, Any]) -> dict[tuple[str, str], set[tuple[Any, ...]]]:
    found = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                found[(method, path)] = set(_string_paths(schema, spec))
    return found


def _set(body: Any, at: tuple[Any, ...], value: str) -> Any:
    body = json.loads(json.dumps(body))
    target = body
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = value
    return body


def test_every_json_string_field_answers_below_500(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    operations = _json_operations(spec)
    # Every JSON body is covered here: a new one needs a valid body above.
    assert set(operations) == {("post", "/api/v1/test")}
    fields = sorted(operations[("post", "/api/v1/test")], key=str)
    assert {("email",), ("password",), ("username",), ("servers", 0, "host")} <= set(fields)

    @FUZZ
    @given(st.sampled_from(fields), HOSTILE, st.booleans())
    def check(at: tuple[Any, ...], text: str, stream: bool) -> None:
        raw = json.dumps(_set(TEST_BODY, at, text))  # lone surrogates become \\udXXX escapes
        accept = "application/x-ndjson" if stream else "application/json"
        r = api.post(
            "/api/v1/test",
            content=raw,
            headers={"Content-Type": "application/json", "Accept": accept},
        )
        assert r.status_code < 500, (at, text, r.text[:300])
        if at in CREDENTIALS and text:
            assert r.status_code == 422, (at, text)
            assert [e["loc"][-1] for e in r.json()["detail"]] == [at[-1]]

    check()


def _query_operations(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    found.append((method, path, parameter["name"]))
    return found


def test_every_query_and_path_parameter_answers_below_500(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    operations = [op for op in _query_operations(spec) if op[0] == "get"]
    assert len(operations) >= 5

    @FUZZ
    @given(st.sampled_from(operations), HOSTILE, st.booleans())
    def check(operation: tuple[str, str, str], text: str, bad_utf8: bool) -> None:
        _method, path, name = operation
        encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
        if bad_utf8:
            encoded += "%ED%A0%80%FF"  # a UTF-8-encoded surrogate, and a byte UTF-8 never has
        if "{" + name + "}" in path:
            url = path.replace("{" + name + "}", encoded or "x")
        else:
            url = f"{path}?{name}={encoded}"
        url = url.replace("{domain}", "mail.test").replace("{provider_id}", "qq")
        r = api.get(url)
        assert r.status_code < 500, (url, r.text[:300])

    check()
