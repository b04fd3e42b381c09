"""Example handlers that `python -m sdk.worker` loads by default (one module per job type)."""
