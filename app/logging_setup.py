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
        self._second = -1
        self._stamp = ""

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with microseconds; the date and time of day made once a second."""
        second = int(created)
        if second != self._second:
            moment = dt.datetime.fromtimestamp(second, dt.UTC)
            self._second, self._stamp = second, moment.strftime("%Y-%m-%dT%H:%M:%S")
        micros = min(round((created - second) * 1e6), 999_999)
        return f"{self._stamp}.{micros:06d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        attributes = record.__dict__
        for key in sorted(attributes.keys() - _STANDARD):
            if not key.startswith("_"):
                entry[key] = attributes[key]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
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
