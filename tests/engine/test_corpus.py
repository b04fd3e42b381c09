"""Every executable process of the real-model corpus starts on the engine without an
exception and ends in a well-defined state, jobs completed with empty variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.bpmn import BpmnError, parse

from ._driver import Driver


def _corpus() -> Path | None:
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "bpmn-corpus"
        if candidate.is_dir():
            return candidate
    return None


CORPUS = _corpus()
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.bpmn")) if CORPUS else []

pytestmark = pytest.mark.skipif(
    CORPUS is None, reason="shared/bpmn-corpus is not beside the checkout"
)


@pytest.mark.parametrize("name", FILES)
def test_each_process_starts_and_ends_in_a_defined_state(name: str) -> None:
    assert CORPUS is not None
    data = (CORPUS / name).read_bytes()
    try:
        definitions = parse(data)
    except BpmnError:
        pytest.skip("refused at deployment (tests/bpmn pins why)")
    driver = Driver(definitions)
    from sdk.broker.engine import Definition, Engine

    for version, process in enumerate(definitions.executable_processes, start=1):
        driver.engines[process.id] = Engine(Definition(process, 100 + version, 1))
    for process in definitions.executable_processes:
        if process.none_start_event() is None:
            continue
        key = driver.start(process.id)
        for _ in range(50):
            workable = [j for _, j in driver.jobs.values() if driver.retries.get(j.key, 1) > 0]
            if not workable:
                break
            driver.complete(workable[0].type)
        state = driver.states[key]
        if state.state == "ACTIVE":
            waiting = driver.active(key) or [i.element_id for i in driver.open_incidents(key)]
            assert waiting or driver.open_incidents(key), "active with nothing to wait on"
            for incident in driver.open_incidents(key):
                assert incident.element_id
