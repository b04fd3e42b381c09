"""``python -m sdk.worker --reload``: restart the worker when a handler module changes.

For development. The worker runs as a child of a supervisor (``_processes``) that watches
Python files with watchfiles (the optional extra ``sdk[reload]``): on a change the child
drains as on SIGTERM and a new one imports the code afresh. A child whose modules no longer
import prints the error and exits 2; the supervisor then waits for the next change.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from ..._logging import Log
from ...errors import ConfigurationError
from ._processes import ProcessGroup

DEBOUNCE_MS = 400
"""Changes this close together (an editor's save in several writes) are one restart."""


def require_watchfiles() -> None:
    """Raise ``ConfigurationError`` at start-up when watchfiles is not installed."""
    if importlib.util.find_spec("watchfiles") is None:
        raise ConfigurationError(
            "--reload needs the watchfiles package: pip install 'sdk[reload]'"
            " (or pip install watchfiles)"
        )


def watched_paths(modules: Iterable[str], cwd: Path) -> list[Path]:
    """The project folder, plus each handler module's top package found outside it.

    Only the top-level names are looked up (``find_spec`` of a top-level name imports
    nothing), so a module that fails to import is still watched.
    """
    paths = [cwd.resolve()]
    for name in modules:
        top = name.strip().split(".")[0]
        try:
            spec = importlib.util.find_spec(top) if top else None
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        locations = list(spec.submodule_search_locations or [])
        if not locations and spec.origin:
            locations = [str(Path(spec.origin).parent)]
        for location in map(Path, locations):
            resolved = location.resolve()
            if not any(resolved.is_relative_to(p) for p in paths):
                paths.append(resolved)
    return paths


async def restart_on_change(paths: list[Path], group: ProcessGroup, log: Log) -> None:
    """Restart ``group``'s children after each change of a Python file under ``paths``."""
    from watchfiles import PythonFilter, awatch

    log.info("reload: watching {} for changes", ", ".join(map(str, paths)))
    async for changes in awatch(*paths, watch_filter=PythonFilter(), debounce=DEBOUNCE_MS):
        if group.stopping:
            return
        changed = sorted({Path(path).name for _, path in changes})
        log.info("reload: {} changed; restarting the worker", ", ".join(changed))
        group.restart()
