"""The texts the pages show for codes."""

from __future__ import annotations

from app.discovery.service import DiscoveryFinding
from app.web.http.templating import FINDING_LABELS


def test_every_discovery_finding_has_a_text() -> None:
    missing = sorted(set(DiscoveryFinding) - set(FINDING_LABELS))
    assert not missing, f"give these a text in FINDING_LABELS: {missing}"
