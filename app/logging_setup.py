"""Logs: one line per record, as text or JSON (``MAILSETUP_LOG_FORMAT=json``), each
carrying the id of the request it belongs to.

:func:`configure_logging` installs one handler on the root logger (calling it
again replaces it) and sends uvicorn's own loggers through it. uvicorn's access
log is turned off: :mod:`app.web.http.context` writes one line per request naming the
route template, never the raw path or query string, which can hold anything a
client typed. No code logs a credential; the tests search every log for one.

Every line is one line: the message and every text field are passed through
:func:`app.untrusted.escape_controls`, so a value from a user or a peer (an IMAP
literal holding CRLF and a fake record, an ANSI escape) shows as visible escapes
and can neither forge a record nor drive a terminal. In the text format a
traceback keeps its own line breaks, but the exception messages in it are
escaped the same way (:func:`safe_traceback`).

``MAILSETUP_LOG_LEVEL`` applies to mailsetup's loggers (uvicorn's follow its own
``--log-level``). Other libraries log warnings and above (httpx, for one, logs
every URL it fetches at INFO), and everything at ``debug``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sys
import time
import traceback
from contextvars import ContextVar
from json.encoder import encode_basestring as _quote  # the encoder's own, in C
from types import TracebackType
from typing import Any, TextIO

from app.settings import Settings
from app.untrusted import escape_controls

request_id: ContextVar[str] = ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
# LogRecord attributes that are not extras; uvicorn adds color_message to its records.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
    "taskName",
}


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
# The parts of a formatted traceback that are ours (file names, our source lines, the
# chain's headings); anything else (exception messages) may hold outside text.
_TRACEBACK_OWN = (
    "Traceback (most recent call last):\n",
    "\nThe above exception was the direct cause of the following exception:\n\n",
    "\nDuring handling of the above exception, another exception occurred:\n\n",
)


def safe_traceback(exc_info: ExcInfo) -> str:
    """The traceback as :func:`traceback.format_exception` writes it, except that each
    exception's message has its control characters escaped (it is one line)."""
    parts = []
    for chunk in traceback.format_exception(*exc_info):
        if chunk in _TRACEBACK_OWN or chunk.startswith("  File "):
            parts.append(chunk)
        else:
            parts.append(escape_controls(chunk.removesuffix("\n")) + "\n")
    return "".join(parts).removesuffix("\n")


class SafeTextFormatter(logging.Formatter):
    """The text format, one record a line: the message escaped, tracebacks safe."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info and record.exc_info[0] is not None:
            line += "\n" + safe_traceback(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class RequestIdFilter(logging.Filter):
    """Puts the current request id (``-`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then the
    extras by name."""

    _encoder = json.JSONEncoder(ensure_ascii=False, default=str)  # json.dumps makes one a call

    def __init__(self) -> None:
        super().__init__()
        self._stamp = (-1, "")  # one tuple, so that threads never see half an update

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with microseconds; the date and time of day made once a second."""
        second = int(created)
        cached, stamp = self._stamp
        if second != cached:
            stamp = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._stamp = (second, stamp)
        micros = min(round((created - second) * 1e6), 999_999)
        return f"{stamp}.{micros:06d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        attributes = record.__dict__
        extras = {
            key: attributes[key]
            for key in sorted(attributes.keys() - _STANDARD)
            if not key.startswith("_")
        }
        if record.exc_info and record.exc_info[0] is not None:
            extras["exception"] = safe_traceback(record.exc_info)
        request = getattr(record, "request_id", "-")
        return self.line(
            record.created, record.levelname, record.name, record.getMessage(), request, extras
        )

    def line(
        self,
        created: float,
        levelname: str,
        name: str,
        message: str,
        request: str,
        extras: dict[str, Any],
    ) -> str:
        """The JSON line of one record, from its parts; text values escaped. Written
        a value at a time: the same text as encoding the whole object, in less time
        (every request writes one)."""
        head = (
            f'{{"time": "{self._time(created)}", "level": {_quote(levelname.lower())}, '
            f'"logger": {_quote(name)}, "message": {_quote(escape_controls(message))}, '
            f'"request_id": {_quote(request)}'
        )
        fields = "".join(f", {_quote(key)}: {self._value(value)}" for key, value in extras.items())
        return head + fields + "}"

    def _value(self, value: Any) -> str:
        kind = type(value)
        if kind is str:
            return _quote(escape_controls(value))
        if kind is int or (kind is float and math.isfinite(value)):
            return repr(value)  # as the encoder writes them
        return self._encoder.encode(value)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """The stream is always the current ``sys.stderr``."""


def _direct_handler(logger: logging.Logger) -> StderrHandler | None:
    """The service's JSON handler, when it is the only handler a record of ``logger``
    would reach and nothing but the request-id filter would look at the record."""
    found: StderrHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or not isinstance(handler, StderrHandler):
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if (
        found is None
        or found.level > logging.INFO
        or not isinstance(found.formatter, JsonFormatter)
        or any(not isinstance(f, RequestIdFilter) for f in found.filters)
    ):
        return None
    return found


def info_direct(logger: logging.Logger, message: str, extras: dict[str, Any]) -> bool:
    """Writes an INFO line of ``logger`` the way the service's JSON handler would,
    without making and dispatching a LogRecord: the access line of every request,
    where that machinery cost more than the rest of serving a small document.

    Returns True when done: written, or below the logger's level. Returns False,
    writing nothing, unless the service's JSON handler is the only one the logger's
    records would reach (as in production; a test's capturing handler, for one, gets
    real records); the caller then logs as usual.
    """
    if not logger.isEnabledFor(logging.INFO):
        return True  # nothing to write, as logging would write nothing
    handler = _direct_handler(logger)
    if handler is None:
        return False
    formatter = handler.formatter
    assert isinstance(formatter, JsonFormatter)  # checked by _direct_handler
    line = formatter.line(time.time(), "INFO", logger.name, message, request_id.get(), extras)
    handler.acquire()  # as Handler.handle does
    try:
        stream = handler.stream
        stream.write(line + handler.terminator)
        stream.flush()
    finally:
        handler.release()
    return True


def configure_logging(settings: Settings) -> logging.Handler:
    """Install the service's handler at ``settings.log_level``; return it."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "mailsetup", False)]:
        root.removeHandler(old)
    handler = StderrHandler()
    handler.mailsetup = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(SafeTextFormatter(TEXT_FORMAT))
    root.addHandler(handler)
    # No format here names the thread or process: skip collecting them for every record
    # (the logging HOWTO's "Optimization"; the access log writes one record a request).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(level if level == logging.DEBUG else max(level, logging.WARNING))
    logging.getLogger("app").setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler
