"""Wire models of POST /v2/process-instances (start a process instance on a real cluster).

The embedded broker has no process engine; these exist so a client can drive a real Camunda 8
cluster end to end (deploy, start, work the jobs) with one library.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ._base import RequestModel, ResponseModel
from ._jobs import INT32_MAX, INT64_MAX
from ._keys import DEFAULT_TENANT, NO_KEY


class ProcessInstanceCreationStartInstruction(RequestModel):
    """Start the instance before ``element_id`` instead of at the process's start event."""

    element_id: str = Field(min_length=1)


class ProcessInstanceCreationInstruction(RequestModel):
    """The body of POST /v2/process-instances: by definition key, or by BPMN process id.

    Exactly one of ``process_definition_key`` and ``process_definition_id`` is set (the spec's
    ``oneOf``); ``process_definition_version`` only goes with the id (-1 or absent: latest).
    """

    process_definition_key: str | None = Field(default=None, pattern=r"^-?[0-9]{1,19}$")
    process_definition_id: str | None = Field(default=None, min_length=1)
    process_definition_version: int | None = Field(default=None, ge=-1, le=INT32_MAX)
    variables: dict[str, Any] | None = None
    tenant_id: str | None = None
    operation_reference: int | None = Field(default=None, ge=1)
    start_instructions: list[ProcessInstanceCreationStartInstruction] | None = None
    await_completion: bool | None = None
    fetch_variables: list[str] | None = None
    request_timeout: int | None = Field(default=None, ge=0, le=INT64_MAX)
    """Milliseconds the call waits for the instance to complete (with ``await_completion``)."""
    tags: list[str] | None = None
    business_id: str | None = None

    @model_validator(mode="after")
    def _one_definition(self) -> ProcessInstanceCreationInstruction:
        by_key = self.process_definition_key is not None
        if by_key == (self.process_definition_id is not None):
            raise ValueError("give exactly one of process_definition_key and process_definition_id")
        if by_key and self.process_definition_version is not None:
            raise ValueError("process_definition_version goes with process_definition_id only")
        return self


class CreateProcessInstanceResult(ResponseModel):
    """The answer of POST /v2/process-instances. Keys are decimal strings."""

    process_instance_key: str
    process_definition_key: str = NO_KEY
    process_definition_id: str = ""
    process_definition_version: int = -1
    tenant_id: str = DEFAULT_TENANT
    variables: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    business_id: str | None = None
