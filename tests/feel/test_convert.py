"""JSON values in and out, as Zeebe stores variables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sdk.feel import parse, to_feel, to_json


def test_json_numbers_become_decimals() -> None:
    assert to_feel({"a": [1, 2.5, True, None, "s"]}) == {
        "a": [Decimal(1), Decimal("2.5"), True, None, "s"]
    }


def test_not_finite_floats_become_null() -> None:
    assert to_feel(float("nan")) is None


def test_integral_decimals_become_ints_and_others_floats() -> None:
    assert to_json(Decimal("3.0")) == 3 and isinstance(to_json(Decimal("3.0")), int)
    assert to_json(Decimal("2.5")) == 2.5


def test_temporal_values_become_iso_text() -> None:
    assert to_json(dt.date(2024, 1, 2)) == "2024-01-02"
    assert to_json(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)) == (
        "2024-01-02T03:04:05Z"
    )
    assert to_json(dt.timedelta(hours=1)) == "PT1H"


def test_functions_and_ranges_become_null() -> None:
    assert to_json(parse("function(x) x").evaluate({}).value) is None
    assert to_json(parse("[1..2]").evaluate({}).value) is None


def test_round_trip_of_a_context() -> None:
    data = {"order": {"id": "o-1", "items": [{"qty": 2, "price": 9.99}], "vip": False}}
    assert to_json(to_feel(data)) == data


def test_variables_are_read_as_given() -> None:
    result = parse("order.items[1].qty * order.items[1].price").evaluate(
        {"order": {"items": [{"qty": 2, "price": 9.99}]}}
    )
    assert result.value == Decimal("19.98")
