"""Failures that become incidents: a step of an element that cannot go on until resolved.

Error types and messages are Zeebe's, so an operator reads the same incident on both.
"""

from __future__ import annotations

JOB_NO_RETRIES = "JOB_NO_RETRIES"
UNHANDLED_ERROR_EVENT = "UNHANDLED_ERROR_EVENT"
EXTRACT_VALUE_ERROR = "EXTRACT_VALUE_ERROR"
CONDITION_ERROR = "CONDITION_ERROR"
IO_MAPPING_ERROR = "IO_MAPPING_ERROR"
CALLED_ELEMENT_ERROR = "CALLED_ELEMENT_ERROR"

NO_OUTGOING_FLOW_CHOSEN = (
    "Expected at least one condition to evaluate to true, or to have a default flow"
)


class Failure(Exception):
    """A step failed: raised inside the engine, turned into an incident on the element."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def unhandled_error_message(code: str, message: str, available: list[str]) -> str:
    """Zeebe's message for a thrown error no catch event matched."""
    with_message = f" with message '{message}'" if message else ""
    events = (
        f" Available error events are [{', '.join(available)}]"
        if available
        else " No error events are available in the scope."
    )
    return (
        f"Expected to throw an error event with the code '{code}'{with_message},"
        f" but it was not caught.{events}"
    )
