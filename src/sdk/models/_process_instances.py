"""Wire models of commands on process instances: creation and cancellation.

The same models serve a real Camunda 8 cluster and the embedded broker's engine. What is read
about instances (get, search, sequence flows, statistics) is in ``_process_instance_queries``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from ._base import RequestModel, ResponseModel
from ._jobs import INT32_MAX, INT64_MAX
from ._keys import DEFAULT_TENANT, NO_KEY

MAX_TAGS = 10
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-:.]{0,99}$")]
"""A label on an instance: a letter, then letters, digits and ``_-:.``; at most a hundred."""
BusinessId = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ProcessInstanceCreationStartInstruction(RequestModel):
    """Start the instance before ``element_id`` instead of at the process's start event."""

    element_id: str = Field(min_length=1)


class ProcessInstanceCreationTerminateInstruction(RequestModel):
    """Terminate the instance once ``after_element_id`` completes or is terminated (alpha)."""

    type: Literal["TERMINATE_PROCESS_INSTANCE"] = "TERMINATE_PROCESS_INSTANCE"
    after_element_id: str = Field(min_length=1)


class ProcessInstanceCreationInstruction(RequestModel):
    """The body of POST /v2/process-instances: by definition key, or by BPMN process id.

    Exactly one of ``process_definition_key`` and ``process_definition_id`` is set (the spec's
    ``oneOf``). ``process_definition_version`` selects a version of the id (-1 or absent:
    latest); with a key Camunda accepts it and ignores it, and so does this model.
    """

    process_definition_key: str | None = Field(default=None, pattern=r"^-?[0-9]{1,19}$")
    process_definition_id: str | None = Field(default=None, min_length=1)
    process_definition_version: int | None = Field(default=None, ge=-1, le=INT32_MAX)
    variables: dict[str, Any] | None = None
    tenant_id: str | None = None
    operation_reference: int | None = Field(default=None, ge=1)
    start_instructions: list[ProcessInstanceCreationStartInstruction] | None = None
    runtime_instructions: list[ProcessInstanceCreationTerminateInstruction] | None = None
    await_completion: bool | None = None
    fetch_variables: list[str] | None = None
    request_timeout: int | None = Field(default=None, ge=0, le=INT64_MAX)
    """Milliseconds the call waits for the instance to complete (with ``await_completion``)."""
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    business_id: BusinessId | None = None

    @model_validator(mode="after")
    def _one_definition(self) -> ProcessInstanceCreationInstruction:
        if (self.process_definition_key is None) == (self.process_definition_id is None):
            raise ValueError("give exactly one of process_definition_key and process_definition_id")
        return self


class CreateProcessInstanceResult(ResponseModel):
    """The answer of POST /v2/process-instances; ``variables`` only with ``await_completion``."""

    process_instance_key: str
    process_definition_key: str = NO_KEY
    process_definition_id: str = ""
    process_definition_version: int = -1
    tenant_id: str = DEFAULT_TENANT
    variables: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    business_id: str | None = None


class CancelProcessInstanceRequest(RequestModel):
    """POST /v2/process-instances/{key}/cancellation (the body itself is optional)."""

    operation_reference: int | None = Field(default=None, ge=1)
