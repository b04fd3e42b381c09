"""Log set-up for the command-line entry points (libraries leave loguru as the user has it)."""

from __future__ import annotations

import sys

from loguru import logger

FORMAT = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
    "<cyan>{extra[worker]}</cyan> {message}"
)


def configure(level: str = "INFO") -> None:
    logger.remove()
    logger.configure(extra={"worker": "-"})
    logger.add(sys.stderr, level=level.upper(), format=FORMAT, colorize=None)
