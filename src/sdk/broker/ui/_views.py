"""How the dashboard words and formats what the store holds (pure functions, used as Jinja
filters and globals)."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timezone
from typing import Any

from ...models import JobEvent

STATE_LABELS = {
    "ACTIVATABLE": "Activatable",
    "ACTIVATED": "Activated",
    "COMPLETED": "Completed",
    "FAILED": "Failed, will retry",
    "INCIDENT": "Incident",
    "ERROR_THROWN": "Error thrown",
    "CANCELED": "Canceled",
    "ACTIVE": "Active",
    "TERMINATED": "Terminated",
    "RESOLVED": "Resolved",
    "CREATED": "Created",
    "TIMED_OUT": "Timed out",
}
"""Display names of the job states and of the overview's extra ``FAILED`` category, and of
the states of process instances, their elements, incidents and (Camunda's) job states."""

ENDED_STATES = frozenset({"COMPLETED", "ERROR_THROWN", "CANCELED"})
TAIL_LINES = 30
"""How many last lines of an error message (a traceback tail) the job page shows."""

_CLI_DEFAULT_BASES = frozenset({"http://localhost:8080", "http://127.0.0.1:8080"})
"""Where ``python -m sdk`` looks when ``CAMUNDA_REST_ADDRESS`` is unset (its client default)."""


def iso_time(ms: int) -> str:
    """Epoch milliseconds as an ISO 8601 UTC timestamp (a ``<time datetime>`` value)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_text(ms: int) -> str:
    """Epoch milliseconds as readable UTC; the page's script shows it in local time."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_text(iso: str | None) -> str:
    """An ISO 8601 UTC timestamp as the API writes it, as readable UTC (the page's script shows
    it in local time); ``""`` for none."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def enum_value(value: Any) -> str:
    """An open enum's value: an ``Enum`` member's, or the plain string the API sent."""
    return str(getattr(value, "value", value))


def words(constant: str) -> str:
    """An API constant in words: ``SERVICE_TASK`` → ``Service task``."""
    return constant.replace("_", " ").capitalize()


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def first_line(text: str | None) -> str:
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else ""


def tail(text: str, lines: int = TAIL_LINES) -> tuple[str, int]:
    """The last ``lines`` lines of ``text`` and how many lines it has in all."""
    all_lines = text.rstrip().splitlines()
    return "\n".join(all_lines[-lines:]), len(all_lines)


_EVENT_TEXT = {
    "CREATED": "created with {retries} retries",
    "ACTIVATED": "activated by {worker}",
    "COMPLETED": "completed by {worker}",
    "FAILED": "failed at {worker}; {retries} retries left",
    "INCIDENT": "failed at {worker} with no retries left: incident",
    "ERROR_THROWN": "error thrown by {worker}",
    "TIMED_OUT": "timed out at {worker}; handed out again",
    "RETRIES_UPDATED": "retries set to {retries}",
    "TIMEOUT_UPDATED": "timeout changed",
    "CANCELED": "canceled",
}


def describe(event: JobEvent) -> str:
    """One history line in words, e.g. ``activated by worker-1``."""
    template = _EVENT_TEXT.get(event.event)
    if template is None:
        return event.event.lower().replace("_", " ")
    return template.format(worker=event.worker or "an unnamed worker", retries=event.retries)


def api_base(base_url: str) -> str:
    """The broker's address as users type it: ``http://127.0.0.1:8080`` (no trailing slash)."""
    return base_url.rstrip("/")


def create_command(base_url: str) -> str:
    """The shell command that creates a first job on this broker."""
    base = api_base(base_url)
    env = "" if base in _CLI_DEFAULT_BASES else f"CAMUNDA_REST_ADDRESS={shlex.quote(base)} "
    variables = shlex.quote(json.dumps({"name": "Ada"}))
    return f"{env}python -m sdk jobs create greet --variables {variables}"


def curl_command(base_url: str) -> str:
    """The same through the HTTP API, for those without the package at hand."""
    body = json.dumps({"jobs": [{"type": "greet", "variables": {"name": "Ada"}}]})
    return (
        f"curl -X POST {api_base(base_url)}/v2/ext/jobs"
        f" -H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )
