"""Where the shared BPMN corpus is: real Camunda 8 models kept as reference data beside the
checkout (``shared/bpmn-corpus``, see its PROVENANCE.md), never copied into the repository.

``SDK_BPMN_CORPUS`` names another folder; otherwise the checkout's parents are searched, so a
clone in any folder next to ``shared/`` finds it.
"""

from __future__ import annotations

import os
from pathlib import Path


def _corpus() -> Path | None:
    named = os.environ.get("SDK_BPMN_CORPUS")
    if named:
        return Path(named) if Path(named).is_dir() else None
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "bpmn-corpus"
        if candidate.is_dir():
            return candidate
    return None


CORPUS = _corpus()
MISSING = "no shared/bpmn-corpus beside the checkout (reference data, not shipped)"
