"""Dates, times, date-times and durations: literals, arithmetic, comparison, properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sdk.feel import parse

from .conftest import value

CASES: list[tuple[str, Any]] = [
    ('@"2024-01-01"', "2024-01-01"),
    ('@"10:15:00"', "10:15:00"),
    ('@"10:15:30.5+02:00"', "10:15:30.5+02:00"),
    ('@"2024-01-01T10:00:00Z"', "2024-01-01T10:00:00Z"),
    ('@"2024-01-01T10:00:00+01:00"', "2024-01-01T10:00:00+01:00"),
    ('@"P1D"', "P1D"),
    ('@"PT36H"', "P1DT12H"),
    ('@"P18M"', "P1Y6M"),
    ('@"not a date"', None),
    ('@"2024-01-01" + @"P1D"', "2024-01-02"),
    ('@"2024-01-31" + @"P1M"', "2024-02-29"),
    ('@"2024-03-01" - @"P1D"', "2024-02-29"),
    ('@"2024-01-01T10:00:00Z" + @"PT90M"', "2024-01-01T11:30:00Z"),
    ('@"2024-01-01T23:00:00" + @"PT2H"', "2024-01-02T01:00:00"),
    ('@"2024-03-01" - @"2024-02-01"', "P29D"),
    ('@"2024-01-01T12:00:00Z" - @"2024-01-01T10:30:00Z"', "PT1H30M"),
    ('@"10:00:00" + @"PT3H"', "13:00:00"),
    ('@"23:00:00" + @"PT2H"', "01:00:00"),
    ('@"12:00:00" - @"10:30:00"', "PT1H30M"),
    ('@"P1D" + @"PT2H"', "P1DT2H"),
    ('@"P1D" * 3', "P3D"),
    ('@"P1Y" + @"P6M"', "P1Y6M"),
    ('@"P1D" / @"PT1H"', 24),
    ('-@"P1D"', "-P1D"),
    ('@"2024-01-01" < @"2024-01-02"', True),
    ('@"P1D" > @"PT23H"', True),
    ('@"P1Y" > @"P11M"', True),
    ('@"2024-01-01" = @"2024-01-01"', True),
    ('@"2024-01-01" < 5', None),
    ('@"2024-01-01T10:00:00" < @"2024-01-01T10:00:00Z"', None),
    ('@"2024-05-06".year', 2024),
    ('@"2024-05-06".month', 5),
    ('@"2024-05-06".day', 6),
    ('@"2024-05-06".weekday', 1),
    ('@"2024-05-06T07:08:09Z".hour', 7),
    ('@"2024-05-06T07:08:09Z".minute', 8),
    ('@"2024-05-06T07:08:09Z".second', 9),
    ('@"2024-05-06T07:08:09+02:00".time offset', "PT2H"),
    ('@"2024-05-06T07:08:09@Europe/Paris".timezone', "Europe/Paris"),
    ('@"P2DT3H4M5S".days', 2),
    ('@"P2DT3H4M5S".hours', 3),
    ('@"P2DT3H4M5S".minutes', 4),
    ('@"P2DT3H4M5S".seconds', 5),
    ('@"P2Y3M".years', 2),
    ('@"P2Y3M".months', 3),
    ('date("2024-05-06") + duration("P1D") = date("2024-05-07")', True),
    ('now() - @"PT30M"', "2024-03-15T10:00:00Z"),
    ('today() + @"P1D"', "2024-03-16"),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_temporal(expression: str, expected: Any) -> None:
    assert value(expression) == expected


def test_now_reads_the_clock_given_to_the_evaluation() -> None:
    expression = parse("now()")
    moved = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert expression.evaluate({}, now=moved).value == moved
    assert expression.evaluate({}, now=dt.datetime(2030, 1, 1)).value == moved


def test_now_without_a_clock_is_the_current_time() -> None:
    before = dt.datetime.now(dt.timezone.utc)
    assert before <= parse("now()").evaluate({}).value
