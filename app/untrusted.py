"""Text that came from a user or a peer, on its way into another language.

Two rules, one place:

- :func:`refuse_controls` is for input that will become part of a mail protocol
  command (an address, a login name, a password). C0 controls (U+0000–U+001F)
  and DEL have no business there, and CR, LF or NUL would end or split a
  command (RFC 3501 section 9 ``TEXT-CHAR``, RFC 4616 ``UTF8SAFE``, RFC 5321
  section 2.3.8). Text that is not encodable as UTF-8 (a lone surrogate, which
  JSON's ``\\ud800`` can carry) is refused too.
- :func:`escape_controls` is for output: a log line or a terminal. Control and
  line-breaking characters are shown as visible escapes (``\\r``, ``\\n``,
  ``\\x1b``, ``\\u2028``), so outside text can neither start a new log line nor
  drive a terminal (ECMA-48 escape sequences, C1 controls such as U+009B CSI,
  bidirectional overrides).
"""

from __future__ import annotations

import re

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_DANGEROUS = (
    *range(0x00, 0x20),  # C0, CR and LF among them
    0x7F,  # DEL
    *range(0x80, 0xA0),  # C1: 8-bit CSI (U+009B), OSC, ...
    0x061C,  # Arabic letter mark
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    0x2028,  # line separator: a line break to JavaScript and to some log viewers
    0x2029,  # paragraph separator
    *range(0x202A, 0x202F),  # bidirectional embeddings and overrides
    *range(0x2066, 0x206A),  # bidirectional isolates
    *range(0xD800, 0xE000),  # lone surrogates: not encodable, so not writable
)
_TABLE = {code: _escape(code) for code in _DANGEROUS}
_COMMAND_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` with every control, line-breaking, bidirectional-override and
    lone-surrogate character replaced by a visible escape; other text unchanged."""
    if text.isprintable():  # every character above is non-printable: the common case
        return text
    return text.translate(_TABLE)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a C0 control character (U+0000–U+001F) or DEL."""
    return _COMMAND_UNSAFE.search(text) is not None


def is_utf8(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


CONTROL_MESSAGE = "must not contain control characters such as line breaks, tabs or NUL"
ENCODING_MESSAGE = "must be valid Unicode text (it holds an unpaired surrogate)"


def refuse_controls(text: str, what: str = "") -> str:
    """``text`` unchanged, or ValueError saying what is wrong (naming ``what``, e.g.
    "the password", when given), never echoing ``text``."""
    prefix = f"{what} " if what else ""
    if not is_utf8(text):
        raise ValueError(prefix + ENCODING_MESSAGE)
    if has_control(text):
        raise ValueError(prefix + CONTROL_MESSAGE)
    return text


def refuse_unencodable(text: str) -> str:
    """``text`` unchanged, or ValueError when it cannot be encoded as UTF-8."""
    if not is_utf8(text):
        raise ValueError(ENCODING_MESSAGE)
    return text
