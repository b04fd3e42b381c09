"""``sdk worker | broker | bench ...``: the ``python -m sdk.worker`` (etc.) command lines.

The module is run as ``__main__`` exactly as ``python -m`` would run it, so its own parser, exit
codes and output stay the only ones, and the process strategy's 'spawn' children re-import the
same main module. Nothing of it is imported before the command is chosen: ``sdk jobs`` does not
pay for the worker's or the broker's imports.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ..client import PROFILE_VARIABLE, check_profile_name
from ..errors import ProfileError


def run_module(module: str, argv: list[str], profile: str | None = None) -> int:
    """Run ``python -m module *argv`` in this process; its exit status.

    ``profile`` (``sdk --profile NAME worker ...``) selects a stored profile for the run, as
    ``SDK_PROFILE`` would; a name no profile can have is a usage error (status 2).
    """
    try:
        profile = check_profile_name(profile) if profile else None
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with _argv(argv), _profile(profile):
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            return _status(exc.code)
    return 0


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives (a message is printed and means 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = [saved[0] if saved else "sdk", *argv]
    try:
        yield
    finally:
        sys.argv = saved


@contextmanager
def _profile(name: str | None) -> Iterator[None]:
    if not name:
        yield
        return
    saved = os.environ.get(PROFILE_VARIABLE)
    os.environ[PROFILE_VARIABLE] = name
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(PROFILE_VARIABLE, None)
        else:
            os.environ[PROFILE_VARIABLE] = saved
