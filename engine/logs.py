"""One logging setup for every Plaudit process (``plaudit serve``, ``worker``, ``cron``): the standard library's
``logging``, configured once by ``configure_logging`` from ``LogConfig``.

- ``PLAUDIT_LOG_FORMAT=json|console``: one JSON object per line for a log collector, or a line a person reads.
  Unset, it is JSON when standard error is not a terminal (a container, systemd, a file) and console when it is.
- ``PLAUDIT_LOG_LEVEL`` (``info``); ``PLAUDIT_ACCESS_LOG=off`` silences the access log (``plaudit.access``, one
  line per request: method, path without its query string, status, duration, request id).
- Context travels with the work, not in each call: ``log_context(request_id=…)`` around a request,
  ``log_context(batch=…, ruleset=…)`` around a scoring batch; every line logged inside carries those fields.
  Extra fields of a call (``log.info("…", extra={"events": 1000})``) are fields of its JSON line.

Never log a secret: no header, no query string (sign-in links carry tokens there), no request body.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.config
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

__all__ = [
    "ConsoleFormatter",
    "JsonFormatter",
    "LogConfig",
    "configure_logging",
    "log_context",
]

Format = Literal["json", "console"]

_NO_CONTEXT: Mapping[str, object] = MappingProxyType({})
_CONTEXT: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "plaudit_log_context", default=_NO_CONTEXT
)
#: A LogRecord's own attributes; any other attribute came from ``extra=`` and is a field of the line.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "context",
    "color_message",  # uvicorn's copy of its message, with ANSI colours
}


@dataclass(frozen=True)
class LogConfig:
    format: Format = "console"
    level: str = "INFO"
    access_log: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LogConfig:
        env = os.environ if environ is None else environ
        chosen = env.get("PLAUDIT_LOG_FORMAT", "").strip().lower()
        if chosen not in ("", "json", "console"):
            raise ValueError(f"PLAUDIT_LOG_FORMAT: expected json or console, got {chosen!r}")
        fmt: Format = chosen or ("console" if sys.stderr.isatty() else "json")  # type: ignore[assignment]
        level = env.get("PLAUDIT_LOG_LEVEL", "INFO").strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(
                f"PLAUDIT_LOG_LEVEL: expected debug, info, warning or error, got {level!r}"
            )
        access = env.get("PLAUDIT_ACCESS_LOG", "on").strip().lower()
        if access not in ("on", "off", "1", "0", "true", "false"):
            raise ValueError(f"PLAUDIT_ACCESS_LOG: expected on or off, got {access!r}")
        return cls(fmt, level, access in ("on", "1", "true"))


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Fields for every line logged inside (in this task or thread, and in threads it starts with the context
    copied, as anyio's and asyncio's do)."""
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class _WithContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = _CONTEXT.get()
        return True


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = dict(getattr(record, "context", {}))
    fields.update((k, v) for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC), ``level``, ``logger``, ``message``, the context's and the
    call's fields, ``error`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 INFO plaudit.access GET /v1/events 202 3.1ms request_id=…``: the context's fields as
    key=value (a call's own fields are for machines; its message already says them to a person)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = getattr(record, "context", {})
        extra = " ".join(f"{k}={v}" for k, v in context.items() if v is not None)
        if not extra:
            return text
        first, newline, rest = text.partition(
            "\n"
        )  # fields on the message's line, the traceback after
        return f"{first} {extra}{newline}{rest}"


def configure_logging(config: LogConfig | None = None) -> LogConfig:
    """Configure the process's logging: one handler on standard error, Plaudit's, RQ's and uvicorn's loggers
    through it (RQ adds no handler of its own when the root has one)."""
    config = config or LogConfig.from_env()
    formatter = JsonFormatter if config.format == "json" else ConsoleFormatter
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"context": {"()": _WithContext}},
            "formatters": {"plaudit": {"()": formatter}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": "plaudit",
                    "filters": ["context"],
                }
            },
            "root": {"handlers": ["stderr"], "level": config.level},
            "loggers": {
                "plaudit.access": {"level": "INFO" if config.access_log else "WARNING"},
                # uvicorn's own access log is off (ours has the request id); its errors stay.
                "uvicorn.access": {"level": "WARNING", "propagate": False, "handlers": []},
                "uvicorn.error": {"handlers": [], "propagate": True},
                "uvicorn": {"handlers": [], "propagate": True},
                "rq.worker": {"handlers": [], "propagate": True},
            },
        }
    )
    return config
