"""``mailsetup verify-data``, the pure half: which endpoints the provider database lists,
what a server's capabilities say about the sign-in methods, and how what a connection
saw compares with what the record says. No I/O here; :mod:`app.livetest.recheck`
connects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from app.models import AuthMethod, Protocol, Security
from app.probe.report import Reason
from app.providers.schema import ProviderRecord
from app.providers.snapshot import IspdbSnapshot, fill_host

EXPIRY_WARNING_DAYS = 14
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the certificate is for another name.
HOSTNAME_MISMATCH = 62

PASSWORD_LIKE = frozenset(
    {AuthMethod.PASSWORD, AuthMethod.APP_PASSWORD, AuthMethod.AUTHORIZATION_CODE}
)
PASSWORD_MECHANISMS = frozenset({"PLAIN", "LOGIN"})
OAUTH_MECHANISMS = frozenset({"XOAUTH2", "OAUTHBEARER"})
# Password logins outside SASL: IMAP's LOGIN command and POP3's USER/PASS.
IMAP_LOGIN_COMMAND = "LOGIN-COMMAND"
POP3_USER_COMMAND = "USER"


class Check(StrEnum):
    """One endpoint's result; the JSON report's ``status``."""

    OK = "ok"
    UNRESOLVED = "host-unresolved"
    REFUSED = "connection-refused"
    TIMEOUT = "timed-out"
    UNREACHABLE = "connection-failed"
    TLS_MODE = "tls-mode-differs"
    CERT_INVALID = "certificate-invalid"
    CERT_NAME = "certificate-wrong-name"
    CERT_EXPIRING = "certificate-expiring"
    AUTH_DIFFERS = "auth-differs"
    NOT_MAIL = "not-mail"
    BLOCKED = "blocked"
    FAILED = "failed"


# The results that say only that nothing could be reached.
NETWORK = frozenset({Check.UNRESOLVED, Check.REFUSED, Check.TIMEOUT, Check.UNREACHABLE})

_BY_REASON: dict[Reason, Check] = {
    Reason.GUARD_REFUSED: Check.BLOCKED,
    Reason.DNS_NOT_FOUND: Check.UNRESOLVED,
    Reason.DNS_TIMEOUT: Check.UNRESOLVED,
    Reason.CONNECT_REFUSED: Check.REFUSED,
    Reason.CONNECT_TIMEOUT: Check.TIMEOUT,
    Reason.CONNECT_FAILED: Check.UNREACHABLE,
    Reason.SILENT: Check.TIMEOUT,
    Reason.SLOW: Check.TIMEOUT,
    Reason.PORT_PLAINTEXT: Check.TLS_MODE,
    Reason.PORT_NEEDS_TLS: Check.TLS_MODE,
    Reason.STARTTLS_NOT_OFFERED: Check.TLS_MODE,
    Reason.STARTTLS_REFUSED: Check.TLS_MODE,
    Reason.WRONG_PROTOCOL: Check.NOT_MAIL,
    Reason.PROTOCOL_VIOLATION: Check.NOT_MAIL,
}


@dataclass(frozen=True)
class Target:
    """One distinct endpoint and every record that lists it."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    auth: frozenset[AuthMethod]
    providers: tuple[str, ...]
    curated: bool  # a curated record lists it, not only the ISPDB snapshot


@dataclass(frozen=True)
class Observed:
    """What one connection saw; ``reason`` is None when every step worked."""

    reason: Reason | None = None
    message: str = ""
    verify_code: int | None = None
    not_after: dt.datetime | None = None
    mechanisms: tuple[str, ...] = ()
    capabilities_read: bool = False


@dataclass(frozen=True)
class Result:
    target: Target
    check: Check
    detail: str
    not_after: dt.datetime | None = None
    mechanisms: tuple[str, ...] = field(default=())

    @property
    def contradicts_record(self) -> bool:
        return self.check is not Check.OK and self.target.curated


Key = tuple[Protocol, str, int, Security]


def targets(records: Iterable[ProviderRecord], snapshot: IspdbSnapshot | None) -> list[Target]:
    """Every distinct (protocol, host, port, security) of the records and the snapshot."""
    found: dict[Key, tuple[set[AuthMethod], list[str], bool]] = {}

    def add(key: Key, auth: Iterable[AuthMethod], provider: str, curated: bool) -> None:
        methods, providers, was_curated = found.setdefault(key, (set(), [], False))
        methods.update(auth)
        if provider not in providers:
            providers.append(provider)
        found[key] = (methods, providers, was_curated or curated)

    for record in records:
        for server in record.servers:
            key = (server.protocol, server.host.lower(), server.port, server.security)
            add(key, server.auth, record.id, True)
    for entry in snapshot.providers if snapshot is not None else ():
        for s in entry.servers:
            hosts = {fill_host(s.host, domain).lower() for domain in entry.domains}
            for host in sorted(hosts):
                add((s.protocol, host, s.port, s.security), s.auth, f"ispdb:{entry.id}", False)
    return [
        Target(p, h, port, sec, frozenset(auth), tuple(providers), curated)
        for (p, h, port, sec), (auth, providers, curated) in sorted(found.items())
    ]


def mechanisms(protocol: Protocol, lines: Iterable[str]) -> tuple[str, ...]:
    """The sign-in mechanisms a CAPABILITY, CAPA or EHLO response offers, upper case;
    IMAP's LOGIN command and POP3's USER appear as :data:`IMAP_LOGIN_COMMAND` and
    :data:`POP3_USER_COMMAND`."""
    offered: list[str] = []
    login_disabled = False
    lines = list(lines)
    for line in lines:
        words = line.upper().split()
        if protocol is Protocol.IMAP:
            login_disabled |= "LOGINDISABLED" in words
            offered += [w[5:] for w in words if w.startswith("AUTH=")]
        elif protocol is Protocol.POP3:
            if words[:1] == ["SASL"]:
                offered += words[1:]
            elif words == ["USER"]:
                offered.append(POP3_USER_COMMAND)
        else:
            text = line[4:].upper() if line[:3].isdigit() else line.upper()
            parts = text.replace("=", " ", 1).split()
            if parts[:1] == ["AUTH"]:
                offered += parts[1:]
    if protocol is Protocol.IMAP and not login_disabled:
        offered.append(IMAP_LOGIN_COMMAND)
    return tuple(dict.fromkeys(offered))


def missing_auth(auth: Iterable[AuthMethod], offered: Iterable[str]) -> list[str]:
    """The record's sign-in methods the server offers no mechanism for."""
    have = set(offered)
    password = PASSWORD_MECHANISMS | {IMAP_LOGIN_COMMAND, POP3_USER_COMMAND}
    missing = []
    methods = set(auth)
    if methods & PASSWORD_LIKE and not have & password:
        missing.append("password (PLAIN or LOGIN)")
    if AuthMethod.OAUTH2 in methods and not have & OAUTH_MECHANISMS:
        missing.append("oauth2 (XOAUTH2 or OAUTHBEARER)")
    return missing


def judge(target: Target, seen: Observed, now: dt.datetime) -> Result:
    """The one result for ``target``: the first problem, else certificate expiry and auth."""
    mechs = seen.mechanisms

    def result(check: Check, detail: str) -> Result:
        return Result(target, check, detail, seen.not_after, mechs)

    if seen.reason is not None:
        if seen.reason is Reason.TLS_CERTIFICATE:
            if seen.verify_code == HOSTNAME_MISMATCH:
                return result(Check.CERT_NAME, f"certificate is not for {target.host}")
            return result(Check.CERT_INVALID, seen.message)
        return result(_BY_REASON.get(seen.reason, Check.FAILED), seen.message)
    if seen.not_after is not None:
        days = (seen.not_after - now).days
        if days < EXPIRY_WARNING_DAYS:
            day = seen.not_after.date().isoformat()
            return result(Check.CERT_EXPIRING, f"certificate expires on {day} ({days} days)")
    if seen.capabilities_read:
        missing = missing_auth(target.auth, mechs)
        if missing:
            shown = ", ".join(mechs) or "none"
            return result(
                Check.AUTH_DIFFERS,
                f"record says {', '.join(missing)}; server offers {shown}",
            )
    return result(Check.OK, "")


def offline(results: Iterable[Result]) -> bool:
    """Whether nothing could be reached at all: every endpoint failed at the network."""
    checks = [r.check for r in results]
    return bool(checks) and all(c in NETWORK for c in checks)
