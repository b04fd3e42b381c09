"""Every FEEL expression of the real models in the shared BPMN corpus parses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sdk.feel import FeelSyntaxError, parse

from _support.shared import CORPUS, MISSING


def _expressions(path: Path) -> list[str]:
    """Attribute values and element texts that start with ``=``, and condition expressions."""
    found: list[str] = []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return found  # a truncated file: the BPMN package's tests refuse it
    for element in root.iter():
        found.extend(v[1:] for v in element.attrib.values() if v.startswith("="))
        text = (element.text or "").strip()
        if text.startswith("="):
            found.append(text[1:])
        elif element.tag.endswith("conditionExpression") and text:
            found.append(text)
    return found


def _corpus() -> list[tuple[str, str]]:
    if CORPUS is None:
        return []
    return [
        (f"{path.name}: {text}", text)
        for path in sorted(CORPUS.rglob("*.bpmn"))
        for text in _expressions(path)
    ]


EXPRESSIONS = _corpus()


@pytest.mark.skipif(CORPUS is None, reason=MISSING)
def test_the_corpus_has_expressions() -> None:
    assert len(EXPRESSIONS) > 100


@pytest.mark.skipif(CORPUS is None, reason=MISSING)
@pytest.mark.parametrize(("label", "text"), EXPRESSIONS or [("none", "")])
def test_corpus_expression_parses_and_evaluates(label: str, text: str) -> None:
    try:
        expression = parse(text)
    except FeelSyntaxError as error:
        pytest.fail(f"{label}: {error}")
    result = expression.evaluate({})
    assert not any(w.startswith("Internal error") for w in result.warnings)
