"""What one discovery attempt came to, as a stable code shared by discovery, the API and
the pages (which word it in the visitor's language)."""

from __future__ import annotations

from enum import StrEnum


class TraceOutcome(StrEnum):
    """What one discovery attempt came to, as a stable code (pages word it per language)."""

    FOUND = "found"
    FOUND_PARTLY = "found-partly"  # some servers in the document were unusable
    MX_KNOWN = "mx-known-provider"
    MX_UNKNOWN = "mx-unknown-provider"
    CONFIRMED = "confirmed"  # a guessed server answered as its protocol
    NO_SUCH_NAME = "no-such-name"  # NXDOMAIN
    NO_RECORDS = "no-records"  # the name exists, without records of the type asked
    NOT_LISTED = "not-listed"  # a list (the ISPDB snapshot) has no entry for the domain
    DNS_TIMEOUT = "dns-timeout"  # no DNS answer in time: says nothing about the records
    DNS_FAILED = "dns-failed"  # SERVFAIL, REFUSED or no nameserver answered
    HOST_UNRESOLVED = "host-unresolved"
    NOT_FOUND = "not-found"  # HTTP 404 or 410
    HTTP_ERROR = "http-error"
    TIMEOUT = "timeout"  # a connection or a document that did not come in time
    TLS_FAILED = "tls-failed"
    CONNECTION_FAILED = "connection-failed"
    BLOCKED = "blocked"  # not a public address: the guard did not connect
    REDIRECTS = "redirects"
    TOO_LARGE = "too-large"
    INVALID = "invalid"  # not a valid autoconfig document
    NOT_MAIL = "not-mail"  # a guessed server that did not greet as its protocol
    NO_STARTTLS = "no-starttls"
    CUT_OFF = "cut-off"  # still waiting when discovery's deadline came
    NOT_NEEDED = "not-needed"  # stopped once a better source had answered
