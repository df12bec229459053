"""Prometheus metrics: requests, live-test outcomes, probe durations, discovery sources.

Labels are bounded and never hold an address, a path with user data or a
credential: requests are labelled with their route template (``/setup``,
``/api/v1/providers/{provider_id}``), tests with protocol and finding code.

Several worker processes: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
shared by the workers (before they start); ``/metrics`` then adds up every
worker's values. Without it, each process exposes only its own.
"""

from __future__ import annotations

import functools
import os
from enum import StrEnum

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"

REQUESTS = Counter(
    "mailsetup_http_requests",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "mailsetup_http_request_duration_seconds",
    "Time to the end of the response, by route template.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TEST_RESULTS = Counter(
    "mailsetup_test_results",
    "Servers tested live, by protocol and verdict.",
    ["protocol", "ok"],
)
TEST_FINDINGS = Counter(
    "mailsetup_test_findings",
    "Findings of live tests, by finding code and severity.",
    ["code", "severity"],
)
PROBE_SECONDS = Histogram(
    "mailsetup_probe_duration_seconds",
    "Duration of one server's live test, by protocol.",
    ["protocol"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
SERVICE_OFFLINE = Counter(
    "mailsetup_test_service_offline",
    "Live tests whose servers the service could not reach itself, by the evidence "
    "(database-host: a server from the provider database; every-server: all failed alike).",
    ["evidence"],
)
DISCOVERIES = Counter(
    "mailsetup_discoveries",
    "Discoveries by the source that answered (none: nothing found) and whether cached.",
    ["source", "cached"],
)
RATE_LIMITED = Counter(
    "mailsetup_rate_limited",
    "Requests refused by a rate limit, by limit.",
    ["limit"],
)

SHARED_STATE_ERRORS = Counter(
    "mailsetup_shared_state_errors",
    "Redis failures, by what fell back (rate-limit: to memory, cache: to a miss).",
    ["store"],
)


class Store(StrEnum):
    """What kept its state in Redis: the ``store`` label of a shared-state error."""

    CACHE = "cache"  # the discovery cache
    RATE_LIMIT = "rate-limit"
    LEASE = "lease"  # one running test per login


# Labelled children are looked up once, not per request. The caches are bounded:
# routes are templates, methods a fixed set (else OTHER), statuses three digits.
@functools.cache
def _request_children(route: str, method: str, status: int) -> tuple[Counter, Histogram]:
    return REQUESTS.labels(route, method, str(status)), REQUEST_SECONDS.labels(route)


def request_done(route: str, method: str, status: int, seconds: float) -> None:
    count, duration = _request_children(route, method if method in METHODS else "OTHER", status)
    count.inc()
    duration.observe(seconds)


def tested(protocol: str, ok: bool, seconds: float, findings: list[tuple[str, str]]) -> None:
    """One server's live test: its verdict, duration and (code, severity) findings."""
    TEST_RESULTS.labels(protocol, str(ok).lower()).inc()
    PROBE_SECONDS.labels(protocol).observe(seconds)
    for code, severity in findings:
        TEST_FINDINGS.labels(code, severity).inc()


def service_offline(evidence: str) -> None:
    """A live test that could not reach the mail servers through the service's own fault."""
    SERVICE_OFFLINE.labels(evidence).inc()


@functools.cache  # sources x cached: bounded
def _discovery_child(source: str | None, cached: bool) -> Counter:
    return DISCOVERIES.labels(source or "none", str(cached).lower())


def discovered(source: str | None, cached: bool) -> None:
    _discovery_child(source, cached).inc()


def rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


def shared_state_error(store: Store) -> None:
    SHARED_STATE_ERRORS.labels(store).inc()


def exposition() -> tuple[bytes, str]:
    """The text exposition and its content type; every worker's sum in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
