"""Metrics, health probes and logs: labelled by route template, never holding user data."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from app import logging_setup
from app.logging_setup import JsonFormatter, RequestIdFilter, configure_logging, request_id
from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http import context
from app.web.http.context import RequestInfo, log_request
from tests.hardening.conftest import MakeClient
from tests.realservers import free_tcp_port

SECRET = "one secret for every instance"  # required with Redis


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
    await client.get("/mail/config-v1.1.xml?emailaddress=carol.secretname@qq.com")  # lean route
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
    shared = await make_client(redis_url=redis_url, secret_key=SECRET)
    ready = await shared.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"data": True, "redis": True})
    down = await make_client(redis_url=f"redis://127.0.0.1:{free_tcp_port()}/0", secret_key=SECRET)
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
    # FastAPI's error handler answers inside the edge: the 500 is labelled like the rest.
    assert r.headers["x-request-id"] == "trace-me"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    errors = [rec for rec in caplog.records if rec.name == "app.access" and rec.exc_info]
    assert errors
    assert errors[0].request_id == "trace-me"  # type: ignore[attr-defined]
    access = [rec for rec in caplog.records if getattr(rec, "status", None) == 500]
    assert access
    assert access[0].route == "/boom"  # type: ignore[attr-defined]


def test_json_times_are_iso_8601_utc_with_microseconds() -> None:
    formatter = JsonFormatter()
    assert formatter._time(1700000000.123456) == "2023-11-14T22:13:20.123456+00:00"
    assert formatter._time(1700000001.0) == "2023-11-14T22:13:21.000000+00:00"
    assert formatter._time(1700000001.9999996) == "2023-11-14T22:13:21.999999+00:00"


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """The service's JSON logging to the captured stderr, and nothing else on the path."""
    root = logging.getLogger()
    others = [h for h in root.handlers if not getattr(h, "mailsetup", False)]
    for handler in others:  # pytest's own capturing handlers
        root.removeHandler(handler)
    configure_logging(Settings(log_format="json"))
    capsys.readouterr()
    try:
        yield capsys
    finally:
        for handler in others:
            root.addHandler(handler)
        configure_logging(Settings())


def test_the_direct_access_line_is_the_formatters_line(
    json_logs: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The access line skips the LogRecord machinery when only the service's handler
    would see it; it must be the very line that machinery would have written."""
    info = RequestInfo("rid-1", "192.0.2.7", False, "/mail/config-v1.1.xml")
    monkeypatch.setattr(logging_setup.time, "time", lambda: 1700000000.5)

    def no_record(*args: object, **kwargs: object) -> None:
        pytest.fail("the access line went through a LogRecord, not the direct path")

    monkeypatch.setattr(context.access_log, "info", no_record)
    root = logging.getLogger()
    # pytest attaches its capturing handlers for the test's own phase after the fixtures
    # ran: take them off too, or the line (rightly) goes the LogRecord way.
    others = [h for h in root.handlers if not getattr(h, "mailsetup", False)]
    for handler in others:
        root.removeHandler(handler)
    token = request_id.set(info.id)
    try:
        log_request("GET", info, 200, 0.00042)
    finally:
        request_id.reset(token)
        for handler in others:
            root.addHandler(handler)
    direct = json_logs.readouterr().err
    # The same line through a LogRecord, as any other handler would get it.
    record = logging.getLogger("app.access").makeRecord(
        "app.access",
        logging.INFO,
        __file__,
        1,
        "GET /mail/config-v1.1.xml 200 0.4 ms",
        (),
        None,
        extra={
            "method": "GET",
            "route": info.route,
            "status": 200,
            "duration_ms": 0.4,
            "client": info.client,
            "request_id": info.id,
        },
    )
    record.created = 1700000000.5
    assert direct == JsonFormatter().format(record) + "\n"
    assert json.loads(direct)["request_id"] == "rid-1"


def test_another_handler_gets_real_access_records(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    access = logging.getLogger("app.access")
    access.addHandler(keep)
    try:
        log_request("GET", RequestInfo("rid-2", "192.0.2.8", False, "/healthz"), 200, 0.001)
    finally:
        access.removeHandler(keep)
    assert [(r.getMessage(), r.route) for r in seen] == [("GET /healthz 200 1.0 ms", "/healthz")]  # type: ignore[attr-defined]
    lines = json_logs.readouterr().err.splitlines()
    assert len(lines) == 1  # the service's handler wrote it once, through the record
    assert json.loads(lines[0])["route"] == "/healthz"


def test_no_access_line_below_the_log_level(json_logs: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json", log_level="warning"))
    log_request("GET", RequestInfo("rid-3", "192.0.2.9", False, "/healthz"), 200, 0.001)
    assert json_logs.readouterr().err == ""
