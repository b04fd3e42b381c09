"""Logging: the entry points' set-up (coloured text or JSON lines) and the logger seam.

Libraries leave loguru as the user has it; only ``configure`` (called by the command-line
entry points) installs sinks. Runtime code logs through ``Log``, which a loguru logger
satisfies as it is and a stdlib ``logging.Logger`` satisfies through ``StdlibLog``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

if TYPE_CHECKING:
    from loguru import Message

FORMATS = ("text", "json")
DEFAULT_FORMAT = "text"
DEFAULT_LEVEL = "INFO"

TEXT_FORMAT = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
    "<cyan>{extra[worker]}</cyan> {message}"
)

configured: tuple[str, str] | None = None
"""(level, format) set by ``configure``; child processes of the process strategy repeat it."""


class Log(Protocol):
    """What the runtime needs of a logger: loguru's API, ``{}`` placeholders included."""

    def bind(self, **kwargs: Any) -> Log: ...

    def debug(self, message: str, /, *args: Any) -> None: ...

    def info(self, message: str, /, *args: Any) -> None: ...

    def warning(self, message: str, /, *args: Any) -> None: ...

    def error(self, message: str, /, *args: Any) -> None: ...

    def exception(self, message: str, /, *args: Any) -> None: ...


class StdlibLog:
    """A stdlib ``logging.Logger`` behind loguru's API: bound values become record attributes
    (``record.job_key``, ``record.job_type``, ``record.worker``), ``{}`` placeholders are filled
    before the record is made."""

    def __init__(self, target: logging.Logger, extra: Mapping[str, Any] | None = None) -> None:
        self._target = target
        self._extra = dict(extra or {})

    def bind(self, **kwargs: Any) -> StdlibLog:
        return StdlibLog(self._target, {**self._extra, **kwargs})

    def debug(self, message: str, /, *args: Any) -> None:
        self._log(logging.DEBUG, message, args)

    def info(self, message: str, /, *args: Any) -> None:
        self._log(logging.INFO, message, args)

    def warning(self, message: str, /, *args: Any) -> None:
        self._log(logging.WARNING, message, args)

    def error(self, message: str, /, *args: Any) -> None:
        self._log(logging.ERROR, message, args)

    def exception(self, message: str, /, *args: Any) -> None:
        self._log(logging.ERROR, message, args, exc_info=True)

    def _log(
        self, level: int, message: str, args: tuple[Any, ...], *, exc_info: bool = False
    ) -> None:
        if self._target.isEnabledFor(level):
            text = message.format(*args) if args else message
            self._target.log(level, text, extra=self._extra, exc_info=exc_info, stacklevel=3)


def resolve(target: Log | logging.Logger | None) -> Log:
    """The ``Log`` behind a ``logger=`` argument: loguru's global logger when ``None``."""
    if target is None:
        return logger
    if isinstance(target, logging.Logger):
        return StdlibLog(target)
    return target


def configure(level: str = DEFAULT_LEVEL, fmt: str = DEFAULT_FORMAT) -> None:
    """Send loguru's records to stderr: coloured text on a terminal, or one JSON object a line.

    Raises:
        ValueError: an unknown level or format (the message lists the valid ones).
    """
    global configured
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; use one of {', '.join(FORMATS)}")
    logger.remove()
    logger.configure(extra={"worker": "-"})
    if fmt == "json":
        logger.add(_json_sink, level=level.upper(), format="{message}")
    else:
        logger.add(sys.stderr, level=level.upper(), format=TEXT_FORMAT, colorize=None)
    configured = (level, fmt)


def _json_sink(message: Message) -> None:
    """One JSON object per record: time, level, message, then every bound value."""
    record = message.record
    entry: dict[str, Any] = {
        "time": record["time"].isoformat(),
        "level": record["level"].name,
        "message": record["message"],
    }
    for key, value in record["extra"].items():
        entry.setdefault(key, value)
    entry.setdefault("logger", record["name"])
    error = record["exception"]
    if error is not None and error.type is not None:
        entry["exception"] = "".join(
            traceback.format_exception(error.type, error.value, error.traceback)
        ).rstrip()
    sys.stderr.write(json.dumps(entry, default=str, ensure_ascii=False) + "\n")
    sys.stderr.flush()
