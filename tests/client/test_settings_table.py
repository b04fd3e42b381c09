"""The settings table of docs/configuration.md is the one the settings models render."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from sdk.broker import BrokerAuthSettings
from sdk.client import Settings
from sdk.client._docs import settings_table
from sdk.worker._cli import WorkerSettings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
DOCUMENTED = (Settings, WorkerSettings, BrokerAuthSettings)


def test_documented_table_matches_the_settings_models() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert START in text and END in text, f"{PAGE.name} lacks the {START} / {END} markers"
    shown = text.split(START, 1)[1].split(END, 1)[0].strip()
    expected = settings_table(*DOCUMENTED)
    assert shown == expected, (
        "the settings table of docs/configuration.md is stale; paste the output of\n"
        "  python -c 'from tests.client.test_settings_table import print_table; print_table()'"
    )


def test_every_variable_of_the_models_is_a_row() -> None:
    table = settings_table(*DOCUMENTED)
    for model in DOCUMENTED:
        for field in model.model_fields.values():
            assert f"| `{field.validation_alias}` |" in table


class Color(Enum):
    RED = "red"


class Example(BaseSettings):
    plain: int = Field(default=3, validation_alias="EX_PLAIN", description="A | pipe.")
    nothing: str | None = Field(default=None, validation_alias="EX_NOTHING", description="x")
    words: float = Field(
        default=1.5,
        validation_alias="EX_WORDS",
        description="multi\n line",
        json_schema_extra={"doc_default": "one and a half"},
    )
    color: Color = Field(default=Color.RED, validation_alias="EX_COLOR")
    flag: bool = Field(default=False, validation_alias="EX_FLAG")
    whole: float = Field(default=2.0, validation_alias="EX_WHOLE")


def test_rendering_of_defaults_and_descriptions() -> None:
    assert settings_table(Example).splitlines() == [
        "| variable | default | meaning |",
        "|---|---|---|",
        "| `EX_PLAIN` | `3` | A \\| pipe. |",
        "| `EX_NOTHING` | unset | x |",
        "| `EX_WORDS` | one and a half | multi line |",
        "| `EX_COLOR` | `red` |  |",
        "| `EX_FLAG` | `false` |  |",
        "| `EX_WHOLE` | `2` |  |",
    ]


def print_table() -> None:
    """Print the table to paste between the markers of docs/configuration.md."""
    print(settings_table(*DOCUMENTED))
