"""Semantic key types. Camunda keys are 64-bit integers sent as decimal strings."""

from __future__ import annotations

import re
from typing import Annotated, NewType

from pydantic import StringConstraints

JobKey = NewType("JobKey", str)
ProcessInstanceKey = NewType("ProcessInstanceKey", str)
ProcessDefinitionKey = NewType("ProcessDefinitionKey", str)
ElementInstanceKey = NewType("ElementInstanceKey", str)
TenantId = NewType("TenantId", str)
IncidentKey = NewType("IncidentKey", str)
VariableKey = NewType("VariableKey", str)
UserTaskKey = NewType("UserTaskKey", str)
MessageKey = NewType("MessageKey", str)
MessageSubscriptionKey = NewType("MessageSubscriptionKey", str)
SignalKey = NewType("SignalKey", str)
DeploymentKey = NewType("DeploymentKey", str)
ResourceKey = NewType("ResourceKey", str)
"""The key of any deployed resource: a process definition, decision, form, or other resource."""
ScopeKey = NewType("ScopeKey", str)
"""Where a variable lives: a process instance key or an element instance key."""

LongKey = Annotated[str, StringConstraints(pattern=r"^-?[0-9]+$", min_length=1, max_length=25)]
"""A key as a request gives it: any decimal integer string (plain ``str``, so callers need not
wrap a key they read elsewhere in its ``NewType``)."""

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
