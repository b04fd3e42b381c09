"""Every FEEL expression of the real models in the shared BPMN corpus parses."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sdk.feel import FeelSyntaxError, parse

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("SDK_BPMN_CORPUS", REPO.parent / "shared" / "bpmn-corpus"))
"""The corpus sits beside the checkout; SDK_BPMN_CORPUS points elsewhere (e.g. a worktree)."""


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
    if not CORPUS.is_dir():
        return []
    return [
        (f"{path.name}: {text}", text)
        for path in sorted(CORPUS.rglob("*.bpmn"))
        for text in _expressions(path)
    ]


EXPRESSIONS = _corpus()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no BPMN corpus at {CORPUS}")
def test_the_corpus_has_expressions() -> None:
    assert len(EXPRESSIONS) > 100


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no BPMN corpus at {CORPUS}")
@pytest.mark.parametrize(("label", "text"), EXPRESSIONS or [("none", "")])
def test_corpus_expression_parses_and_evaluates(label: str, text: str) -> None:
    try:
        expression = parse(text)
    except FeelSyntaxError as error:
        pytest.fail(f"{label}: {error}")
    result = expression.evaluate({})
    assert not any(w.startswith("Internal error") for w in result.warnings)
