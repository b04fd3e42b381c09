"""The shape every Camunda v2 search shares: ``{filter, sort, page}`` in, ``{items, page}`` out.

A filter property is either a plain value (exact match) or an object of operators such as
``{"$in": [...], "$like": "ord*"}``. Camunda declares one operator schema per filtered type but
they come in four shapes only, so they are modelled once here as generic classes and each
filter names its shape and value type: ``str | PatternFilter[str]`` is a string filter.
"""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

from pydantic import Field, model_validator

from ._base import RequestModel, ResponseModel
from ._keys import LongKey

MAX_PAGE_LIMIT = 10_000
"""The largest ``limit`` Camunda accepts for limit and cursor pages."""

_CURSOR = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=)?$"

ValueT = TypeVar("ValueT")
FilterT = TypeVar("FilterT")
SortFieldT = TypeVar("SortFieldT")
ItemT = TypeVar("ItemT")


# -- filter operators ------------------------------------------------------------------------


class EqualityFilter(RequestModel, Generic[ValueT]):
    """Equality and membership operators: how keys and plain strings are matched."""

    eq: ValueT | None = Field(default=None, alias="$eq")
    neq: ValueT | None = Field(default=None, alias="$neq")
    exists: bool | None = Field(default=None, alias="$exists")
    in_: list[ValueT] | None = Field(default=None, alias="$in")
    not_in: list[ValueT] | None = Field(default=None, alias="$notIn")


class PatternFilter(EqualityFilter[ValueT], Generic[ValueT]):
    """Equality, membership and ``$like`` (``*`` any run, ``?`` one character, ``\\`` escapes)."""

    like: str | None = Field(default=None, alias="$like")


class EnumFilter(RequestModel, Generic[ValueT]):
    """The operators Camunda allows on most state enums: no ``$notIn``, but a ``$like``."""

    eq: ValueT | None = Field(default=None, alias="$eq")
    neq: ValueT | None = Field(default=None, alias="$neq")
    exists: bool | None = Field(default=None, alias="$exists")
    in_: list[ValueT] | None = Field(default=None, alias="$in")
    like: str | None = Field(default=None, alias="$like")


class RangeFilter(RequestModel, Generic[ValueT]):
    """Comparison operators for ordered values (integers, date-times): no ``$notIn``."""

    eq: ValueT | None = Field(default=None, alias="$eq")
    neq: ValueT | None = Field(default=None, alias="$neq")
    exists: bool | None = Field(default=None, alias="$exists")
    gt: ValueT | None = Field(default=None, alias="$gt")
    gte: ValueT | None = Field(default=None, alias="$gte")
    lt: ValueT | None = Field(default=None, alias="$lt")
    lte: ValueT | None = Field(default=None, alias="$lte")
    in_: list[ValueT] | None = Field(default=None, alias="$in")


# The filter properties most filters share. Date-times stay ISO 8601 strings, as on the wire.
StringFilterProperty = str | PatternFilter[str]
BasicStringFilterProperty = str | EqualityFilter[str]
KeyFilterProperty = LongKey | EqualityFilter[LongKey]
IntegerFilterProperty = int | RangeFilter[int]
DateTimeFilterProperty = str | RangeFilter[str]


# -- sort and page ---------------------------------------------------------------------------


class SortOrder(str, Enum):
    ASC = "ASC"
    DESC = "DESC"


class SearchQuerySortRequest(RequestModel, Generic[SortFieldT]):
    """One sort criterion; each search allows its own set of (camelCase) field names."""

    field: SortFieldT
    order: SortOrder | None = None
    """Ascending when absent."""


class SearchQueryPageRequest(RequestModel):
    """Which page: ``limit`` alone, or with one of ``from`` (offset), ``after`` or ``before``.

    Camunda declares four page shapes; they differ only in which of those three is present, so
    one model with that rule stands for all of them.
    """

    limit: int | None = Field(default=None, ge=1)
    from_: int | None = Field(default=None, ge=0, alias="from")
    after: str | None = Field(default=None, pattern=_CURSOR)
    """The previous page's ``endCursor``: the next page."""
    before: str | None = Field(default=None, pattern=_CURSOR)
    """The previous page's ``startCursor``: the page before it."""

    @model_validator(mode="after")
    def _one_position(self) -> SearchQueryPageRequest:
        given = [n for n in ("from_", "after", "before") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of from, after and before, not {given}")
        # an offset page has no upper limit in the spec; limit and cursor pages do
        if self.from_ is None and self.limit is not None and self.limit > MAX_PAGE_LIMIT:
            raise ValueError(f"limit must be at most {MAX_PAGE_LIMIT}")
        return self


class SearchQueryRequest(RequestModel, Generic[FilterT, SortFieldT]):
    """A search body: every part optional (no filter: everything, first page, default order)."""

    filter: FilterT | None = None
    sort: list[SearchQuerySortRequest[SortFieldT]] | None = None
    page: SearchQueryPageRequest | None = None


class SearchQueryPageResponse(ResponseModel):
    """Where a page stands; ``total_items`` is only a lower bound if ``has_more_total_items``."""

    total_items: int = 0
    has_more_total_items: bool = False
    start_cursor: str | None = None
    end_cursor: str | None = None


class SearchQueryResponse(ResponseModel, Generic[ItemT]):
    items: list[ItemT] = Field(default_factory=list)
    page: SearchQueryPageResponse = Field(default_factory=SearchQueryPageResponse)
