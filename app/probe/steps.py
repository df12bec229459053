"""The names of a probe's steps and of the ways its connection turns to TLS, as results,
the NDJSON stream and the findings show them."""

from __future__ import annotations

from enum import StrEnum


class StepName(StrEnum):
    """A step of a dialogue (:meth:`app.probe.recorder.StepRecorder.step`)."""

    CONNECT = "connect"
    TLS = "tls"  # the handshake on an implicit-TLS port
    GREETING = "greeting"
    STARTTLS = "starttls"
    CAPABILITY = "capability"  # IMAP
    CAPA = "capa"  # POP3
    EHLO = "ehlo"  # SMTP
    EHLO_TLS = "ehlo-tls"  # SMTP, again after STARTTLS
    LOGIN = "login"  # every protocol's step that sends the credentials
    ID = "id"  # IMAP
    EXAMINE = "examine"  # IMAP
    STAT = "stat"  # POP3
    LOGOUT = "logout"  # IMAP
    QUIT = "quit"
    PEEK = "peek"  # a second look after a failure (app.probe.explain)
    PEEK_TLS = "peek-tls"
    CAPABILITIES = "capabilities"  # discovery's check of a guessed server
    QUEUE = "queue"  # waiting for a free slot, when the service is busy


class TlsVia(StrEnum):
    """How the connection turned to TLS (:attr:`app.probe.report.TLSInfo.via`)."""

    IMPLICIT = "implicit"
    STARTTLS = "starttls"
