"""Built-in string functions. Patterns are XML Schema / Java regular expressions, read by
Python's ``re`` (the common syntax is the same)."""

from __future__ import annotations

import base64
import re
import uuid as uuid_module
from decimal import Decimal
from typing import Any

from ._functions import builtin
from ._values import FeelError

_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}


def _pattern(pattern: str, flags: str | None = None) -> re.Pattern[str]:
    value = 0
    for flag in flags or "":
        if flag not in _FLAGS:
            raise FeelError(f"unknown regular expression flag '{flag}'")
        value |= _FLAGS[flag]
    try:
        return re.compile(pattern, value)
    except re.error as error:
        raise FeelError(f"invalid regular expression '{pattern}': {error}") from None


def _replacement(replacement: str) -> str:
    # Java writes group references as $1; Python as \\1 (and a literal backslash doubled)
    escaped = replacement.replace("\\", "\\\\")
    return re.sub(r"\$(\d+)", r"\\g<\1>", escaped)


@builtin("substring")
def substring(string: str, start_position: Decimal, length: Decimal | None = None) -> str:
    chars = list(string)  # by code point, as FEEL counts
    start = int(start_position)
    begin = start - 1 if start > 0 else max(len(chars) + start, 0)
    end = len(chars) if length is None else begin + int(length)
    return "".join(chars[begin:end])


@builtin("string length")
def string_length(string: str) -> Decimal:
    return Decimal(len(string))


@builtin("upper case")
def upper_case(string: str) -> str:
    return string.upper()


@builtin("lower case")
def lower_case(string: str) -> str:
    return string.lower()


@builtin("substring before")
def substring_before(string: str, match: str) -> str:
    at = string.find(match)
    return string[:at] if at >= 0 else ""


@builtin("substring after")
def substring_after(string: str, match: str) -> str:
    at = string.find(match)
    return string[at + len(match) :] if at >= 0 else ""


@builtin("replace")
def replace(input: str, pattern: str, replacement: str, flags: str | None = None) -> str:
    return _pattern(pattern, flags).sub(_replacement(replacement), input)


@builtin("contains")
def contains(string: str, match: str) -> bool:
    return match in string


@builtin("starts with")
def starts_with(string: str, match: str) -> bool:
    return string.startswith(match)


@builtin("ends with")
def ends_with(string: str, match: str) -> bool:
    return string.endswith(match)


@builtin("matches")
def matches(input: str, pattern: str, flags: str | None = None) -> bool:
    return _pattern(pattern, flags).search(input) is not None


@builtin("split")
def split(string: str, delimiter: str) -> list[Any]:
    return list(_pattern(delimiter).split(string))


@builtin("extract")
def extract(string: str, pattern: str) -> list[Any]:
    return [match.group(0) for match in _pattern(pattern).finditer(string)]


@builtin("string join")
def string_join(list: list[Any], delimiter: str | None = None, prefix: str | None = None,
                suffix: str | None = None) -> str:  # fmt: skip
    if not all(item is None or isinstance(item, str) for item in list):
        raise FeelError("string join takes a list of strings")
    joined = (delimiter or "").join(item for item in list if item is not None)
    return (prefix or "") + joined + (suffix or "")


@builtin("trim")
def trim(string: str) -> str:
    return string.strip()


@builtin("uuid")
def uuid() -> str:
    return str(uuid_module.uuid4())


@builtin("to base64")
def to_base64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


@builtin("from base64")
def from_base64(value: str) -> str:
    return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")


@builtin("is blank")
def is_blank(string: str) -> bool:
    return not string.strip()


@builtin("string reverse")
def string_reverse(string: str) -> str:
    return string[::-1]


@builtin("pad left")
def pad_left(string: str, length: Decimal, character: str = " ") -> str:
    return string.rjust(int(length), character or " ")


@builtin("pad right")
def pad_right(string: str, length: Decimal, character: str = " ") -> str:
    return string.ljust(int(length), character or " ")
