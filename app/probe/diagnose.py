"""Explain a probe: turn a :class:`ProbeResult` into findings with stable codes,
plain-language messages and concrete fixes. Pure: no I/O, no clock.

The texts live in :mod:`app.probe.catalogue`. When the account's provider is
known (an :class:`AccountConfig` or a :class:`ProviderRecord`), login failures
are read in its light (QQ wants an authorization code, Outlook.com OAuth2 …)
and the fix is that provider's own steps, in the language asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app.models import Security, Step
from app.probe.account import Account, AccountFacts
from app.probe.catalogue import CATALOGUE, FOLLOW_STEPS, LOGIN_WORKED, SOME_PROVIDER, pick
from app.probe.report import (
    AuthStatus,
    Code,
    Finding,
    Mechanism,
    NotAttempted,
    ProbeResult,
    Reason,
    Severity,
    TLSInfo,
    TLSPolicy,
)
from app.probe.tls import (
    CERT_NOT_YET_VALID,
    EXPIRY_WARNING_DAYS,
    OUTDATED_VERSIONS,
    certificate_problem,
)

# What servers say, and what it means (providers' own error texts). First match wins.
SERVER_SAYS: tuple[tuple[re.Pattern[str], Code], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), code)
    for pattern, code in (
        (r"unsafe login", Code.UNSAFE_LOGIN),  # NetEase IMAP, SELECT/EXAMINE without ID
        (r"weixin token|wechat", Code.AUTH_WECHAT_SECURE_LOGIN),  # Tencent Exmail
        (r"ipdeny", Code.LOGIN_IP_DENIED),  # NetEase enterprise ERR.LOGIN.IPDENY
        (
            r"secure connection is requi|privacyrequired|plaintext auth\w* (is )?disallowed"
            r"|must issue a starttls|encryption required|use starttls first",
            Code.PLAINTEXT_LOGIN_REFUSED,  # QQ's "requiered", Dovecot, RFC 3207, RFC 4954 538,
            # GNU Mailutils
        ),
        (r"authori[sz](ed|ation) code|授权码|授权密码", Code.AUTH_NEEDS_AUTHORIZATION_CODE),  # QQ
        (
            r"service is not open|not enabled for (imap|pop)|enable (your account for )?"
            r"(imap|pop)|smtpclientauthentication is disabled|服务未开启",
            Code.SERVICE_DISABLED,  # QQ, Gmail POP, Microsoft 365 SMTP AUTH
        ),
        (r"application-specific password|app password", Code.AUTH_NEEDS_APP_PASSWORD),
        (r"basic auth\w* is disabled|basicauthblocked", Code.AUTH_NEEDS_OAUTH2),  # Microsoft
    )
)
_ERRORS: dict[Reason, Code] = {
    Reason.GUARD_REFUSED: Code.GUARD_REFUSED,
    Reason.DNS_NOT_FOUND: Code.DNS_NOT_FOUND,
    Reason.DNS_TIMEOUT: Code.DNS_TIMEOUT,
    Reason.CONNECT_REFUSED: Code.CONNECTION_REFUSED,
    Reason.CONNECT_TIMEOUT: Code.CONNECTION_TIMEOUT,
    Reason.CONNECT_FAILED: Code.CONNECTION_FAILED,
    Reason.CLOSED: Code.SERVER_CLOSED,
    Reason.SILENT: Code.SERVER_SILENT,
    Reason.SLOW: Code.SERVER_SLOW,
    Reason.OVERSIZED: Code.SERVER_OVERSIZED,
    Reason.PROTOCOL_VIOLATION: Code.PROTOCOL_VIOLATION,
    Reason.WRONG_PROTOCOL: Code.WRONG_PROTOCOL,
    Reason.PORT_PLAINTEXT: Code.PORT_PLAINTEXT,
    Reason.PORT_NEEDS_TLS: Code.PORT_NEEDS_TLS,
    Reason.SESSION_REFUSED: Code.SERVER_REFUSED_SESSION,
    Reason.STARTTLS_NOT_OFFERED: Code.STARTTLS_NOT_OFFERED,
    Reason.STARTTLS_REFUSED: Code.STARTTLS_REFUSED,
    Reason.TLS_CERTIFICATE: Code.CERT_INVALID,
    Reason.TLS_VERSION: Code.TLS_HANDSHAKE_FAILED,
    Reason.TLS_GARBLED: Code.TLS_GARBLED,
    Reason.TLS_HANDSHAKE: Code.TLS_HANDSHAKE_FAILED,
    Reason.SERVICE_BUSY: Code.SERVICE_BUSY,
    Reason.OTHER: Code.PROBE_ERROR,
}
_HANDSHAKE_REASONS = {Reason.TLS_VERSION, Reason.TLS_HANDSHAKE}
_TLS_REASONS = {Reason.TLS_CERTIFICATE, *_HANDSHAKE_REASONS}
_MAILBOX_STEPS = {"id", "examine", "stat"}
# Steps whose failure another finding explains, or that only look around after one.
_EXPLAINED_STEPS = {"connect", "tls", "login", "peek", "peek-tls"}
_REPLY_QUOTED = 200  # characters of a server's reply quoted in a message
_OAUTH_SASL = {"XOAUTH2", "OAUTHBEARER"}
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class _Hit:
    code: Code
    detail: str = ""
    step: str = ""
    reply: str = ""  # the server's words, when the detail is more than them


def server_says(text: str) -> Code | None:
    """The code for a provider's own error text, if it is one we know."""
    for pattern, code in SERVER_SAYS:
        if pattern.search(text):
            return code
    return None


