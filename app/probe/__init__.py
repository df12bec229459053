"""The live tester: guarded connections, bounded sessions, read-only POP3/IMAP/SMTP dialogues."""

from app.probe.guard import Connector, Guard, Resolver, SystemResolver
from app.probe.report import AuthStatus, Mechanism, ProbeResult
from app.probe.tester import probe

__all__ = [
    "AuthStatus",
    "Connector",
    "Guard",
    "Mechanism",
    "ProbeResult",
    "Resolver",
    "SystemResolver",
    "probe",
]
