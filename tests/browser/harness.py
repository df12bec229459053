"""What the browser tests run on: the app as a real HTTP server, a slow TCP proxy, Chromium.

The app runs as ``python -m app serve`` in a subprocess, configured through its
``MAILSETUP_*`` environment: DNS from the test dnsmasq, ISPDB refused at
127.0.0.1:9, probes allowed to reach 127.0.0.1 only, the test CA trusted, and a
data dir holding the real catalogue plus ``mail.test`` (the local Dovecot and
aiosmtpd). Chromium is Debian's (/usr/bin/chromium); nothing downloads a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from app.paths import DATA_DIR
from tests.realservers import PROBE_LOOPBACK_ENV, free_tcp_port, listen_in_test_range
from tests.sample_data import provider_toml

try:
    import playwright.async_api as pw
except ImportError:  # the browser fixture reports it: a failure under CI=true, a skip elsewhere
    pw = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 20.0


@dataclass
class LiveApp:
    """The app's subprocess; :meth:`ready` waits until it answers (it boots meanwhile)."""

    url: str
    log: Path
    servers: tuple[tuple[str, str, int, str], ...]  # the mail.test provider's, in order
    process: subprocess.Popen[bytes]
    healthy: bool = False

    def ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.healthy and time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                self.healthy = httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            if not self.healthy:
                time.sleep(0.05)
        if not self.healthy:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the app did not start (exit {self.process.poll()}):\n{tail}")


def mail_test_servers(
    dovecot: dict[str, int], smtp_starttls: int, smtp_implicit: int, slow_imap: int
) -> tuple[tuple[str, str, int, str], ...]:
    """Six endpoints of mail.test; IMAP with STARTTLS goes through the slow proxy."""
    return (
        ("imap", "mail.test", dovecot["imaps"], "tls"),
        ("imap", "mail.test", slow_imap, "starttls"),
        ("pop3", "mail.test", dovecot["pop3s"], "tls"),
        ("pop3", "mail.test", dovecot["pop3"], "starttls"),
        ("smtp", "mail.test", smtp_implicit, "tls"),
        ("smtp", "mail.test", smtp_starttls, "starttls"),
    )


def make_data_dir(folder: Path, servers: tuple[tuple[str, str, int, str], ...]) -> Path:
    """The shipped catalogue plus a provider file for mail.test."""
    shutil.copytree(DATA_DIR, folder, dirs_exist_ok=True)
    text = provider_toml("mail.test", domains=("mail.test",), name="Test Mail", servers=servers)
    (folder / "providers" / "mail.test.toml").write_text(text, encoding="utf-8")
    return folder


@contextlib.contextmanager
def run_app(
    data_dir: Path,
    servers: tuple[tuple[str, str, int, str], ...],
    nameserver: str,
    ca_file: Path,
    log: Path,
    extra_env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[LiveApp]:
    """Start the app on a free port (or ``port``) and yield at once; call ``ready()``
    before using it. ``extra_env`` adds settings."""
    port = port or free_tcp_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSETUP_")}
    env.update(
        MAILSETUP_DATA_DIR=str(data_dir),
        MAILSETUP_PUBLIC_URL=url,
        MAILSETUP_DNS_SERVERS=nameserver,
        MAILSETUP_DNS_TIMEOUT="1",
        MAILSETUP_ISPDB_URL="http://127.0.0.1:9/v1.1/",
        MAILSETUP_DISCOVERY_DEADLINE="3",
        **PROBE_LOOPBACK_ENV,
        MAILSETUP_PROBE_CA_FILE=str(ca_file),
        MAILSETUP_PROBE_DEADLINE="15",
        MAILSETUP_RATE_LIMITS="false",  # the tests run many live tests from one client
        **(extra_env or {}),
    )
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield LiveApp(url=url, log=log, servers=servers, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class SlowProxy:
    """A TCP proxy on 127.0.0.1 that holds every chunk for ``delay`` seconds, both ways.

    A probe through it takes long enough for the page to show the other servers'
    steps and verdicts before the report ends. TLS passes through untouched.
    """

    def __init__(self, target: int, delay: float) -> None:
        self.target = target
        self.delay = delay
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="slow-proxy", daemon=True)

    def __enter__(self) -> SlowProxy:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"the slow proxy did not start: {self._error!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # noqa: BLE001 - handed to the test thread by __enter__
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            writers = [client_w]
            try:
                server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target)
                writers.append(server_w)
                await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))
            except OSError:
                return  # the target refused, or a side reset: the probe sees a closed connection
            finally:
                for writer in writers:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
                handlers.discard(task)

        server = await asyncio.start_server(handle, sock=listen_in_test_range())
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        await self._stop.wait()
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            await asyncio.sleep(self.delay)
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


async def screenshot(target: Any, name: str) -> Path:
    """Save test-artifacts/screenshots/<name>.png: the whole page, or one element (a locator)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if isinstance(target, pw.Page):
        await target.screenshot(path=str(path), full_page=True)
    else:
        await target.screenshot(path=str(path))
    return path


async def run_test(page: Any, email: str, password: str) -> None:
    """Fill in the tester's form on /test, run it and wait (up to 30 s) for the whole report."""
    await page.goto("/test")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(password)
    await page.locator("form.tester button[type=submit]").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
