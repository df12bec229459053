"""The live tester: guarded connections, bounded sessions, read-only POP3/IMAP/SMTP
dialogues, TLS inspection, and a diagnosis of every failure."""

from app.net.guard import Connector, Guard, Resolver, SystemResolver
from app.probe.account import AccountFacts
from app.probe.diagnose import diagnose
from app.probe.report import (
    AuthStatus,
    Code,
    Finding,
    Mechanism,
    ProbeResult,
    Severity,
    TLSInfo,
)
from app.probe.tester import probe
from app.probe.wording import render

__all__ = [
    "AccountFacts",
    "AuthStatus",
    "Code",
    "Connector",
    "Finding",
    "Guard",
    "Mechanism",
    "ProbeResult",
    "Resolver",
    "Severity",
    "SystemResolver",
    "TLSInfo",
    "diagnose",
    "probe",
    "render",
]
