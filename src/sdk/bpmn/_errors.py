"""What is wrong with a BPMN resource: one ``Problem`` per finding, raised together.

BpmnError
├── BpmnParseError          the bytes are not a BPMN document we are willing to read
│                           (malformed, a DOCTYPE or entity, too large, too deep)
└── BpmnValidationError     a readable model the engine cannot run; ``problems`` lists
                            every finding at once, each naming the element
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a model cannot be deployed.

    Attributes:
        element_id: The id of the element at fault (``None`` when it has no id).
        element_type: Its BPMN type, as the XML names it (``serviceTask``, ``complexGateway``).
        message: What is wrong or unsupported.
    """

    element_id: str | None
    element_type: str
    message: str

    def __str__(self) -> str:
        where = f"'{self.element_id}'" if self.element_id is not None else "(no id)"
        return f"{self.element_type} {where}: {self.message}"


class BpmnError(ValueError):
    """Base class of the errors raised when a BPMN resource is read."""


class BpmnParseError(BpmnError):
    """The resource is not XML we read: malformed, hostile (DOCTYPE, entities), too large or
    too deeply nested, or not BPMN 2.0 ``definitions`` at all."""


class BpmnValidationError(BpmnError):
    """The model is readable but cannot be deployed; ``problems`` names every reason.

    Attributes:
        problems: Every problem found, in document order.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = len(self.problems)
        head = f"the BPMN model has {count} problem{'s' if count != 1 else ''}"
        return "\n".join([f"{head}:", *(f"- {p}" for p in self.problems)])
