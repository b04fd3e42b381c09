"""The per-kind data of tasks, call activities and sub-processes: jobs, scripts, user tasks,
called elements, input/output mappings and multi-instance characteristics."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from xml.etree.ElementTree import Element

from ._model import (
    CalledElement,
    IoMapping,
    JobDefinition,
    MultiInstance,
    Script,
    UserTask,
    VariableMapping,
)
from ._reader import Owner, Reader, bpmn_children, extensions, flag, text_of
from ._xml import bpmn

USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"
"""The job type of a job-based user task (Zeebe's; Tasklist works these jobs)."""

_PATH = r"[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*"
_RESERVED = frozenset(
    {"null", "true", "false", "function", "if", "then", "else", "for", "between", "instance", "of"}
)

Ext = dict[str, list[Element]]


def _either(other: str) -> str:
    return f"Must have either one 'zeebe:{other}' or one 'zeebe:taskDefinition' extension element"


class ActivityReader:
    """Reads the Zeebe extensions of activities (and of events that create jobs)."""

    def __init__(self, reader: Reader, messages: dict[str, Any]) -> None:
        self._reader = reader
        self._messages = messages
        self._kinds: dict[str, Callable[[Element, Owner, Ext], dict[str, Any]]] = {
            "serviceTask": self._service_task,
            "sendTask": self._send_task,
            "businessRuleTask": self._business_rule_task,
            "scriptTask": self._script_task,
            "receiveTask": self._receive_task,
            "userTask": self._user_task,
            "callActivity": self._call_activity,
        }

    def parts(self, element: Element, local: str, owner: Owner, ext: Ext) -> dict[str, Any]:
        """The ``FlowNode`` fields of an activity of kind ``local``."""
        parts: dict[str, Any] = {"io": self.io_mapping(ext, owner)}
        if element.get("isForCompensation", "false").strip() == "true":
            self._reader.problem(
                owner, "compensation handlers (isForCompensation) are not supported"
            )
        for child_local, child in bpmn_children(element):
            if child_local == "multiInstanceLoopCharacteristics":
                parts["multi_instance"] = self.multi_instance(child, owner)
            elif child_local == "standardLoopCharacteristics":
                self._reader.problem(
                    owner, "standard loops are not supported: use multi-instance instead"
                )
        if element.get("default"):
            parts["default_flow"] = element.get("default")
        kind = self._kinds.get(local)
        if kind is not None:
            parts.update(kind(element, owner, ext))
        return parts

    # -- jobs ------------------------------------------------------------------------------

    def job(self, ext: Ext, owner: Owner) -> JobDefinition | None:
        """The element's ``zeebe:taskDefinition`` and ``zeebe:taskHeaders`` (``None`` without
        a task definition)."""
        found = ext.get("taskDefinition", [])
        if not found:
            return None
        if len(found) > 1:
            self._reader.problem(
                owner, "Must have exactly one 'zeebe:taskDefinition' extension element"
            )
        definition = found[0]
        job_type = self._reader.value(
            self._reader.required(definition, "type", owner, "zeebe:taskDefinition"),
            owner,
            "job type",
        )
        retries = self._reader.value(definition.get("retries"), owner, "job retries")
        if isinstance(retries, str) and not retries.strip().lstrip("-").isdigit():
            self._reader.problem(owner, f"job retries '{retries}' is not a number")
        return JobDefinition(type=job_type or "", retries=retries or "3", headers=self.headers(ext))

    @staticmethod
    def headers(ext: Ext) -> MappingProxyType[str, str]:
        """``zeebe:taskHeaders`` as a mapping (document order; a repeated key keeps the last)."""
        headers: dict[str, str] = {}
        for holder in ext.get("taskHeaders", []):
            for header in holder:
                key = header.get("key")
                if key is not None:
                    headers[key] = header.get("value", "")
        return MappingProxyType(headers)

    def _refuse_publish_message(self, ext: Ext, owner: Owner) -> None:
        if "publishMessage" in ext:
            self._reader.problem(
                owner,
                "zeebe:publishMessage is not supported: send the message from a job worker"
                " (zeebe:taskDefinition)",
            )

    def _service_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        job = self.job(ext, owner)
        if job is None:
            self._reader.problem(
                owner, "Must have exactly one 'zeebe:taskDefinition' extension element"
            )
        return {"job": job}

    def _send_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        self._refuse_publish_message(ext, owner)
        job = self.job(ext, owner)
        if job is None and "publishMessage" not in ext:
            self._reader.problem(owner, _either("publishMessage"))
        return {"job": job}

    def _business_rule_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        if "calledDecision" in ext:
            self._reader.problem(
                owner, "DMN decisions are not supported: use a zeebe:taskDefinition (a job) instead"
            )
            return {}
        job = self.job(ext, owner)
        if job is None:
            self._reader.problem(owner, _either("calledDecision"))
        return {"job": job}

    def _script_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        scripts, job = ext.get("script", []), self.job(ext, owner)
        if (len(scripts) == 1) == (job is not None) or len(scripts) > 1:
            self._reader.problem(owner, _either("script"))
            return {"job": job}
        if job is not None:
            return {"job": job}
        script = scripts[0]
        expression = self._reader.expression(
            self._reader.required(script, "expression", owner, "zeebe:script"),
            owner,
            "script expression",
        )
        result = self._reader.required(script, "resultVariable", owner, "zeebe:script")
        return {"script": Script(expression or "", result or "")}

    def _receive_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        ref = (element.get("messageRef") or "").strip()
        message = self._messages.get(ref) if ref else None
        if message is None:
            detail = f" ('{ref}' does not name a message of the file)" if ref else ""
            self._reader.problem(owner, f"Must reference a message{detail}")
        return {"message": message}

    def _user_task(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        def attr(kind: str, name: str) -> Any:
            found = ext.get(kind, [])
            raw = found[0].get(name) if found else None
            return self._reader.value(raw, owner, f"zeebe:{kind} {name}")

        camunda = "userTask" in ext
        form = ext.get("formDefinition", [])
        user_task = UserTask(
            camunda_user_task=camunda,
            assignee=attr("assignmentDefinition", "assignee"),
            candidate_groups=attr("assignmentDefinition", "candidateGroups"),
            candidate_users=attr("assignmentDefinition", "candidateUsers"),
            due_date=attr("taskSchedule", "dueDate"),
            follow_up_date=attr("taskSchedule", "followUpDate"),
            form_key=attr("formDefinition", "formKey"),
            form_id=form[0].get("formId") if form else None,
            external_reference=attr("formDefinition", "externalReference"),
            priority=attr("priorityDefinition", "priority"),
        )
        if "taskListeners" in ext:
            self._reader.problem(owner, "task listeners (zeebe:taskListeners) are not supported")
        if camunda:
            return {"user_task": user_task}
        job = JobDefinition(type=USER_TASK_JOB_TYPE, retries="1", headers=self.headers(ext))
        return {"user_task": user_task, "job": job}

    def _call_activity(self, element: Element, owner: Owner, ext: Ext) -> dict[str, Any]:
        found = ext.get("calledElement", [])
        if len(found) != 1:
            self._reader.problem(
                owner, "Must have exactly one 'zeebe:calledElement' extension element"
            )
            return {}
        called = found[0]
        process_id = self._reader.value(
            self._reader.required(called, "processId", owner, "zeebe:calledElement"),
            owner,
            "called process id",
        )
        if called.get("bindingType", "latest").strip() != "latest":
            self._reader.problem(
                owner, "only the 'latest' binding of zeebe:calledElement is supported"
            )
        return {
            "called_element": CalledElement(
                process_id=process_id or "",
                propagate_all_child_variables=flag(called.get("propagateAllChildVariables"), True),
                propagate_all_parent_variables=flag(
                    called.get("propagateAllParentVariables"), True
                ),
            )
        }

    # -- mappings and multi-instance -------------------------------------------------------

    def io_mapping(self, ext: Ext, owner: Owner) -> IoMapping:
        """``zeebe:ioMapping``: inputs may be static, outputs must be expressions (as Zeebe)."""
        inputs: list[VariableMapping] = []
        outputs: list[VariableMapping] = []
        for holder in ext.get("ioMapping", []):
            for child in holder:
                local = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
                if local == "input":
                    inputs.append(self._mapping(child, owner, "input", static_ok=True))
                elif local == "output":
                    outputs.append(self._mapping(child, owner, "output", static_ok=False))
        return IoMapping(tuple(inputs), tuple(outputs))

    def _mapping(
        self, child: Element, owner: Owner, what: str, *, static_ok: bool
    ) -> VariableMapping:
        raw = child.get("source")
        read = self._reader.value if static_ok else self._reader.expression
        source = read(raw if raw is not None else "", owner, f"{what} mapping source")
        target = (child.get("target") or "").strip()
        self.check_path(target, owner, f"{what} mapping target")
        return VariableMapping(source if source is not None else "", target)

    def check_path(self, target: str, owner: Owner, what: str) -> None:
        """A variable path (``a`` or ``a.b.c``), as Zeebe requires of mapping targets."""
        if not target:
            self._reader.problem(owner, f"{what}: expected a variable name but found none")
        elif not re.fullmatch(_PATH, target):
            self._reader.problem(owner, f"{what}: '{target}' is not a variable name or path")
        elif target in _RESERVED:
            self._reader.problem(owner, f"{what}: '{target}' is a reserved word")

    def multi_instance(self, element: Element, owner: Owner) -> MultiInstance:
        """``multiInstanceLoopCharacteristics`` with its ``zeebe:loopCharacteristics``."""
        sequential = flag(element.get("isSequential"), False)
        condition_raw = text_of(element.find(bpmn("completionCondition"))) or None
        completion = self._reader.value(condition_raw, owner, "completion condition")
        found = extensions(element).get("loopCharacteristics", [])
        if len(found) != 1:
            self._reader.problem(
                owner, "Must have exactly one 'zeebe:loopCharacteristics' extension element"
            )
            return MultiInstance(sequential, None, completion_condition=completion)
        loop = found[0]
        collection = self._reader.expression(
            self._reader.required(loop, "inputCollection", owner, "zeebe:loopCharacteristics"),
            owner,
            "input collection",
        )
        output_collection = (loop.get("outputCollection") or "").strip() or None
        output_raw = (loop.get("outputElement") or "").strip() or None
        if (output_collection is None) != (output_raw is None):
            self._reader.problem(
                owner, "attributes 'outputCollection' and 'outputElement' must be set together"
            )
        return MultiInstance(
            sequential=sequential,
            input_collection=collection,
            input_element=(loop.get("inputElement") or "").strip() or None,
            output_collection=output_collection,
            output_element=self._reader.expression(output_raw, owner, "output element"),
            completion_condition=completion,
        )
