"""Built-in numeric and temporal functions; ``now()`` and ``today()`` read the evaluation's
clock, never the wall clock directly."""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import random
from decimal import Decimal
from typing import Any

from ._functions import builtin
from ._scope import State
from ._values import DECIMAL, FeelError, YearsMonths


def _scaled(n: Decimal, scale: Decimal, rounding: str) -> Decimal:
    places = int(scale)
    if not -6111 <= places <= 6176:
        raise FeelError(f"the scale {places} is out of range")
    return n.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=DECIMAL)


@builtin("decimal")
def decimal_(n: Decimal, scale: Decimal) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_HALF_EVEN)


@builtin("floor")
def floor(n: Decimal, scale: Decimal = Decimal(0)) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_FLOOR)


@builtin("ceiling")
def ceiling(n: Decimal, scale: Decimal = Decimal(0)) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_CEILING)


@builtin("round up")
def round_up(n: Decimal, scale: Decimal) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_UP)


@builtin("round down")
def round_down(n: Decimal, scale: Decimal) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_DOWN)


@builtin("round half up")
def round_half_up(n: Decimal, scale: Decimal) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_HALF_UP)


@builtin("round half down")
def round_half_down(n: Decimal, scale: Decimal) -> Decimal:
    return _scaled(n, scale, decimal.ROUND_HALF_DOWN)


@builtin("abs")
def abs_(n: Decimal | dt.timedelta | YearsMonths) -> Any:
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return abs(n)


@builtin("modulo")
def modulo(dividend: Decimal, divisor: Decimal) -> Decimal:
    if divisor == 0:
        raise FeelError("division by zero")
    # FEEL: the result has the divisor's sign (dividend - divisor * floor(dividend / divisor))
    quotient = DECIMAL.divide(dividend, divisor).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return DECIMAL.subtract(dividend, DECIMAL.multiply(divisor, quotient))


@builtin("sqrt")
def sqrt(number: Decimal) -> Decimal | None:
    return DECIMAL.sqrt(number) if number >= 0 else None


@builtin("log")
def log(number: Decimal) -> Decimal | None:
    return DECIMAL.ln(number) if number > 0 else None


@builtin("exp")
def exp(number: Decimal) -> Decimal:
    return DECIMAL.exp(number)


def _integer(number: Decimal) -> int:
    if number != number.to_integral_value():
        raise FeelError(f"Expected an integer but found '{number}'")
    return int(number)


@builtin("odd")
def odd(number: Decimal) -> bool:
    return _integer(number) % 2 == 1


@builtin("even")
def even(number: Decimal) -> bool:
    return _integer(number) % 2 == 0


@builtin("random number")
def random_number() -> Decimal:
    return Decimal(repr(random.random()))


# ---- temporal -----------------------------------------------------------------------------------


@builtin("now")
def now(state: State) -> dt.datetime:
    return state.now()


@builtin("today")
def today(state: State) -> dt.date:
    return state.now().date()


@builtin("day of week")
def day_of_week(date: dt.date) -> str:
    return calendar.day_name[date.weekday()]


@builtin("day of year")
def day_of_year(date: dt.date) -> Decimal:
    return Decimal(date.timetuple().tm_yday)


@builtin("week of year")
def week_of_year(date: dt.date) -> Decimal:
    return Decimal(date.isocalendar()[1])


@builtin("month of year")
def month_of_year(date: dt.date) -> str:
    return calendar.month_name[date.month]


@builtin("last day of month")
def last_day_of_month(date: dt.date) -> Decimal:
    return Decimal(calendar.monthrange(date.year, date.month)[1])
