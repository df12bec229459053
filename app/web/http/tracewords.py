"""The discovery trace in words: what each attempt found, for any page language.

An :class:`~app.models.Attempt` carries its outcome as a code, and its ``detail`` as the
technical English the discovery and network code wrote (the API shows both as they
are). Pages show the outcome in the visitor's language; the raw text stays in the page
only as an English aside.
"""

from __future__ import annotations

from app.i18n import N_
from app.models import Attempt, Source, TraceOutcome

SOURCE_SHORT_LABELS = {
    Source.DATABASE: N_("Our database"),
    Source.AUTOCONFIG: N_("The domain's autoconfig"),
    Source.ISPDB: N_("Thunderbird ISPDB"),
    Source.ISPDB_SNAPSHOT: N_("ISPDB snapshot"),
    Source.MX: N_("MX records"),
    Source.SRV: N_("SRV records"),
    Source.GUESS_VERIFIED: N_("Guess and check"),
}

# Each outcome in words, for the trace table and the progress of a discovery.
OUTCOME_WORDS: dict[TraceOutcome, str] = {
    TraceOutcome.FOUND: N_("found"),
    TraceOutcome.FOUND_PARTLY: N_("found; some servers in it were unusable and left out"),
    TraceOutcome.MX_KNOWN: N_("found: the MX host belongs to a known provider"),
    TraceOutcome.MX_UNKNOWN: N_("the MX host belongs to no known provider"),
    TraceOutcome.CONFIRMED: N_("confirmed: the server answered as expected"),
    TraceOutcome.NO_SUCH_NAME: N_("the name does not exist in DNS"),
    TraceOutcome.NO_RECORDS: N_("no such DNS records"),
    TraceOutcome.NOT_LISTED: N_("the domain is not listed there"),
    TraceOutcome.DNS_TIMEOUT: N_("no DNS answer in time, so we cannot say whether records exist"),
    TraceOutcome.DNS_FAILED: N_("the DNS lookup failed"),
    TraceOutcome.HOST_UNRESOLVED: N_("the host name could not be resolved"),
    TraceOutcome.NOT_FOUND: N_("not found (HTTP 404)"),
    TraceOutcome.HTTP_ERROR: N_("the web server answered with an error"),
    TraceOutcome.TIMEOUT: N_("no answer in time"),
    TraceOutcome.TLS_FAILED: N_("the secure connection (TLS) failed"),
    TraceOutcome.CONNECTION_FAILED: N_("the connection failed"),
    TraceOutcome.BLOCKED: N_("the address is not a public one, so we did not connect"),
    TraceOutcome.REDIRECTS: N_("too many or unsafe redirects"),
    TraceOutcome.TOO_LARGE: N_("the answer was too large"),
    TraceOutcome.INVALID: N_("the file was not valid autoconfig"),
    TraceOutcome.NOT_MAIL: N_("the server did not answer as a mail server"),
    TraceOutcome.NO_STARTTLS: N_("the server does not offer STARTTLS"),
    TraceOutcome.CUT_OFF: N_("no answer before the deadline"),
    TraceOutcome.NOT_NEEDED: N_("not needed: a better source had already answered"),
}
# Outcomes whose words say all there is: no technical detail beside them.
SELF_EXPLAINED = frozenset({TraceOutcome.CONFIRMED, TraceOutcome.CUT_OFF, TraceOutcome.NOT_NEEDED})


def source_short_label(source: Source) -> str:
    """The gettext msgid naming a discovery source in a table cell."""
    return SOURCE_SHORT_LABELS[source]


def attempt_outcome(attempt: Attempt) -> str:
    """The gettext msgid saying what ``attempt`` found or why it failed."""
    return OUTCOME_WORDS[attempt.outcome]


def outcome_says_it_all(attempt: Attempt) -> bool:
    """True when the detail adds nothing worth showing beside the outcome."""
    return not attempt.detail or attempt.outcome in SELF_EXPLAINED
