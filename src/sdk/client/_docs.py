"""The configuration table of docs/configuration.md, rendered from the settings models themselves.

Each field's variable (its alias), default and description become one row, so the table
cannot drift from the code: a test compares that page with ``settings_table(...)``.
A field may show a default in words with ``json_schema_extra={"doc_default": "..."}``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

HEADER = "| variable | default | meaning |\n|---|---|---|"


def settings_table(*models: type[BaseSettings]) -> str:
    """A markdown table of every field of ``models``, in order (no trailing newline)."""
    rows = [HEADER]
    for model in models:
        for name, field in model.model_fields.items():
            variable = field.validation_alias if isinstance(field.validation_alias, str) else name
            meaning = _cell(field.description or "")
            rows.append(f"| `{variable}` | {_default(field)} | {meaning} |")
    return "\n".join(rows)


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("doc_default"), str):
        return _cell(str(extra["doc_default"]))
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        return "computed"
    if value is None or value is PydanticUndefined:
        return "unset"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, (str, Path, int, float)):
        return f"`{value}`"
    return _cell(repr(value))


def _cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