def _same(text: str) -> str:
    return text


def diagnose(
    result: ProbeResult,
    account: Account | None = None,
    *,
    lang: str = "en",
    quote: Callable[[str], str] = _same,
) -> tuple[Finding, ...]:
    """Every finding for ``result``, errors first, in ``lang`` (BCP 47: en, zh-Hans or
    zh-Hant). ``quote`` turns a server's words into what a message may repeat of them
    (the tester's scrub, which withholds any that repeat the password)."""
    facts = AccountFacts.of(account, result.endpoint)
    hits = [
        *_tls(result),
        *_error(result),
        *_auth(result, facts),
        *_mailbox(result),
        *_server_errors(result),
        *_unencrypted(result),
    ]
    if not result.ok and not hits:  # nothing above explains it: say so, with the details
        failed = "; ".join(s.detail for s in result.steps if not s.ok)
        hits.append(_Hit(Code.PROBE_ERROR, result.error.message if result.error else failed))
    unique: dict[Code, _Hit] = {}
    for hit in hits:
        unique.setdefault(hit.code, hit)
    ordered = sorted(unique.values(), key=lambda h: _ORDER[CATALOGUE[h.code].severity])
    return tuple(_render(h, result, facts, lang, quote) for h in ordered)


def render(
    code: Code,
    result: ProbeResult,
    account: Account | None = None,
    *,
    lang: str = "en",
    detail: str = "",
) -> Finding:
    """One finding of ``code`` about ``result``, as :func:`diagnose` words it."""
    facts = AccountFacts.of(account, result.endpoint)
    return _render(_Hit(code, detail), result, facts, lang, _same)


def _tls(result: ProbeResult) -> Iterator[_Hit]:
    tls = result.tls
    if result.starttls_discarded_bytes:
        yield _Hit(Code.STARTTLS_INJECTION, f"{result.starttls_discarded_bytes} bytes")
    if tls is None:
        return
    strict_failed = result.error is not None and result.error.reason in _HANDSHAKE_REASONS
    if tls.version in OUTDATED_VERSIONS:
        yield _Hit(Code.TLS_OUTDATED, f"{tls.version} {tls.cipher or ''}".strip())
    elif tls.version and tls.policy is not TLSPolicy.STRICT and strict_failed:
        # The system's defaults refused the handshake, the relaxed ones took TLS 1.2+:
        # what is left is weak ciphers or keys (OpenSSL security level).
        yield _Hit(Code.TLS_WEAK, f"{tls.version} {tls.cipher or ''}".strip())
    problem = certificate_problem(tls)
    if problem is not None:
        yield _Hit(problem, f"{tls.verify_message} (OpenSSL code {tls.verify_code})")
    days = tls.days_to_expiry
    if tls.verified and days is not None and 0 <= days <= EXPIRY_WARNING_DAYS:
        yield _Hit(Code.CERT_EXPIRING)


def _error(result: ProbeResult) -> Iterator[_Hit]:
    error = result.error
    if error is None:
        return
    tls = result.tls
    if error.reason in _TLS_REASONS and tls is not None and (tls.version or tls.verify_code):
        return  # the handshake that followed, or OpenSSL's verdict, says more (see _tls)
    code = _ERRORS[error.reason]
    if error.reason is Reason.SESSION_REFUSED:
        code = server_says(error.message) or code
    yield _Hit(code, error.message, error.step or "", error.reply)


def _offers_starttls(capabilities: Iterable[str]) -> bool:
    return any(c.split()[0] in {"STARTTLS", "STLS"} for c in capabilities if c.split())


def _auth(result: ProbeResult, facts: AccountFacts) -> Iterator[_Hit]:
    auth = result.auth
    why, caps = auth.not_attempted, result.capabilities
    disabled = "LOGINDISABLED" in caps
    # A server that offers no login in plain text but offers STARTTLS wants TLS first.
    hidden = result.endpoint.security is Security.NONE and _offers_starttls(caps)
    if auth.status is AuthStatus.FAILED:
        # A refused APOP says nothing sure about the password (the server may keep no
        # APOP secret for the account), so no provider's reading of a wrong one applies;
        # without TLS it is the only login tried, so say where the password can be checked.
        # A POP3 server that hid USER behind STLS has said why: no login before TLS.
        apop = auth.mechanism is Mechanism.APOP and result.tls is None
        fallback = Code.APOP_REFUSED if apop else facts.login_code()
        if apop and hidden and "USER" not in caps:
            fallback = Code.PLAINTEXT_LOGIN_REFUSED
        yield _Hit(server_says(auth.detail) or fallback, auth.detail)
        return
    if why is NotAttempted.INSECURE_TLS:
        yield _Hit(Code.PASSWORD_NOT_SENT_TLS, auth.detail)
    elif (
        why is NotAttempted.LOGINDISABLED
        or (why is NotAttempted.PLAINTEXT and disabled)
        or (why is NotAttempted.NOT_OFFERED and (disabled or hidden))
    ):
        yield _Hit(Code.PLAINTEXT_LOGIN_REFUSED, auth.detail)
    elif why is NotAttempted.PLAINTEXT:
        yield _Hit(Code.PASSWORD_NOT_SENT_PLAINTEXT, auth.detail)
    elif why is NotAttempted.PREAUTH:
        yield _Hit(Code.AUTH_PREAUTH, auth.detail)
    elif why is NotAttempted.NOT_OFFERED:
        oauth = _OAUTH_SASL & set(result.auth_mechanisms)
        oauth_only = oauth and not {"PLAIN", "LOGIN"} & set(result.auth_mechanisms)
        code = Code.AUTH_NEEDS_OAUTH2 if oauth_only else Code.AUTH_NOT_OFFERED
        yield _Hit(code, auth.detail)


def _mailbox(result: ProbeResult) -> Iterator[_Hit]:
    if result.auth.status is not AuthStatus.OK:
        return
    for step in result.steps:
        if step.name in _MAILBOX_STEPS and not step.ok:
            code = server_says(step.detail) or Code.MAILBOX_UNAVAILABLE
            yield _Hit(code, step.detail, step.name)


def _server_errors(result: ProbeResult) -> Iterator[_Hit]:
    """Steps the server answered with a failure that nothing else explains, such as a
    ``421`` to QUIT after a good login: the server's own fault, quoted."""
    explained = set(_EXPLAINED_STEPS)
    if result.error is not None and result.error.step:
        explained.add(result.error.step)
    if result.auth.status is AuthStatus.OK:
        explained |= _MAILBOX_STEPS
    for step in result.steps:
        if not step.ok and step.name not in explained:
            yield _Hit(Code.SERVER_ERROR, step.detail, step.name)


def _unencrypted(result: ProbeResult) -> Iterator[_Hit]:
    """The server greeted on a connection that never turned to TLS."""
    plain = result.endpoint.security is Security.NONE and result.tls is None
    if plain and any(s.name == "greeting" and s.ok for s in result.steps):
        yield _Hit(Code.CONNECTION_UNENCRYPTED)


def _render(
    hit: _Hit,
    result: ProbeResult,
    facts: AccountFacts,
    lang: str,
    quote: Callable[[str], str],
) -> Finding:
    entry = CATALOGUE[hit.code]
    provider = facts.name.get(lang) if facts.name else pick(lang, *SOME_PROVIDER)
    values = _Values(_values(result), provider=provider, step=hit.step)
    reply = quote(hit.reply or hit.detail)
    values["reply"] = reply if len(reply) <= _REPLY_QUOTED else reply[:_REPLY_QUOTED] + "…"
    if result.auth.status is AuthStatus.OK:
        values["login"] = pick(lang, *LOGIN_WORKED)
    fix = entry.fix_in(lang).format_map(values)
    if entry.provider_steps and facts.steps:
        lines = [fix] if entry.keep_fix else []
        lines.append(pick(lang, *FOLLOW_STEPS).format_map(values))
        lines += [f"{n}. {_step_text(step, lang)}" for n, step in enumerate(facts.steps, 1)]
        fix = "\n".join(lines)
    return Finding(
        code=hit.code,
        severity=entry.severity,
        message=entry.message_in(lang).format_map(values),
        fix=fix,
        detail=hit.detail,
    )


def _step_text(step: Step, lang: str) -> str:
    text = step.text.get(lang)
    if step.path is not None:
        path = step.path.get(lang)
        text += pick(lang, f" ({path})", f"（{path}）")
    return text + (f" {step.url}" if step.url else "")


class _Values(dict[str, str]):
    """Template values; a name without a value formats as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


def _values(result: ProbeResult) -> dict[str, str]:
    endpoint, error = result.endpoint, result.error
    values = {
        "host": endpoint.host,
        "port": str(endpoint.port),
        "protocol": endpoint.protocol.name,
        "speaks": error.speaks if error and error.speaks else "",
    }
    values.update(_certificate_values(result.tls))
    return values


def _certificate_values(tls: TLSInfo | None) -> dict[str, str]:
    if tls is None:
        return {}
    values = {"version": tls.version or ""}
    leaf = tls.leaf
    if leaf is None:
        return values
    expires = leaf.not_before if tls.verify_code == CERT_NOT_YET_VALID else leaf.not_after
    values["date"] = expires.date().isoformat()
    values["days"] = str(tls.days_to_expiry)
    values["names"] = ", ".join(leaf.sans) or leaf.subject
    values["issuer"] = tls.chain[-1].issuer
    return values
