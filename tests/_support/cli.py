"""``python -m sdk`` run in-process for tests: its ``main`` in a worker thread (the broker under
test runs on the test's event loop), with the machine's sdk settings cleared."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NamedTuple

import anyio.to_thread
import pytest

from sdk._cli import main


class Run(NamedTuple):
    """One command's exit code and output; unpacks as ``code, out, err``."""

    code: int
    out: str
    err: str


Cli = Callable[..., Awaitable[Run]]


def isolate(monkeypatch: pytest.MonkeyPatch, folder: Path, address: str | None = None) -> Path:
    """Drop every ``CAMUNDA_*`` / ``SDK_*`` variable, keep profiles in ``folder/config`` and
    work in ``folder``, so only what the test sets (``address``) reaches the CLI."""
    for name in list(os.environ):
        if name.startswith(("CAMUNDA_", "SDK_")):
            monkeypatch.delenv(name)
    if address is not None:
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", address)
    config = folder / "config"
    monkeypatch.setenv("SDK_CONFIG_DIR", str(config))
    monkeypatch.chdir(folder)
    return config


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``main(argv)`` in a thread; an argparse refusal (``SystemExit``) counts as its code."""
    try:
        code = await anyio.to_thread.run_sync(main, list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def runner(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``run_cli`` bound to ``capsys``: the ``cli`` fixture of the CLI test modules."""

    async def run(*argv: str) -> Run:
        return await run_cli(capsys, *argv)

    return run
