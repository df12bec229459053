"""Metrics, health probes and logs: labelled by route template, never holding user data."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from app.logging_setup import JsonFormatter, RequestIdFilter, configure_logging, request_id
from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from tests.hardening.conftest import MakeClient
from tests.realservers import free_tcp_port


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when absent)."""
    for line in text.splitlines():
        matched = re.fullmatch(re.escape(name) + r"\{(.*)\} (\S+)", line)
        if matched is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', matched.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(matched.group(2))
    return 0.0


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    await client.get("/api/v1/providers/qq.com")
    await client.get("/api/v1/lookup?email=alice.secretname@qq.com")
    await client.get("/nowhere/bob.secretname@example.com")
    await client.get("/static/style.css")
    await client.get("/Autodiscover/Autodiscover.json?Protocol=AutodiscoverV1")
    await client.get("/mail/config-v1.1.xml?emailaddress=carol.secretname@qq.com")  # a hot route
    r = await client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    after = r.text
    name = "mailsetup_http_requests_total"
    for route, status in (
        ("/api/v1/providers/{provider_id}", "200"),
        ("/api/v1/lookup", "200"),
        ("<unmatched>", "404"),
        ("/static/{path}", "200"),
        ("/autodiscover/autodiscover.json", "200"),
        ("/mail/config-v1.1.xml", "200"),
    ):
        labels = {"route": route, "method": "GET", "status": status}
        assert sample(after, name, **labels) == sample(before, name, **labels) + 1, route
    assert "secretname" not in after
    assert "qq.com" not in after
    assert sample(after, "mailsetup_discoveries_total", source="database", cached="false") >= 1


async def test_live_test_outcomes_are_counted_by_finding_code(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    servers = [{"protocol": "imap", "host": "192.0.2.1", "port": 993, "security": "tls"}]
    body = {"email": "someone@mail.test", "password": "hunter2-secret", "servers": servers}
    r = await client.post("/api/v1/test", json=body)
    assert r.json()["results"][0]["findings"][0]["code"] == "guard-refused"
    after = (await client.get("/metrics")).text
    code = {"code": "guard-refused", "severity": "error"}
    assert sample(after, "mailsetup_test_findings_total", **code) == (
        sample(before, "mailsetup_test_findings_total", **code) + 1
    )
    results = {"protocol": "imap", "ok": "false"}
    assert sample(after, "mailsetup_test_results_total", **results) == (
        sample(before, "mailsetup_test_results_total", **results) + 1
    )
    count = {"protocol": "imap"}
    assert sample(after, "mailsetup_probe_duration_seconds_count", **count) == (
        sample(before, "mailsetup_probe_duration_seconds_count", **count) + 1
    )
    assert "hunter2" not in after
    assert "someone" not in after


async def test_metrics_can_be_turned_off(make_client: MakeClient) -> None:
    c = await make_client(metrics=False)
    assert (await c.get("/metrics")).status_code == 404


async def test_health_and_readiness(make_client: MakeClient, redis_url: str) -> None:
    plain = await make_client()
    assert (await plain.get("/healthz")).json() == {"status": "ok"}
    ready = await plain.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"data": True})
    shared = await make_client(redis_url=redis_url)
    ready = await shared.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"data": True, "redis": True})
    down = await make_client(redis_url=f"redis://127.0.0.1:{free_tcp_port()}/0")
    ready = await down.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        503,
        {"status": "not ready", "checks": {"data": True, "redis": False}},
    )
    assert (await down.get("/healthz")).status_code == 200  # alive, just not ready
    # Redis away: lookups still work (the cache misses, the limits count in memory).
    assert (await down.get("/api/v1/lookup?domain=gw.test")).status_code == 200


def test_json_log_lines() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord("app.x", logging.INFO, __file__, 1, "hello %s", ("wörld",), None)
    record.route = "/setup"
    token = request_id.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "hello wörld"
    assert (entry["level"], entry["logger"], entry["request_id"]) == ("info", "app.x", "abc")
    assert entry["route"] == "/setup"
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(formatter.format(record))["exception"]


def test_configure_logging_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    try:
        configure_logging(Settings(log_format="json", log_level="warning"))
        handler = configure_logging(Settings(log_format="json", log_level="warning"))
        ours = [h for h in root.handlers if getattr(h, "mailsetup", False)]
        assert ours == [handler]
        assert foreign in root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        assert logging.getLogger("uvicorn.access").disabled
    finally:
        root.removeHandler(foreign)
        configure_logging(Settings())


async def test_an_unhandled_error_is_logged_with_its_request_id(
    settings: Settings, db: ProviderDB, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, db=db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/boom", headers={"X-Request-ID": "trace-me"})
    assert r.status_code == 500
    errors = [rec for rec in caplog.records if rec.name == "app.access" and rec.exc_info]
    assert errors
    assert errors[0].request_id == "trace-me"  # type: ignore[attr-defined]
    access = [rec for rec in caplog.records if getattr(rec, "status", None) == 500]
    assert access
    assert access[0].route == "/boom"  # type: ignore[attr-defined]
