"""What discovery noticed on the way, beside the settings it found."""

from __future__ import annotations

from enum import StrEnum


class DiscoveryFinding(StrEnum):
    """A finding's code, as the API, the CLI and the pages show it."""

    DOMAIN_NOT_FOUND = "domain-not-found"  # NXDOMAIN for the domain's MX
    NO_MX = "no-mx"  # the domain exists but has no MX records
    INSECURE_AUTOCONFIG = "insecure-autoconfig"  # the best answer came over plain HTTP
    DISCOVERY_DEADLINE = "discovery-deadline"  # some sources were cut off by the deadline
    GUESS_DEADLINE = "guess-deadline"  # the guesses were cut off by the deadline
