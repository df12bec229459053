"""The exception tree of mailsetup.

Every error raised on purpose derives from :class:`MailsetupError`, and mixes in
the builtin that callers would naturally catch. Classes defined outside this module
name their module in parentheses::

    MailsetupError
    ├── ConfigError(ValueError)         settings the service refuses to start with
    ├── DataError                       data/ could not be loaded
    │   └── ProviderFileError           one file: names the file, the field and the problem
    ├── InvalidAddress(ValueError)      an email address or domain that cannot be used
    ├── UsernameNeeded(ValueError)      the provider issues the login name and none was given
    │                                   (app.livetest)
    ├── UnknownDomain(LookupError)      no provider knows the domain
    │   └── NotDiscovered               discovery found nothing either (app.discovery.service)
    ├── RateLimited                     a rate limit is reached: HTTP 429 (app.ratelimit)
    ├── CsrfRejected(PermissionError)   a form post without a valid CSRF token
    │                                   (app.web.http.security)
    ├── ServerProblem(ValueError)       a server line a domain owner typed that cannot be
    │                                   used (app.web.routes.owner_check)
    ├── FetchError                      discovery could not fetch a document (app.net.http)
    ├── AutoconfigError(ValueError)     not a usable autoconfig file (app.discovery.autoconfig)
    ├── WireError(ValueError)           a server line the protocol does not allow; becomes
    │                                   ProtocolViolation (app.probe.wire.base)
    ├── ProbeError                      a live test could not complete a step
    │   ├── GuardRefused(PermissionError)       the SSRF guard refused the target
    │   ├── ProbeDNSError(OSError)              the name did not resolve
    │   ├── ProbeConnectError(ConnectionError)  refused, reset or closed by the peer
    │   ├── ProbeTimeout(TimeoutError)          a step or the whole probe ran out of time
    │   ├── ProbeTLSError(OSError)              the TLS handshake failed
    │   ├── ProtocolViolation(ValueError)       the peer broke the protocol or a size cap
    │   └── UnsafeCommand(ValueError)           a command would carry CR, LF or NUL
    ├── SignInError                     a sign-in with a provider ended without a token
    │                                   (app.signin.flow)
    ├── SigningError(ValueError)        the certificate, key or chain cannot sign a profile
    │                                   (app.documents.signing)
    ├── ProfileUnavailable(ValueError)  the config cannot become a mail profile
    │                                   (app.documents.mobileconfig)
    ├── UnknownClient(LookupError)      no setup guide for this client id
    │                                   (app.documents.instructions)
    ├── GuideUnavailable(ValueError)    the config lacks a server a guide needs
    │                                   (app.documents.instructions)
    └── AutodiscoverError(ValueError)   an Outlook request that cannot be answered with settings
        │                               (app.documents.autodiscover_request)
        ├── RequestTooLarge    the body is over the size cap (app.documents.autodiscover_request)
        ├── NotXML             the body is not well-formed XML (app.documents.autodiscover_request)
        ├── UnsafeXML          a DTD or an external reference (app.documents.autodiscover_request)
        ├── WrongDocument      not an Autodiscover request (app.documents.autodiscover_request)
        ├── MissingAddress     no EMailAddress (app.documents.autodiscover_request)
        ├── BadAddress         an unusable EMailAddress (app.documents.autodiscover_request)
        └── UnsupportedSchema  a response schema not answered (app.documents.autodiscover_request)
            └── MobileSyncRequested  an ActiveSync request (app.documents.autodiscover_request)

Low-level errors are translated where they happen, naming host and port, and
chained with ``from exc``.
"""

from __future__ import annotations


class MailsetupError(Exception):
    """Base class of every error mailsetup raises on purpose."""


class ConfigError(MailsetupError, ValueError):
    """Settings the service refuses to start with; the message names the variables."""


class DataError(MailsetupError):
    """The provider data could not be loaded."""


class ProviderFileError(DataError):
    """One provider file is broken: names the file, the field and the problem."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")


class InvalidAddress(MailsetupError, ValueError):
    """An email address or domain that cannot be used."""


class UnknownDomain(MailsetupError, LookupError):
    """No provider record knows the domain."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        super().__init__(f"no provider in the database serves {domain}")


class ProbeError(MailsetupError):
    """A live test could not complete a step.

    Where it was raised, the tester notes why (``reason``, a value of
    :class:`app.probe.report.Reason`), in which step, what the port speaks
    instead and the server's ``reply`` that caused it, when those are known:
    the error carries them to whoever catches it.
    """

    def __init__(
        self,
        message: str,
        *,
        host: str = "",
        port: int = 0,
        reason: str | None = None,
        reply: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        self.reply = reply
        self.step: str | None = None
        self.speaks: str | None = None
        prefix = f"{host}:{port}: " if host else ""
        super().__init__(prefix + message)


class GuardRefused(ProbeError, PermissionError):
    """The SSRF guard refused the target; nothing was connected to."""


class ProbeDNSError(ProbeError, OSError):
    """The host name did not resolve."""


class ProbeConnectError(ProbeError, ConnectionError):
    """The connection was refused, reset or closed by the peer."""


class ProbeTimeout(ProbeError, TimeoutError):
    """A step, or the whole probe, ran out of time."""


class ProbeTLSError(ProbeError, OSError):
    """The TLS handshake failed."""


class ProtocolViolation(ProbeError, ValueError):
    """The peer broke the protocol, or sent more than a size cap allows."""


class UnsafeCommand(ProbeError, ValueError):
    """A command line to send holds CR, LF or NUL, which would end or split it;
    nothing was sent."""
