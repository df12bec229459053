"""Whether a port speaks TLS from its first byte: a TLS handshake that completes.

Only a ClientHello is sent, never a byte of a mail protocol in clear, and the
certificate is not checked: the question is what the port speaks, not whom.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from app.net.guard import Streams
from app.net.tls import TLSPolicy, policy_context

log = logging.getLogger(__name__)

_CONTEXT = policy_context(TLSPolicy.INSPECT, None)


async def completes_tls(streams: Streams, host: str, wait: float) -> bool:
    """Whether a TLS handshake on a fresh connection completes within ``wait`` seconds."""
    _reader, writer = streams
    if wait <= 0:
        return False
    try:
        async with asyncio.timeout(wait):
            await writer.start_tls(_CONTEXT, server_hostname=host)
    except (TimeoutError, ConnectionError, EOFError, ssl.SSLError) as exc:
        log.debug("%s: no TLS handshake: %r", host, exc)
        return False
    return True
