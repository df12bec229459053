"""The discovery trace in words: what each attempt found, for any page language.

An :class:`~app.models.Attempt` keeps its ``detail`` as the technical English the
discovery and network code wrote (the API shows it as is). Pages show a short
gettext-marked outcome instead, recognised from that text; the raw text stays in
the page only as an English aside.
"""

from __future__ import annotations

import re

from app.i18n import N_
from app.models import Attempt, Source

SOURCE_SHORT_LABELS = {
    Source.DATABASE: N_("Our database"),
    Source.AUTOCONFIG: N_("The domain's autoconfig"),
    Source.ISPDB: N_("Thunderbird ISPDB"),
    Source.MX: N_("MX records"),
    Source.SRV: N_("SRV records"),
    Source.GUESS_VERIFIED: N_("Guess and check"),
}

# (pattern in the detail, outcome); the first match wins, so the specific come first.
_OUTCOMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), words)
    for pattern, words in (
        (r"belongs to ", N_("found: the MX host belongs to a known provider")),
        (r"no known provider", N_("the MX host belongs to no known provider")),
        (r"^dropped: ", N_("found; some servers in it were unusable and left out")),
        (r"^found ", N_("found")),
        (r"^confirmed$", N_("confirmed: the server answered as expected")),
        (r"name or service not known|nodename|name does not resolve|getaddrinfo",
         N_("the host name could not be resolved")),
        (r"does not exist|NXDOMAIN", N_("the name does not exist in DNS")),
        (r"has no \S+ records|no SRV records|has no address", N_("no such DNS records")),
        (r"no DNS answer|DNS failed|DNS error", N_("the DNS lookup failed")),
        (r"timed out|timeout", N_("no answer in time")),
        (r"refused", N_("the connection was refused")),
        (r"SSL|TLS|certificate", N_("the secure connection (TLS) failed")),
        (r"answered HTTP 404|answered HTTP 410", N_("not found (HTTP 404)")),
        (r"answered HTTP", N_("the web server answered with an error")),
        (r"redirect", N_("too many or unsafe redirects")),
        (r"bytes", N_("the answer was too large")),
        (r"XML|clientConfig|emailProvider|socketType|hostname|port number|username:",
         N_("the file was not valid autoconfig")),
        (r"routable|global unicast|embeds|not allowed|blocked",
         N_("the address is not a public one, so we did not connect")),
        (r"connect|unreachable|reset|closed", N_("the connection failed")),
    )
)  # fmt: skip


def source_short_label(source: Source) -> str:
    """The gettext msgid naming a discovery source in a table cell."""
    return SOURCE_SHORT_LABELS[source]


def attempt_outcome(attempt: Attempt) -> str:
    """The gettext msgid saying what ``attempt`` found or why it failed."""
    for pattern, words in _OUTCOMES:
        if pattern.search(attempt.detail):
            return words
    if attempt.ok:
        return N_("found")
    return N_("nothing found") if not attempt.detail else N_("failed")


def outcome_says_it_all(attempt: Attempt) -> bool:
    """True when the detail adds nothing worth showing beside the outcome."""
    return not attempt.detail or attempt.detail == "confirmed"
