"""Reference data in ``shared/`` beside the checkout: the upstream Camunda OpenAPI specs
(Camunda License) and the BPMN corpus (real models, see its PROVENANCE.md). Read from there,
never copied into the repository; tests that need them skip, saying why, where they are absent.

The checkout's parents are searched, so a clone (or a worktree) anywhere next to ``shared/``
finds it; ``SDK_BPMN_CORPUS`` names another corpus folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def shared_path(name: str) -> Path | None:
    """``shared/NAME`` in the nearest parent of this checkout that has it."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / name
        if candidate.exists():
            return candidate
    return None


def _corpus() -> Path | None:
    named = os.environ.get("SDK_BPMN_CORPUS")
    if named:
        return Path(named) if Path(named).is_dir() else None
    return shared_path("bpmn-corpus")


CORPUS = _corpus()
MISSING = "no shared/bpmn-corpus beside the checkout (reference data, not shipped)"
JOBS_SPEC = shared_path("camunda-v2-jobs.openapi.yaml")
PROCESSES_SPEC = shared_path("camunda-v2-processes.openapi.yaml")
