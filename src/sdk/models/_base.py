"""Shared pydantic configuration: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

EnumT = TypeVar("EnumT", bound=Enum)

OpenEnum = Annotated[Union[EnumT, str], Field(union_mode="left_to_right")]  # noqa: UP007
"""An enum in an answer: a known value parses to the member, a value a newer server added stays
a plain string instead of failing the whole answer."""


class RequestModel(BaseModel):
    """A body the server validates strictly: unknown fields are a client error (HTTP 400)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        defer_build=True,
    )

    def to_wire(self) -> bytes:
        """JSON bytes as sent on the wire: aliases, no unset optional fields."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class ResponseModel(BaseModel):
    """A body the client parses leniently: unknown fields from newer servers are ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        defer_build=True,
    )

    def to_wire(self) -> bytes:
        """JSON bytes with every field present (``null`` where empty), as Camunda answers."""
        return self.model_dump_json(by_alias=True).encode()
