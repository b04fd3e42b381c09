"""The entry points: read BPMN bytes into a model, and refuse what cannot be deployed."""

from __future__ import annotations

from dataclasses import dataclass

from ._build import Builder
from ._errors import BpmnValidationError, Problem
from ._feel import feel_syntax
from ._model import Definitions
from ._reader import CheckExpression
from ._validate import validate_definitions
from ._xml import DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIZE_BYTES, parse_xml


@dataclass(frozen=True)
class ReadResult:
    """A model and everything wrong with it.

    Attributes:
        definitions: The model, built as far as the file allows.
        problems: Why it cannot be deployed; empty when it can.
    """

    definitions: Definitions
    problems: tuple[Problem, ...]


def read(
    data: bytes | str,
    *,
    check_expression: CheckExpression | None = feel_syntax,
    max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> ReadResult:
    """Read a BPMN file into a model and list its problems without raising for them.

    For callers that want the model of a refused file too (e.g. to draw it).

    Args:
        data: The file's bytes (or text).
        check_expression: Checks one FEEL expression's syntax (given without its ``=``) and
            returns an error message or ``None``; the default is ``sdk.feel``'s parser,
            ``None`` skips the check.
        max_size_bytes: Larger resources are refused (default 4 MiB).
        max_depth: More deeply nested XML is refused (default 64 levels).

    Raises:
        BpmnParseError: The bytes are malformed or hostile XML, too large or too deep, or not
            BPMN 2.0 ``definitions``.
    """
    root = parse_xml(data, max_size_bytes=max_size_bytes, max_depth=max_depth)
    builder = Builder(check_expression)
    definitions = builder.build(root)
    problems = [*builder.reader.problems, *validate_definitions(definitions)]
    return ReadResult(definitions, tuple(problems))


def parse(
    data: bytes | str,
    *,
    check_expression: CheckExpression | None = feel_syntax,
    max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Definitions:
    """Parse and validate a BPMN file for deployment.

    Args:
        data: The file's bytes (or text).
        check_expression: Checks one FEEL expression's syntax (given without its ``=``) and
            returns an error message or ``None``; the default is ``sdk.feel``'s parser,
            ``None`` skips the check.
        max_size_bytes: Larger resources are refused (default 4 MiB).
        max_depth: More deeply nested XML is refused (default 64 levels).

    Returns:
        The model; deploy its ``executable_processes``.

    Raises:
        BpmnParseError: The bytes are not BPMN XML we are willing to read.
        BpmnValidationError: The model cannot be deployed; ``problems`` lists every reason.
    """
    result = read(
        data, check_expression=check_expression, max_size_bytes=max_size_bytes, max_depth=max_depth
    )
    if result.problems:
        raise BpmnValidationError(result.problems)
    return result.definitions
