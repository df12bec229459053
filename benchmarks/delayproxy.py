"""A TCP proxy that delays every chunk in each direction: round-trip time without netem.

Each chunk read from one side is written to the other side ``delay`` seconds
after it was read, in order; reading goes on meanwhile, so the delay adds
latency without limiting throughput. With ``delay=0.05`` a request and its
answer take 100 ms: one RTT. The upstream connection is opened ``delay`` after
the client's (the SYN's trip), so a greeting reaches the client one RTT after
its connect() returned. The kernel still answers the TCP handshake at once, so
each connection costs one RTT less than on a real network.

In a program: ``async with DelayProxy(port, delay=0.05) as proxy: ... proxy.port``.
Alone: ``python -m benchmarks.delayproxy --to 143 --delay 0.05 --seconds 60``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from types import TracebackType

_CHUNK = 64 * 1024
_EOF = b""


class DelayProxy:
    """Listens on 127.0.0.1 (a free port: :attr:`port`) and forwards to ``target_port``."""

    def __init__(self, target_port: int, *, delay: float, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.delay = delay
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> DelayProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        if self._tasks:  # let the last goodbyes through, then cut what is left
            await asyncio.wait(set(self._tasks), timeout=4 * self.delay + 1)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self._relay(reader, writer)
        except asyncio.CancelledError:
            writer.close()  # cut off when the proxy closed; nobody awaits this task
        finally:
            self._tasks.discard(task)

    async def _relay(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        up: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        down: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        client_in = asyncio.create_task(self._read(c_reader, up))
        try:
            await asyncio.sleep(self.delay)  # the SYN's one-way trip
            s_reader, s_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_in.cancel()
            c_writer.close()
            return
        pumps = [
            client_in,
            asyncio.create_task(self._read(s_reader, down)),
            asyncio.create_task(self._write(up, s_writer)),
            asyncio.create_task(self._write(down, c_writer)),
        ]
        try:
            await asyncio.gather(*pumps)
        finally:
            for pump in pumps:
                pump.cancel()
            for w in (s_writer, c_writer):
                w.close()

    async def _read(
        self, reader: asyncio.StreamReader, queue: asyncio.Queue[tuple[float, bytes]]
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = await reader.read(_CHUNK)
            except ConnectionError:
                data = _EOF
            queue.put_nowait((loop.time() + self.delay, data))
            if data == _EOF:
                return

    async def _write(
        self, queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if data == _EOF:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return


async def _main(target_port: int, delay: float, seconds: float) -> None:
    async with DelayProxy(target_port, delay=delay) as proxy:
        print(f"127.0.0.1:{proxy.port} -> 127.0.0.1:{target_port}, {delay * 1000:.0f} ms each way")
        with contextlib.suppress(TimeoutError):
            await asyncio.sleep(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--to", type=int, required=True, help="target port on 127.0.0.1")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each way per chunk")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    args = parser.parse_args()
    asyncio.run(_main(args.to, args.delay, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
