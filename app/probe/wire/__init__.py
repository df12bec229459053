"""Pure parsers and builders for POP3, IMAP and SMTP lines. No sockets here.

Parsers take decoded lines (CRLF removed) and return typed results, raising
:class:`WireError` when the server breaks the protocol; the dialogues turn
that into :class:`app.errors.ProtocolViolation` naming host and port. Builders
return :class:`ClientLine`, which carries the bytes to send, how the transcript
shows them and which parts are secret.
"""

from app.probe.wire.base import ClientLine, WireError, decode, identify
from app.probe.wire.imap import (
    ImapResponse,
    imap_capabilities,
    imap_command,
    imap_exists,
    imap_quote,
    parse_imap_response,
    trailing_literal,
)
from app.probe.wire.pop3 import (
    Pop3Capabilities,
    Pop3Status,
    apop_timestamp,
    parse_pop3_capa,
    parse_pop3_stat,
    parse_pop3_status,
    pop3_multiline_done,
)
from app.probe.wire.sasl import SaslClient, apop_digest
from app.probe.wire.smtp import EhloInfo, SmtpReply, parse_ehlo, parse_smtp_reply, smtp_reply_done

__all__ = [
    "ClientLine",
    "EhloInfo",
    "ImapResponse",
    "Pop3Capabilities",
    "Pop3Status",
    "SaslClient",
    "SmtpReply",
    "WireError",
    "apop_digest",
    "apop_timestamp",
    "decode",
    "identify",
    "imap_capabilities",
    "imap_command",
    "imap_exists",
    "imap_quote",
    "parse_ehlo",
    "parse_imap_response",
    "parse_pop3_capa",
    "parse_pop3_stat",
    "parse_pop3_status",
    "parse_smtp_reply",
    "pop3_multiline_done",
    "smtp_reply_done",
    "trailing_literal",
]
