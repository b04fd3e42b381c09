"""The cyclic garbage collector, set for a long-running service process of ours.

Per job, a worker and the broker allocate and free many container objects (models, tasks,
futures, dicts), nearly all of them freed by reference counting alone. The collector still
runs a young-generation pass every 700 net allocations, and its full passes walk every object
alive, the imported modules' included, so a service pays for its own start-up again and again.
Once start-up is over, what exists then (modules, the app, the handlers) lives as long as the
process: it moves to the permanent generation, which passes skip, and the young generation
may grow larger before a pass. Only ``python -m sdk.worker`` and ``python -m sdk.broker`` do
this (a program that runs a worker itself keeps its own collector), and thresholds already
changed from Python's defaults (by a handler module, say) are kept.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
"""Net allocations before a young-generation pass (Python's default: 700)."""
_PYTHON_DEFAULTS = (700, 10, 10)


def settle_after_start_up() -> None:
    """Start-up is over: its garbage is collected, what is left frozen, passes made rarer."""
    if not gc.isenabled():  # switched off on purpose: leave it so
        return
    gc.collect()  # start-up's own garbage goes now, not into the permanent generation
    gc.freeze()
    if gc.get_threshold() == _PYTHON_DEFAULTS:
        gc.set_threshold(YOUNG_THRESHOLD, *_PYTHON_DEFAULTS[1:])
