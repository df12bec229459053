"""OAuth 2.0 test servers on loopback: XOAUTH2 and OAUTHBEARER (RFC 7628).

* :func:`run_introspection`: an RFC 7662 token introspection endpoint. ``POST
  /introspect`` with the form body ``token=<TOKEN>`` answers ``{"active": true,
  "username": "<user>"}`` for a token in its mapping (token -> user) and ``{"active":
  false}`` otherwise. The mapping is a plain dict the test changes; the server records
  every token it was asked about, and :meth:`IntrospectionServer.down` makes it refuse
  connections (or hang up, or answer 503) for a while.
* :func:`run_dovecot_oauth`: a private Dovecot 2.3 with IMAP, POP3 and submission (each
  plain with STARTTLS and with implicit TLS) offering PLAIN, LOGIN (the passwd-file users
  of :data:`tests.servers.USERS`), XOAUTH2 and OAUTHBEARER (the oauth2 passdb, which asks
  its introspection endpoint about every token; nothing is cached).
* :func:`run_aiosmtpd_oauth`: aiosmtpd submission (STARTTLS and implicit TLS) with XOAUTH2
  and OAUTHBEARER answered like Gmail, besides PLAIN and LOGIN.

What Dovecot says (IMAP, POP3, submission):

* good token: ``a OK [CAPABILITY ...] Logged in``, ``+OK Logged in.``, ``235 2.7.0
  Logged in.`` (submission then needs a relay that answers, or the next command gets 421);
* unknown token, or a token of another user than the one named: first an error
  challenge, ``+ <base64>`` (SMTP ``334 <base64>``) of ``{"status":"401","schemes":
  "bearer","scope":"mail"}`` (XOAUTH2) or ``{"status":"invalid_token"}`` (OAUTHBEARER),
  which the client must answer, with an empty line (XOAUTH2) or ``AQ==`` (base64 of
  ``\\x01``, RFC 7628; an empty line does too); then ``a NO [AUTHENTICATIONFAILED]
  Authentication failed.``, ``-ERR [AUTH] Authentication failed.``, ``535 5.7.8
  Authentication failed.``;
* OAUTHBEARER without ``a=<user>`` in its GS2 header: that failure at once, no challenge;
* introspection down: no challenge, at once ``a NO [UNAVAILABLE] Temporary authentication
  failure. [<host>:<time>]``, ``-ERR [SYS/TEMP] Temporary authentication failure.
  [...]``, ``454 4.7.0 Temporary authentication failure. [...]``;
* submission answers a command line of more than 1030 octets (an initial response with a
  token of some 700 characters) with ``500 5.5.2 Line too long``; without an initial
  response (``AUTH XOAUTH2``, ``334 ``, then the base64) any length is taken. IMAP and
  POP3 take 4 KiB initial responses.

Dovecot counts loopback as secured, so the plain ports offer AUTH before STARTTLS.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult

from tests.realservers import free_tcp_port
from tests.servers import (
    DOVECOT_LISTENERS,
    DOVECOT_MAIL_SERVICES,
    DOVECOT_SUBMISSION_LISTENERS,
    DOVECOT_SUBMISSION_SERVICES,
    USERS,
    Certificates,
    SmtpServers,
    _process_table,
    _run_dovecot,
    child_pids,
    run_aiosmtpd,
)

# token -> user: the tokens every server here starts with, one for each user of USERS.
OAUTH_TOKENS: dict[str, str] = {f"ya29.test-token-{user.split('@')[0]}": user for user in USERS}
# user -> token, the other way round.
TOKEN_FOR: dict[str, str] = {user: token for token, user in OAUTH_TOKENS.items()}
UNKNOWN_TOKEN = "ya29.no-such-token"

DOVECOT_OAUTH_LISTENERS = DOVECOT_LISTENERS + DOVECOT_SUBMISSION_LISTENERS

# The error challenges, decoded. Dovecot's XOAUTH2 scope is its oauth2 passdb's "scope"
# setting, "mail" unless set; the aiosmtpd server says what Gmail says.
DOVECOT_XOAUTH2_ERROR = {"status": "401", "schemes": "bearer", "scope": "mail"}
DOVECOT_OAUTHBEARER_ERROR = {"status": "invalid_token"}
GMAIL_SCOPE = "https://mail.google.com/"
GMAIL_XOAUTH2_ERROR = {"status": "401", "schemes": "bearer", "scope": GMAIL_SCOPE}
GMAIL_OAUTHBEARER_ERROR = {"status": "invalid_token", "schemes": "bearer", "scope": GMAIL_SCOPE}
GMAIL_AUTH_FAILED = "535 5.7.8 Username and Password not accepted"


def xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 client response, before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer(user: str | None, token: str, host: str = "", port: int = 0) -> bytes:
    """The OAUTHBEARER (RFC 7628) client response, before base64: the GS2 header with
    ``a=user`` if given, host and port if given, and the token."""
    authzid = "" if user is None else "a=" + user.replace("=", "=3D").replace(",", "=2C")
    fields = [f"n,{authzid},"]
    if host:
        fields.append(f"host={host}")
    if port:
        fields.append(f"port={port}")
    fields.append(f"auth=Bearer {token}")
    return ("\x01".join(fields) + "\x01\x01").encode()


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


def error_challenge(error: dict[str, str]) -> str:
    """The base64 of an error challenge as these servers send it (compact JSON)."""
    return b64(json.dumps(error, separators=(",", ":")))


# --- The introspection endpoint ---------------------------------------------------------

DownMode = Literal["refused", "hangup", "error"]


class _IntrospectionHandler(BaseHTTPRequestHandler):
    server: _HTTPServer
    # HTTP/1.0: one request per connection, so no kept-alive connection outlives a
    # change of mode.
    protocol_version = "HTTP/1.0"
    timeout = 10.0  # a client that connects and sends nothing

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        token = parse_qs(body, keep_blank_values=True).get("token", [""])[0]
        mode = owner.record(self.path, token)
        if mode == "hangup":
            self.close_connection = True
            return  # no answer: the connection is closed
        if mode == "error":
            self._answer(503, {"error": "temporarily_unavailable"})
            return
        if urlsplit(self.path).path != "/introspect":
            self._answer(404, {"error": "not_found"})
            return
        user = owner.tokens.get(token)
        answer: dict[str, object] = {"active": False}
        if user is not None:
            answer = {"active": True, "username": user}
        self._answer(200, answer)

    def _answer(self, status: int, document: dict[str, object]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


class _HTTPServer(ThreadingHTTPServer):
    # Closing joins the request threads, which a timeout keeps from hanging.
    daemon_threads = False
    block_on_close = True
    # SO_REUSEPORT alone: going up again binds beside the old socket, which holds the port
    # while down; without SO_REUSEADDR, no other socket can bind it meanwhile.
    allow_reuse_address = False
    allow_reuse_port = True
    owner: IntrospectionServer


class IntrospectionServer:
    """An introspection endpoint on 127.0.0.1 (see the module docstring).

    ``tokens`` (token -> user) is read on every request: change it at will. ``requests``
    lists the tokens asked about, ``count`` how many requests came (to any path, also
    while down).
    """

    def __init__(self, tokens: MutableMapping[str, str] | None = None) -> None:
        self.tokens: MutableMapping[str, str] = dict(OAUTH_TOKENS) if tokens is None else tokens
        self._lock = threading.Lock()
        self._requests: list[str] = []
        self._paths: list[str] = []
        self._mode: DownMode | None = None
        self._server = self._bind_free_port()
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/introspect"
        self._thread = self._serve()

    def _bind_free_port(self) -> _HTTPServer:
        # A port asked for by number: only then does the kernel keep it bound to a listening
        # socket shut down for "refused" (a port it chose itself would be released).
        for _ in range(20):
            with contextlib.suppress(OSError):
                return self._bind(free_tcp_port())  # unless taken meanwhile
        return self._bind(free_tcp_port())

    def _bind(self, port: int) -> _HTTPServer:
        server = _HTTPServer(("127.0.0.1", port), _IntrospectionHandler)
        server.owner = self
        return server

    def _serve(self) -> threading.Thread:
        thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"introspection-{self.port}",
            daemon=True,
        )
        thread.start()
        return thread

    def record(self, path: str, token: str) -> DownMode | None:
        with self._lock:
            self._paths.append(path)
            self._requests.append(token)
            return self._mode

    @property
    def requests(self) -> list[str]:
        """The tokens of the requests so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return list(self._paths)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._requests)

    def clear(self) -> None:
        """Forget the requests so far."""
        with self._lock:
            self._requests.clear()
            self._paths.clear()

    @property
    def mode(self) -> DownMode | None:
        """None when up; else how it is down."""
        return self._mode

    def go_down(self, mode: DownMode = "refused") -> None:
        """``refused``: connections are refused (the port stays bound, so nothing else
        takes it); ``hangup``: each request is read, then the connection closed without an
        answer; ``error``: ``503`` with a JSON error. Each makes Dovecot answer with a
        temporary failure."""
        self.go_up()
        if mode == "refused":
            self._server.shutdown()  # the accept loop ends; the socket stays bound
            self._thread.join()
            # shutdown(SHUT_RD) on a listening socket makes Linux refuse connections.
            self._server.socket.shutdown(socket.SHUT_RD)
        with self._lock:
            self._mode = mode

    def go_up(self) -> None:
        """Answer normally again, on the same port."""
        with self._lock:
            mode, self._mode = self._mode, None
        if mode == "refused":
            old = self._server
            self._server = self._bind(self.port)
            old.server_close()
            self._thread = self._serve()

    @contextlib.contextmanager
    def down(self, mode: DownMode = "refused") -> Iterator[None]:
        """Down (see :meth:`go_down`) for the ``with`` block, then up again."""
        self.go_down(mode)
        try:
            yield
        finally:
            self.go_up()

    def close(self) -> None:
        self.go_up()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@contextlib.contextmanager
