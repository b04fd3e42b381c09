"""What several test suites share, as plain modules imported as ``_support.<module>``:
``ports`` (free loopback ports), ``processes`` (``python -m sdk.worker``/``sdk.broker`` as real
subprocesses), ``projects`` (a user's project folder), ``clocks`` (a clock moved by hand),
``bpmn_models`` (small inline BPMN models, deployable and refused), ``corpus`` (the shared BPMN
corpus) and ``jobs`` (job-state conditions for ``wait_until``). The fixtures built on them live
in ``tests/conftest.py``."""
