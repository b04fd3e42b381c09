"""Every executable process of the real-model corpus starts on the engine without an
exception and ends in a well-defined state, jobs completed with empty variables."""

from __future__ import annotations

import pytest

from sdk.bpmn import BpmnError, parse
from sdk.broker.engine import Definition, Engine

from ._driver import Driver
from _support.shared import CORPUS, MISSING

FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.bpmn")) if CORPUS else []

pytestmark = pytest.mark.skipif(CORPUS is None, reason=MISSING)


@pytest.mark.parametrize("name", FILES)
def test_each_process_starts_and_ends_in_a_defined_state(name: str) -> None:
    assert CORPUS is not None
    data = (CORPUS / name).read_bytes()
    try:
        definitions = parse(data)
    except BpmnError:
        pytest.skip("refused at deployment (tests/bpmn pins why)")
    driver = Driver(definitions)
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
