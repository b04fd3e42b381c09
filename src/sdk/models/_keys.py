"""Semantic key types. Camunda keys are 64-bit integers sent as decimal strings."""

from __future__ import annotations

import re
from typing import NewType

JobKey = NewType("JobKey", str)
ProcessInstanceKey = NewType("ProcessInstanceKey", str)
ProcessDefinitionKey = NewType("ProcessDefinitionKey", str)
ElementInstanceKey = NewType("ElementInstanceKey", str)
TenantId = NewType("TenantId", str)

DEFAULT_TENANT = TenantId("<default>")
NO_KEY = "-1"
"""What Zeebe sends for a key that does not apply (e.g. a job created outside a process)."""

_LONG_KEY = re.compile(r"-?[0-9]{1,24}")


def parse_job_key(value: str | int) -> JobKey:
    """Normalise a user-given job key; raises ``ValueError`` for anything but an integer key."""
    text = str(value).strip()
    if not _LONG_KEY.fullmatch(text):
        raise ValueError(f"invalid job key {value!r}: expected a decimal integer")
    return JobKey(text)
