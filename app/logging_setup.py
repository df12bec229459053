"""Logs: one line per record, as text or JSON (``MAILSETUP_LOG_FORMAT=json``), each
carrying the id of the request it belongs to.

:func:`configure_logging` installs one handler on the root logger (calling it
again replaces it) and sends uvicorn's own loggers through it. uvicorn's access
log is turned off: :mod:`app.web.context` writes one line per request naming the
route template, never the raw path or query string, which can hold anything a
client typed. No code logs a credential; the tests search every log for one.

``MAILSETUP_LOG_LEVEL`` applies to mailsetup's loggers (uvicorn's follow its own
``--log-level``). Other libraries log warnings and above (httpx, for one, logs
every URL it fetches at INFO), and everything at ``debug``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

from app.settings import Settings

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
        if record.exc_info:
            extras["exception"] = self.formatException(record.exc_info)
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
        """The JSON line of one record, from its parts."""
        entry: dict[str, Any] = {
            "time": self._time(created),
            "level": levelname.lower(),
            "logger": name,
            "message": message,
            "request_id": request,
            **extras,
        }
        return self._encoder.encode(entry)


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
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
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
