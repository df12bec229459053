"""Explain a probe: turn a :class:`ProbeResult` into findings with stable codes,
plain-language messages and concrete fixes. Pure: no I/O, no clock.

The texts live in :mod:`app.probe.catalogue` and :mod:`app.probe.wording` fills
them in; :mod:`app.probe.serverwords` reads providers' own refusals. When the
account's provider is known (an :class:`AccountConfig` or a :class:`ProviderRecord`),
login failures are read in its light (QQ wants an authorization code, Outlook.com
OAuth2 …) and the fix is that provider's own steps, in the language asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from app.models import Security
from app.probe.account import Account, AccountFacts
from app.probe.catalogue import CATALOGUE
from app.probe.credential import CredentialKind
from app.probe.report import (
    AuthStatus,
    Code,
    Finding,
    Mechanism,
    NotAttempted,
    ProbeResult,
    Reason,
    Severity,
    TLSPolicy,
)
from app.probe.serverwords import server_says, temporary
from app.probe.steps import StepName
from app.probe.tls import EXPIRY_WARNING_DAYS, OUTDATED_VERSIONS, certificate_problem
from app.probe.token_refusal import token_refusal
from app.probe.wording import Hit, same, word

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
_MAILBOX_STEPS = {StepName.ID, StepName.EXAMINE, StepName.STAT}
# Steps whose failure another finding explains, or that only look around after one.
_EXPLAINED_STEPS = {
    StepName.CONNECT,
    StepName.TLS,
    StepName.LOGIN,
    StepName.PEEK,
    StepName.PEEK_TLS,
}
_OAUTH_SASL = {"XOAUTH2", "OAUTHBEARER"}
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def diagnose(
    result: ProbeResult,
    account: Account | None = None,
    *,
    lang: str = "en",
    quote: Callable[[str], str] = same,
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
        hits.append(Hit(Code.PROBE_ERROR, result.error.message if result.error else failed))
    unique: dict[Code, Hit] = {}
    for hit in hits:
        unique.setdefault(hit.code, hit)
    ordered = sorted(unique.values(), key=lambda h: _ORDER[CATALOGUE[h.code].severity])
    return tuple(word(h, result, facts, lang, quote) for h in ordered)


def _tls(result: ProbeResult) -> Iterator[Hit]:
    tls = result.tls
    if result.starttls_discarded_bytes:
        yield Hit(Code.STARTTLS_INJECTION, f"{result.starttls_discarded_bytes} bytes")
    if tls is None:
        return
    strict_failed = result.error is not None and result.error.reason in _HANDSHAKE_REASONS
    if tls.version in OUTDATED_VERSIONS:
        yield Hit(Code.TLS_OUTDATED, f"{tls.version} {tls.cipher or ''}".strip())
    elif tls.version and tls.policy is not TLSPolicy.STRICT and strict_failed:
        # The system's defaults refused the handshake, the relaxed ones took TLS 1.2+:
        # what is left is weak ciphers or keys (OpenSSL security level).
        yield Hit(Code.TLS_WEAK, f"{tls.version} {tls.cipher or ''}".strip())
    problem = certificate_problem(tls)
    if problem is not None:
        yield Hit(problem, f"{tls.verify_message} (OpenSSL code {tls.verify_code})")
    days = tls.days_to_expiry
    if tls.verified and days is not None and 0 <= days <= EXPIRY_WARNING_DAYS:
        yield Hit(Code.CERT_EXPIRING)


def _error(result: ProbeResult) -> Iterator[Hit]:
    error = result.error
    if error is None:
        return
    tls = result.tls
    if error.reason in _TLS_REASONS and tls is not None and (tls.version or tls.verify_code):
        return  # the handshake that followed, or OpenSSL's verdict, says more (see _tls)
    code = _ERRORS[error.reason]
    if error.reason is Reason.SESSION_REFUSED:
        code = server_says(error.message) or code
    yield Hit(code, error.message, error.step or "", error.reply)


def _offers_starttls(capabilities: Iterable[str]) -> bool:
    return any(c.split()[0] in {"STARTTLS", "STLS"} for c in capabilities if c.split())


def _auth(result: ProbeResult, facts: AccountFacts) -> Iterator[Hit]:
    auth = result.auth
    why, caps = auth.not_attempted, result.capabilities
    disabled = "LOGINDISABLED" in caps
    # A server that offers no login in plain text but offers STARTTLS wants TLS first.
    hidden = result.endpoint.security is Security.NONE and _offers_starttls(caps)
    token = result.credential is CredentialKind.OAUTH2
    if auth.status is AuthStatus.FAILED:
        said = server_says(auth.detail)
        if said is None and temporary(auth.detail):
            said = Code.AUTH_TEMPORARY
        if token:  # its challenge, or whose server it is, says why
            yield Hit(said or token_refusal(result), auth.detail)
            return
        # A refused APOP says nothing sure about the password (the server may keep no
        # APOP secret for the account), so no provider's reading of a wrong one applies;
        # without TLS it is the only login tried, so say where the password can be checked.
        # A POP3 server that hid USER behind STLS has said why: no login before TLS.
        apop = auth.mechanism is Mechanism.APOP and result.tls is None
        fallback = Code.APOP_REFUSED if apop else facts.login_code()
        if apop and hidden and "USER" not in caps:
            fallback = Code.PLAINTEXT_LOGIN_REFUSED
        yield Hit(said or fallback, auth.detail)
        return
    if why is NotAttempted.INSECURE_TLS:
        yield Hit(Code.PASSWORD_NOT_SENT_TLS, auth.detail)
    elif (
        why is NotAttempted.LOGINDISABLED
        or (why is NotAttempted.PLAINTEXT and disabled)
        or (why is NotAttempted.NOT_OFFERED and (disabled or hidden))
    ):
        yield Hit(Code.PLAINTEXT_LOGIN_REFUSED, auth.detail)
    elif why is NotAttempted.PLAINTEXT:
        yield Hit(Code.PASSWORD_NOT_SENT_PLAINTEXT, auth.detail)
    elif why is NotAttempted.PREAUTH:
        yield Hit(Code.AUTH_PREAUTH, auth.detail)
    elif why is NotAttempted.NOT_OFFERED and token:
        yield Hit(Code.OAUTH_NOT_OFFERED, auth.detail)
    elif why is NotAttempted.NOT_OFFERED:
        oauth = _OAUTH_SASL & set(result.auth_mechanisms)
        oauth_only = oauth and not {"PLAIN", "LOGIN"} & set(result.auth_mechanisms)
        code = Code.AUTH_NEEDS_OAUTH2 if oauth_only else Code.AUTH_NOT_OFFERED
        yield Hit(code, auth.detail)


def _mailbox(result: ProbeResult) -> Iterator[Hit]:
    if result.auth.status is not AuthStatus.OK:
        return
    for step in result.steps:
        if step.name in _MAILBOX_STEPS and not step.ok:
            code = server_says(step.detail) or Code.MAILBOX_UNAVAILABLE
            yield Hit(code, step.detail, step.name)


def _server_errors(result: ProbeResult) -> Iterator[Hit]:
    """Steps the server answered with a failure that nothing else explains, such as a
    ``421`` to QUIT after a good login: the server's own fault, quoted."""
    explained: set[str] = set(_EXPLAINED_STEPS)
    if result.error is not None and result.error.step:
        explained.add(result.error.step)
    if result.auth.status is AuthStatus.OK:
        explained |= _MAILBOX_STEPS
    for step in result.steps:
        if not step.ok and step.name not in explained:
            yield Hit(Code.SERVER_ERROR, step.detail, step.name)


def _unencrypted(result: ProbeResult) -> Iterator[Hit]:
    """The server greeted on a connection that never turned to TLS."""
    plain = result.endpoint.security is Security.NONE and result.tls is None
    if plain and any(s.name == StepName.GREETING and s.ok for s in result.steps):
        yield Hit(Code.CONNECTION_UNENCRYPTED)
