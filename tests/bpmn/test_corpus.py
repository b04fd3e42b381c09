"""Real Camunda 8 models (``shared/bpmn-corpus`` beside the checkout, see its PROVENANCE.md):
each one either reads into a model or is refused with problems that name elements. The expected
outcome of every refused file is written here, so a regression shows as a changed outcome."""

from __future__ import annotations

import pytest

from sdk.bpmn import BpmnParseError, ElementType, read

from _support.shared import CORPUS, MISSING

FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.bpmn")) if CORPUS else []

UNREADABLE = {
    # the file is cut off mid-element (not well-formed XML)
    "camunda-8-js-sdk/src/__tests__/testdata/modeller7File.bpmn",
}
REFUSED = {
    # a test fixture that is broken on purpose: an empty job type, a static correlation key
    "camunda-8-js-sdk/src/__tests__/testdata/Client-BrokenBpmn.bpmn": {
        ("ServiceTask_0g6tf5f", "serviceTask"),
        ("Message_0remzna", "message"),
    },
    # a DMN decision (zeebe:calledDecision)
    "customer-onboarding-camunda-8-springboot-extended/src/main/resources/"
    "customer-onboarding-extended.bpmn": {("TaskValidateCustomerApplication", "businessRuleTask")},
}

pytestmark = pytest.mark.skipif(CORPUS is None, reason=MISSING)


def test_the_corpus_is_complete() -> None:
    assert len(FILES) == 86
    assert UNREADABLE | set(REFUSED) <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_each_file_reads_or_is_refused_naming_elements(name: str) -> None:
    assert CORPUS is not None
    data = (CORPUS / name).read_bytes()
    if name in UNREADABLE:
        with pytest.raises(BpmnParseError):
            read(data)
        return
    result = read(data)
    named = {(p.element_id, p.element_type) for p in result.problems}
    assert named == REFUSED.get(name, set()), [str(p) for p in result.problems]
    if result.problems:
        return
    definitions = result.definitions
    assert definitions.executable_processes
    for process in definitions.executable_processes:
        assert process.start_events(), process.id
        for node in process.elements.values():
            if node.type is ElementType.SERVICE_TASK:
                assert node.job is not None and node.job.type
    if b"BPMNDiagram" in data:
        shapes = definitions.diagram.shapes
        drawn = [n for p in definitions.executable_processes for n in p.elements.values()]
        assert all(n.id in shapes for n in drawn), name
