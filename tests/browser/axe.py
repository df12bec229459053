"""axe-core in the browser tests: run its rules on the page as it stands, and explain
what it found. The engine is vendored (``vendor/axe-core``), checked by its published
integrity before use, and put into the page through the browser's debugging protocol,
so the page's own Content-Security-Policy stays as the service sends it."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
VERSION = "4.14.1"
INTEGRITY = "sha256-KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="
# Every rule axe runs by default (WCAG 2.0-2.2 A and AA and its best practices).
RUN = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
TIMEOUT = 60.0  # seconds; a page with JavaScript off never answers at all


@functools.cache
def engine() -> str:
    data = AXE.read_bytes()
    digest = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    if digest != INTEGRITY:
        raise RuntimeError(f"{AXE} is not axe-core {VERSION} ({digest})")
    return data.decode("utf-8")


async def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on ``page`` (a playwright page in a context with JavaScript on)."""

    async def run() -> list[dict[str, Any]]:
        if not await page.evaluate("typeof window.axe === 'object'"):
            await page.evaluate(engine())
        found: list[dict[str, Any]] = await page.evaluate(RUN)
        return found

    return await asyncio.wait_for(run(), TIMEOUT)


def report(found: list[dict[str, Any]]) -> str:
    """One line per violation and element: rule, impact, where, and axe's reason."""
    lines = []
    for v in found:
        for node in v["nodes"]:
            why = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"{v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}: {why}")
    return "\n".join(lines)
