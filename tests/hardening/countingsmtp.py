"""A real SMTP submission server (aiosmtpd, implicit TLS on 127.0.0.1) that counts the
logins it receives, as a mail provider would see a password guesser."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.realservers import free_tcp_port
from tests.servers import Certificates, authenticator

# Names in the test zone that resolve to 127.0.0.1, under three registrable domains.
NAMES = ("mail.test", "guessme.test", "smtp.guessme.test", "example.test")


@dataclass
class CountingSmtp:
    """The server's port and the login names it was sent, one per AUTH attempt."""

    port: int
    quit_delay: float = 0.0  # seconds before answering QUIT (after the login's verdict)
    _logins: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, login: str) -> None:
        with self._lock:
            self._logins.append(login)

    def received(self, *logins: str) -> int:
        """Logins received in all, or only those with one of these names."""
        with self._lock:
            return sum(1 for name in self._logins if not logins or name in logins)

    def reset(self) -> None:
        with self._lock:
            self._logins.clear()
        self.quit_delay = 0.0

    def server(self, host: str = "mail.test") -> dict[str, object]:
        """This server as an entry of a live test's ``servers``."""
        return {"protocol": "smtp", "host": host, "port": self.port, "security": "tls"}


@contextlib.contextmanager
def run_counting_smtp(certs: Certificates) -> Iterator[CountingSmtp]:
    """Start the server with a certificate for :data:`NAMES` from the tests' CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certs.ca.issue_cert(*NAMES).configure_cert(context)
    counter = CountingSmtp(port=free_tcp_port())

    def counting(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            counter.add(auth_data.login.decode("utf-8", "replace"))
        return authenticator(server, session, envelope, mechanism, auth_data)

    class Handler:
        async def handle_QUIT(self, *_args: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
            await asyncio.sleep(counter.quit_delay)
            return "221 Bye"

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=counter.port,
        server_hostname="mail.test",
        ssl_context=context,
        authenticator=counting,
        auth_require_tls=False,  # aiosmtpd does not see implicit TLS as TLS
    )
    controller.start()
    try:
        yield counter
    finally:
        controller.stop()
