"""``python -m sdk processes start | list | get | cancel`` and ``incidents list | resolve``
against a real broker, and the client calls they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.errors import ApiError

from .test_process_instances import ONE_TASK, bpmn, flow
from _support.cli import isolate, run_cli

pytestmark = pytest.mark.anyio

STRAIGHT = bpmn(
    "straight", '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>' + flow("f", "s", "e")
)


@pytest.fixture
def store_path() -> str:
    return ":memory:"


@pytest.fixture
def pointed(broker: RunningBroker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path, broker.url)
    return tmp_path


async def test_start_list_get_cancel_and_incidents(
    pointed: Path, api: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await api.deploy_resources({"one.bpmn": ONE_TASK, "straight.bpmn": STRAIGHT})
    code, out, err = await run_cli(
        capsys, "processes", "start", "straight", "--await", "--variables", '{"a": 1}'
    )
    assert code == 0, err
    assert out.startswith("instance ") and '"a": 1' in out

    code, out, err = await run_cli(capsys, "processes", "start", "single")
    assert code == 0, err
    key = out.split()[1]
    code, out, err = await run_cli(capsys, "processes", "list", "--state", "ACTIVE")
    assert code == 0, err
    assert key in out and "single" in out and "straight" not in out
    code, out, err = await run_cli(capsys, "processes", "get", key)
    assert code == 0, err
    assert '"state": "ACTIVE"' in out and "work" in out

    (job,) = await api.activate_jobs("single-work", max_jobs=1, timeout_ms=60_000)
    await api.fail_job(job.job_key, retries=0, error_message="no luck")
    code, out, err = await run_cli(capsys, "incidents", "list")
    assert code == 0, err
    assert "JOB_NO_RETRIES" in out and "no luck" in out and key in out
    incident = out.split()[0]
    await api.update_job(job.job_key, retries=2)
    code, out, err = await run_cli(capsys, "incidents", "resolve", incident)
    assert code == 0, err
    code, out, err = await run_cli(capsys, "incidents", "list")
    assert out.strip() == ""

    code, out, err = await run_cli(capsys, "processes", "cancel", key)
    assert code == 0, err
    assert (await api.get_process_instance(key)).state == "TERMINATED"
    code, out, err = await run_cli(capsys, "processes", "cancel", key)
    assert code != 0, out


async def test_the_client_reads_instances_elements_variables_and_incidents(
    api: AsyncClient,
) -> None:
    await api.deploy_resources({"one.bpmn": ONE_TASK})
    created = await api.create_process_instance(
        process_definition_id="single", variables={"x": 1}, tags=["t1"], business_id="b"
    )
    key = created.process_instance_key
    assert created.tags == ["t1"] and created.business_id == "b"
    found = await api.get_process_instance(key)
    assert found.state == "ACTIVE" and found.tags == ["t1"] and found.business_id == "b"
    listed = await api.search_process_instances(process_definition_id="single")
    assert [i.process_instance_key for i in listed.items] == [key]
    elements = await api.search_element_instances(process_instance_key=key)
    work = next(e for e in elements.items if e.element_id == "work")
    assert (await api.get_element_instance(work.element_instance_key)).state == "ACTIVE"
    (variable,) = (await api.search_variables(process_instance_key=key, name="x")).items
    assert (await api.get_variable(variable.variable_key)).value == "1"
    (job,) = await api.activate_jobs("single-work", max_jobs=1, timeout_ms=60_000)
    await api.fail_job(job.job_key, retries=0, error_message="x")
    (incident,) = (await api.search_process_instance_incidents(key)).items
    assert (await api.get_incident(incident.incident_key)).job_key == job.job_key
    assert [i.incident_key for i in (await api.search_incidents(state="ACTIVE")).items] == [
        incident.incident_key
    ]
    await api.update_job(job.job_key, retries=1)
    await api.resolve_incident(incident.incident_key)
    (again,) = await api.activate_jobs("single-work", max_jobs=1, timeout_ms=60_000)
    await api.complete_job(again.job_key)
    assert (await api.get_process_instance(key)).state == "COMPLETED"
    flows = await api.get_process_instance_sequence_flows(key)
    assert [f.sequence_flow_id for f in flows.items] == ["f1", "f2"]
    stats = await api.get_process_instance_statistics(key)
    assert {s.element_id for s in stats.items} == {"start", "work", "end"}
    jobs = await api.search_camunda_jobs()
    assert [j.state for j in jobs.items] == ["COMPLETED"]
    with pytest.raises(ApiError):  # a completed instance cannot be cancelled
        await api.cancel_process_instance(key)
