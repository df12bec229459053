"""A real HTTP and HTTPS server on loopback for discovery tests (stdlib http.server).

Routes are keyed by (host, path). Besides documents it plays hostile peers: a
redirect, a body that never ends, a slow body.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


def document(body: bytes, content_type: str = "text/xml") -> Handler:
    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


def plain_http_only(handler: Handler) -> Handler:
    """Serve ``handler`` over plain HTTP; answer 404 over HTTPS."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        if isinstance(h.connection, ssl.SSLSocket):
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        handler(h)

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handle


def endless(declare_length: bool) -> Handler:
    """50 MB of zeros, with or without a Content-Length, stopping when the client goes."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        if declare_length:
            h.send_header("Content-Length", str(50 * 1024 * 1024))
        h.end_headers()
        chunk = b"<" + b"x" * 65535
        try:
            for _ in range(800):
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return

    return handle


def slow(seconds: float) -> Handler:
    """A byte now and then, for ``seconds``."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        h.end_headers()
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            return

    return handle


@dataclass
class Site:
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def route(self, host: str, path: str, handler: Handler) -> None:
        self.routes[(host, path)] = handler


def _handler_class(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            site.requests.append((host, self.path))
            handler = site.routes.get((host, self.path)) or site.routes.get(("*", self.path))
            if handler is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            handler(self)

        def log_message(self, format: str, *args: object) -> None:
            return  # keep test output quiet; requests are recorded in site.requests

    return Handler


@contextmanager
def serve(site: Site, context: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve ``site`` on 127.0.0.1 (HTTPS when ``context`` is given); yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(site))
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
