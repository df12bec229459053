"""Helpers shared by the tests that probe real servers."""

from __future__ import annotations

import re
from typing import Any

from app.models import Protocol, Security, ServerEndpoint
from app.probe import ProbeResult, probe
from app.probe.report import Direction
from app.settings import Settings
from tests.servers import USERS

from .conftest import FakeResolver

ALICE = "alice@mail.test"


async def run(
    ports: dict[str, int],
    settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
    username: str = ALICE,
    password: str | None = None,
    host: str = "mail.test",
    **kwargs: Any,
) -> ProbeResult:
    ep = ServerEndpoint(protocol=protocol, host=host, port=ports[listener], security=security)
    resolver = kwargs.pop("resolver", None) or FakeResolver({host: ["127.0.0.1"]})
    secret = USERS[username] if password is None else password
    return await probe(ep, username, secret, settings=settings, resolver=resolver, **kwargs)


def client_verbs(result: ProbeResult) -> set[str]:
    lines = [e.line for e in result.transcript if e.direction is Direction.CLIENT]
    words = [line.split() for line in lines if line.split() and line != "********"]
    # IMAP lines start with a tag; literal continuations and SASL payloads are not verbs.
    return {w[1] if re.fullmatch(r"a\d+", w[0]) else w[0] for w in words if w[0] != "********"}