def run_introspection(
    tokens: MutableMapping[str, str] | None = None,
) -> Iterator[IntrospectionServer]:
    """An introspection endpoint on a free loopback port, answering from ``tokens``
    (token -> user; by default a copy of :data:`OAUTH_TOKENS`)."""
    server = IntrospectionServer(tokens)
    try:
        yield server
    finally:
        server.close()


# --- Dovecot ----------------------------------------------------------------------------

# Replaces the passwd-file passdb of tests.servers.DOVECOT_CONF. A passdb that lists
# mechanisms is consulted only for those, so a password never reaches the introspection
# endpoint and a token is never checked as a password.
DOVECOT_OAUTH_PASSDB = """\
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
  mechanisms = plain login
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""

# A later auth_mechanisms overrides the one in DOVECOT_CONF.
DOVECOT_OAUTH_SERVICES = (
    "auth_mechanisms = plain login xoauth2 oauthbearer\n"
    + DOVECOT_MAIL_SERVICES
    + DOVECOT_SUBMISSION_SERVICES
)

DOVECOT_OAUTH2_EXT = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


@dataclass
class DovecotOAuth:
    """A running :func:`run_dovecot_oauth`: ``ports`` by listener name (imap, imaps, pop3,
    pop3s, submission, submissions) and the ``introspection`` endpoint it asks."""

    ports: dict[str, int]
    introspection: IntrospectionServer
    pid: int = 0  # the Dovecot master process

    @property
    def tokens(self) -> MutableMapping[str, str]:
        return self.introspection.tokens

    def __getitem__(self, listener: str) -> int:
        return self.ports[listener]


def _dovecot_master(before: set[int]) -> int:
    """The Dovecot master among our children that were not there ``before``."""
    for pid in child_pids(os.getpid()):
        with contextlib.suppress(OSError):
            if pid not in before and Path(f"/proc/{pid}/comm").read_text().strip() == "dovecot":
                return pid
    return 0


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children ...)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for p, ppid, _, state in _process_table():
        if state != "Z":
            children[ppid].append(p)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@contextlib.contextmanager
def run_dovecot_oauth(
    certs: Certificates,
    relay_port: int,
    tokens: MutableMapping[str, str] | None = None,
) -> Iterator[DovecotOAuth]:
    """A private Dovecot (IMAP, POP3, submission relaying to 127.0.0.1:``relay_port``)
    with XOAUTH2 and OAUTHBEARER checked against its own introspection endpoint, which
    answers from ``tokens`` (token -> user; by default a copy of :data:`OAUTH_TOKENS`).

    Submission needs a relay that answers (:func:`tests.servers.run_relay`): without one
    AUTH succeeds and the next command gets 421. Once the master has stopped, the processes
    it leaves (a session's, while a client is still connected) are stopped too.
    """
    orphans: set[int] = set()
    with run_introspection(tokens) as introspection:
        before = set(child_pids(os.getpid()))
        try:
            with _run_dovecot(
                certs,
                "imap pop3 submission",
                DOVECOT_OAUTH_LISTENERS,
                DOVECOT_OAUTH_SERVICES,
                passdb=DOVECOT_OAUTH_PASSDB,
                files={"dovecot-oauth2.conf.ext": DOVECOT_OAUTH2_EXT.format(url=introspection.url)},
                relay_port=relay_port,
            ) as ports:
                master = _dovecot_master(before)
                try:
                    yield DovecotOAuth(ports, introspection, master)
                finally:
                    orphans = descendants(master) if master else set()
        finally:
            # What the master leaves behind when it exits.
            _stop_orphans(orphans)


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` that still run (zombies do not)."""
    return {p for p, _, _, state in _process_table() if p in pids and state != "Z"}


def _signal(pids: set[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _stop_orphans(pids: set[int], timeout: float = 10.0) -> None:
    """SIGTERM those of ``pids`` that still run, wait for them, SIGKILL them after
    ``timeout``. A Dovecot master exits at once on SIGTERM, but a session's processes
    (imap, its login process, log, anvil, config, stats) stay some 10 s for a client still
    connected, then say BYE; a SIGTERM of their own ends them at once."""
    _signal(running(pids), signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive := running(pids):
        if time.monotonic() > deadline:
            _signal(alive, signal.SIGKILL)
            return
        time.sleep(0.02)


# --- aiosmtpd ---------------------------------------------------------------------------


@dataclass
class OAuthAttempt:
    mechanism: str
    user: str | None
    token: str
    success: bool


class _LongLineSMTP(SMTP):
    """Takes AUTH lines (and client responses) of up to 16 KiB: real access tokens run to
    a few kilobytes, more than aiosmtpd's 512-byte command limit."""

    line_length_limit = 16384

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # aiosmtpd keeps command_size_limits in the class; this instance gets its own.
        limits: collections.defaultdict[str, int] = collections.defaultdict(
            lambda: SMTP.command_size_limit
        )
        limits["AUTH"] = self.line_length_limit
        self.command_size_limits = limits


class _LongLineController(Controller):
    def factory(self) -> SMTP:
        return _LongLineSMTP(self.handler, **self.SMTP_kwargs)


def _parse_kvpairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in text.split("\x01"):
        key, sep, value = item.partition("=")
        if sep:
            pairs.setdefault(key, value)
    return pairs


def _bearer(pairs: dict[str, str]) -> str | None:
    scheme, _, token = pairs.get("auth", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


class OAuthHandler:
    """An aiosmtpd handler with AUTH XOAUTH2 and AUTH OAUTHBEARER, answered like Gmail.

    The token must be in ``tokens`` (token -> user) and belong to the user named in the
    response. On failure: ``334 <base64 JSON error>``, the client's answer (XOAUTH2 an
    empty line, OAUTHBEARER ``AQ==``; either is taken for both), then
    :data:`GMAIL_AUTH_FAILED`. ``attempts`` records every parsed response.
    """

    def __init__(self, tokens: MutableMapping[str, str] | None = None) -> None:
        self.tokens: MutableMapping[str, str] = dict(OAUTH_TOKENS) if tokens is None else tokens
        self.attempts: list[OAuthAttempt] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        return await self._oauth(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        return await self._oauth(server, args, "OAUTHBEARER")

    async def _oauth(self, server: SMTP, args: list[str], mechanism: str) -> AuthResult:
        if len(args) == 1:  # no initial response: ask for it with an empty challenge
            response = await server.challenge_auth("")
            if response is MISSING:  # "*" or bad base64, answered already
                return AuthResult(success=False, handled=True)
        else:
            try:
                response = base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Cannot Decode response")
                return AuthResult(success=False, handled=True)
        assert isinstance(response, bytes)
        text = response.decode("utf-8", "replace")
        if mechanism == "XOAUTH2":
            pairs = _parse_kvpairs(text)
            user: str | None = pairs.get("user")
            error = GMAIL_XOAUTH2_ERROR
        else:
            gs2, _, rest = text.partition("\x01")
            pairs = _parse_kvpairs(rest)
            authzid = [f[2:] for f in gs2.split(",")[1:2] if f.startswith("a=")]
            user = authzid[0].replace("=2C", ",").replace("=3D", "=") if authzid else None
            error = GMAIL_OAUTHBEARER_ERROR
        token = _bearer(pairs)
        if token is None or (mechanism == "XOAUTH2" and user is None):
            await server.push("501 5.5.2 Cannot Decode response")
            return AuthResult(success=False, handled=True)
        owner = self.tokens.get(token)
        success = owner is not None and user in (None, owner)
        self.attempts.append(OAuthAttempt(mechanism, user, token, success))
        if success:
            return AuthResult(success=True, auth_data=owner)
        answer = await server.challenge_auth(json.dumps(error, separators=(",", ":")))
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=GMAIL_AUTH_FAILED)


@dataclass
class OAuthSmtpServers(SmtpServers):
    handler: OAuthHandler = field(default_factory=OAuthHandler)

    @property
    def tokens(self) -> MutableMapping[str, str]:
        return self.handler.tokens


@contextlib.contextmanager
def run_aiosmtpd_oauth(
    certs: Certificates, tokens: MutableMapping[str, str] | None = None
) -> Iterator[OAuthSmtpServers]:
    """:func:`tests.servers.run_aiosmtpd` with :class:`OAuthHandler` checking ``tokens``
    (token -> user; by default a copy of :data:`OAUTH_TOKENS`): EHLO offers ``AUTH LOGIN
    OAUTHBEARER PLAIN XOAUTH2``. Yields ``starttls`` and ``implicit`` ports and the
    ``handler``."""
    handler = OAuthHandler(tokens)
    with run_aiosmtpd(certs, handler, _LongLineController) as servers:
        yield OAuthSmtpServers(servers.starttls, servers.implicit, servers.controllers, handler)


def reset_tokens(tokens: MutableMapping[str, str]) -> None:
    """Put ``tokens`` back to :data:`OAUTH_TOKENS`, in place."""
    tokens.clear()
    tokens.update(OAUTH_TOKENS)
