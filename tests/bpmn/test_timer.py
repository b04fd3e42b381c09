"""Static timer values parse as Zeebe reads them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sdk.bpmn import (
    CronSchedule,
    IsoDuration,
    RepeatingInterval,
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", IsoDuration(seconds=3600)),
        ("PT1.5S", IsoDuration(seconds=1.5)),
        ("P1DT12H", IsoDuration(days=1, seconds=43200)),
        ("P2W", IsoDuration(days=14)),
        ("P1Y2M", IsoDuration(months=14)),
    ],
)
def test_durations(text: str, expected: IsoDuration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "1H", "PT1H2", "-PT1H", "P1H"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(TimerValueError):
        parse_duration(text)


def test_a_month_added_to_a_month_end_is_clamped() -> None:
    start = datetime(2024, 1, 31, 9, tzinfo=timezone.utc)
    assert IsoDuration(months=1).add_to(start) == datetime(2024, 2, 29, 9, tzinfo=timezone.utc)
    assert IsoDuration(days=1, seconds=60).add_to(start) == start + timedelta(days=1, minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R3/PT10S", RepeatingInterval(3, IsoDuration(seconds=10))),
        ("R/PT1H", RepeatingInterval(None, IsoDuration(seconds=3600))),
        (
            "R2/2024-01-01T00:00:00Z/P1D",
            RepeatingInterval(2, IsoDuration(days=1), datetime(2024, 1, 1, tzinfo=timezone.utc)),
        ),
        ("0 0 9 * * MON-FRI", CronSchedule("0 0 9 * * MON-FRI")),
        ("@daily", CronSchedule("@daily")),
    ],
)
def test_cycles(text: str, expected: object) -> None:
    assert parse_cycle(text) == expected


@pytest.mark.parametrize("text", ["R3", "Rx/PT1S", "R/PT1S/PT2S/PT3S", "* * * * *", "0 0 9 ! * *"])
def test_bad_cycles(text: str) -> None:
    with pytest.raises(TimerValueError):
        parse_cycle(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=timezone.utc)),
        (
            "2024-01-01T10:00:00+02:00",
            datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2024-01-01T10:00:00+01:00[Europe/Berlin]",
            datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-01-01T10:00:00", "2024-01-01", "tomorrow"])
def test_dates_need_an_offset(text: str) -> None:
    with pytest.raises(TimerValueError):
        parse_date(text)
