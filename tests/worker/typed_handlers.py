"""Typed handlers for the handler-API tests, importable by child processes (process strategy)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from sdk.worker import JobContext


class Currency(enum.Enum):
    EUR = "EUR"
    USD = "USD"


class Line(BaseModel):
    sku: str
    quantity: Annotated[int, Field(ge=1)]


class Order(BaseModel):
    order_id: str
    amount: float
    currency: Currency = Currency.EUR
    lines: list[Line] = []


@dataclasses.dataclass
class Address:
    city: str
    zip_code: str


class Customer(TypedDict):
    name: str
    vip: bool


@dataclasses.dataclass
class Receipt:
    charged: decimal.Decimal
    at: datetime.datetime
    receipt_id: uuid.UUID
    currency: Currency


def typed(
    amount: float,
    when: datetime.datetime,
    tags: list[str],
    mode: Literal["fast", "slow"],
    currency: Currency,
    count: Annotated[int, Field(ge=0, le=10)] = 0,
) -> dict[str, Any]:
    """Reports the Python type each variable arrived as."""
    return {
        "amount": [type(amount).__name__, amount],
        "when": [type(when).__name__, when.year],
        "tags": tags,
        "mode": mode,
        "currency": [type(currency).__name__, currency.value],
        "count": count,
    }


def passthrough(raw: Any, untyped=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """``Any`` and unannotated parameters get the value as it came."""
    return {"raw": [type(raw).__name__, raw], "untyped": [type(untyped).__name__, untyped]}


async def typed_async(amount: float, address: Address, customer: Customer) -> dict[str, Any]:
    return {
        "amount": [type(amount).__name__, amount],
        "city": [type(address).__name__, address.city],
        "vip": customer["vip"],
    }


def charge(order: Order) -> dict[str, Any]:
    """The whole-model case: built from all variables (or from the variable ``order``)."""
    return {"charged": order.amount, "lines": len(order.lines), "currency": order.currency}


def receipt() -> Receipt:
    return Receipt(
        charged=decimal.Decimal("12.50"),
        at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        receipt_id=uuid.UUID(int=7),
        currency=Currency.USD,
    )


def receipt_dict() -> dict[str, Any]:
    return dataclasses.asdict(receipt()) | {"order": Order(order_id="o-1", amount=1)}


def wants_state(job: JobContext) -> dict[str, Any]:
    """Asks for lifespan state: in a process child that is a ``StateUnavailableError``."""
    return {"keys": sorted(job.state)}


def uses_pool_sync(job: JobContext, n: int) -> dict[str, Any]:
    pool = job.state["pool"]
    pool.append(n)
    return {"pool": pool.name}
