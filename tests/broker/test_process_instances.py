"""Process instances on the broker, end to end: deploy BPMN, start instances, real workers do
the service tasks, and the instance, its elements, variables and incidents read as Camunda's
API answers them; on every kind of store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.errors import ApiError
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, JobError, Worker

from _support.bpmn_models import NO_STOCK, definitions
from _support.bpmn_models import flow as flow  # the other process suites take it from here

pytestmark = pytest.mark.anyio


def bpmn(process_id: str, body: str, roots: str = "") -> bytes:
    """``definitions`` with the ``NO_STOCK`` error the error events refer to."""
    return definitions(process_id, body, NO_STOCK + roots)


def task(element_id: str, job_type: str, retries: int = 3) -> str:
    return (
        f'<bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" retries="{retries}"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def call(element_id: str, process_id: str, propagate: str | None = None) -> str:
    """A call activity of ``process_id`` (``propagate``: its propagateAllChildVariables)."""
    also = "" if propagate is None else f' propagateAllChildVariables="{propagate}"'
    return (
        f'<bpmn:callActivity id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:calledElement processId="{process_id}"{also}/>'
        "</bpmn:extensionElements></bpmn:callActivity>"
    )


TWO_TASKS = bpmn(
    "order",
    '<bpmn:startEvent id="start"/>'
    + task("reserve", "reserve")
    + task("charge", "charge")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "reserve")
    + flow("f2", "reserve", "charge")
    + flow("f3", "charge", "end"),
)
GATEWAY = bpmn(
    "route",
    '<bpmn:startEvent id="start"/>'
    + task("score", "score")
    + '<bpmn:exclusiveGateway id="gate" default="small"/>'
    + task("big_task", "big")
    + '<bpmn:endEvent id="small_end"/><bpmn:endEvent id="big_end"/>'
    + flow("f1", "start", "score")
    + flow("f2", "score", "gate")
    + flow("big", "gate", "big_task", "= amount &gt; 100")
    + flow("small", "gate", "small_end")
    + flow("f3", "big_task", "big_end"),
)
ONE_TASK = bpmn(
    "single",
    '<bpmn:startEvent id="start"/>'
    + task("work", "single-work", retries=1)
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "work")
    + flow("f2", "work", "end"),
)
BOUNDARY = bpmn(
    "stock",
    '<bpmn:startEvent id="start"/>'
    + task("pick", "pick")
    + '<bpmn:boundaryEvent id="no_stock" attachedToRef="pick">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    + '<bpmn:endEvent id="done"/><bpmn:endEvent id="out_of_stock"/>'
    + flow("f1", "start", "pick")
    + flow("f2", "pick", "done")
    + flow("f3", "no_stock", "out_of_stock"),
)
PARALLEL = bpmn(
    "fork",
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
    + task("left", "left")
    + task("right", "right")
    + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "split")
    + flow("f2", "split", "left")
    + flow("f3", "split", "right")
    + flow("f4", "left", "join")
    + flow("f5", "right", "join")
    + flow("f6", "join", "end"),
)

TIMER_CATCH = bpmn(
    "later",
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT0.2S</bpmn:timeDuration>"
    '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait")
    + flow("f2", "wait", "end"),
)
TIMER_BOUNDARY = bpmn(
    "deadline",
    '<bpmn:startEvent id="start"/>'
    + task("slow", "slow")
    + '<bpmn:boundaryEvent id="too_late" attachedToRef="slow"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT0.3S</bpmn:timeDuration></bpmn:timerEventDefinition>"
    '</bpmn:boundaryEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="escalated"/>'
    + flow("f1", "start", "slow")
    + flow("f2", "slow", "done")
    + flow("f3", "too_late", "escalated"),
)

CALLER = bpmn(
    "caller",
    '<bpmn:startEvent id="start"/>'
    + call("call", "order", propagate="true")
    + task("after", "after")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "call")
    + flow("f2", "call", "after")
    + flow("f3", "after", "end"),
)

TASK_THEN_CALL = bpmn(
    "task-then-call",
    '<bpmn:startEvent id="start"/>'
    + task("first", "first")
    + call("call", "order")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "first")
    + flow("f2", "first", "call")
    + flow("f3", "call", "end"),
)


async def deploy(api: AsyncClient, *models: bytes) -> None:
    await api.deploy_resources({f"m{i}.bpmn": m for i, m in enumerate(models)})


async def instance(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await http.get(f"/process-instances/{key}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def ended(http: httpx.AsyncClient, key: str) -> dict[str, Any] | None:
    found = await instance(http, key)
    return found if found["state"] != "ACTIVE" else None


async def search(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[Any]:
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def a_worker() -> Worker:
    return Worker("w", request_timeout_ms=500)


class TestQuickStart:
    async def test_a_real_worker_completes_both_tasks(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TWO_TASKS)
        seen: list[JobContext] = []
        worker = a_worker()

        @worker.task("reserve")
        async def reserve(ctx: JobContext) -> dict[str, Any]:
            seen.append(ctx)
            return {"reserved": True}

        @worker.task("charge")
        async def charge(ctx: JobContext) -> dict[str, Any]:
            return {"charged": ctx.variables["amount"] * 2}

        created = await api.create_process_instance(
            process_definition_id="order", variables={"amount": 21}
        )
        key = created.process_instance_key
        assert created.process_definition_id == "order"
        assert created.process_definition_version == 1
        async with running(worker, api):
            done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED" and done["endDate"]
        (ctx,) = seen
        assert ctx.process_instance_key == key and ctx.element_id == "reserve"
        assert ctx.bpmn_process_id == "order" and ctx.process_definition_version == 1
        assert ctx.process_definition_key == created.process_definition_key
        assert ctx.element_instance_key not in ("", "-1")

        variables = await search(http, "/variables/search", {"filter": {"processInstanceKey": key}})
        values = {v["name"]: v["value"] for v in variables}
        assert values == {"amount": "21", "reserved": "true", "charged": "42"}
        elements = await search(
            http,
            "/element-instances/search",
            {"filter": {"processInstanceKey": key}, "sort": [{"field": "elementInstanceKey"}]},
        )
        assert [e["elementId"] for e in elements] == ["order", "start", "reserve", "charge", "end"]
        assert {e["state"] for e in elements} == {"COMPLETED"}
        flows = (await http.get(f"/process-instances/{key}/sequence-flows")).json()["items"]
        assert [f["sequenceFlowId"] for f in flows] == ["f1", "f2", "f3"]
        stats = (await http.get(f"/process-instances/{key}/statistics/element-instances")).json()
        assert {s["elementId"]: s["completed"] for s in stats["items"]}["charge"] == 1
        jobs = await search(http, "/jobs/search", {"filter": {"processInstanceKey": key}})
        assert sorted(j["type"] for j in jobs) == ["charge", "reserve"]
        assert {j["state"] for j in jobs} == {"COMPLETED"}

    async def test_an_exclusive_gateway_routes_by_a_jobs_variables(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, GATEWAY)
        worker = a_worker()

        @worker.task("score")
        async def score(n: int) -> dict[str, Any]:
            return {"amount": n}

        @worker.task("big")
        async def approve() -> dict[str, Any]:
            return {"approved": True}

        small = await api.create_process_instance(process_definition_id="route", variables={"n": 5})
        big = await api.create_process_instance(process_definition_id="route", variables={"n": 500})
        async with running(worker, api):
            await wait_until(lambda: ended(http, small.process_instance_key))
            await wait_until(lambda: ended(http, big.process_instance_key))
        flows = {}
        for created in (small, big):
            key = created.process_instance_key
            items = (await http.get(f"/process-instances/{key}/sequence-flows")).json()["items"]
            flows[key] = [f["sequenceFlowId"] for f in items]
        assert flows[small.process_instance_key] == ["f1", "f2", "small"]
        assert flows[big.process_instance_key] == ["f1", "f2", "big", "f3"]


class TestIncidents:
    async def test_a_job_out_of_retries_raises_an_incident_resolved_by_retries(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, ONE_TASK)
        created = await api.create_process_instance(process_definition_id="single")
        key = created.process_instance_key
        (job,) = await api.activate_jobs("single-work", max_jobs=1, timeout_ms=60_000)
        assert job.process_instance_key == key
        await api.fail_job(job.job_key, retries=0, error_message="boom")

        async def incidents() -> list[Any]:
            return await search(http, f"/process-instances/{key}/incidents/search", {})

        (incident,) = await wait_until(incidents)
        assert incident["errorType"] == "JOB_NO_RETRIES" and incident["state"] == "ACTIVE"
        assert incident["errorMessage"] == "boom" and incident["jobKey"] == job.job_key
        assert incident["elementId"] == "work"
        assert (await instance(http, key))["hasIncident"] is True
        element = (await http.get(f"/element-instances/{incident['elementInstanceKey']}")).json()
        assert element["hasIncident"] is True and element["incidentKey"] == incident["incidentKey"]
        assert (await http.get(f"/incidents/{incident['incidentKey']}")).json() == incident

        # Retries alone do not make it workable while the incident is open (as in Zeebe).
        update = await http.patch(f"/jobs/{job.job_key}", json={"changeset": {"retries": 1}})
        assert update.status_code == 204, update.text
        assert (
            await api.activate_jobs(
                "single-work", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1
            )
            == []
        )
        resolved = await http.post(f"/incidents/{incident['incidentKey']}/resolution")
        assert resolved.status_code == 204, resolved.text
        (again,) = await api.activate_jobs(
            "single-work", max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
        )
        assert again.job_key == job.job_key and again.retries == 1
        await api.complete_job(again.job_key)
        done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED" and done["hasIncident"] is False
        (closed,) = await search(http, "/incidents/search", {"filter": {"processInstanceKey": key}})
        assert closed["state"] == "RESOLVED"
        again_resolved = await http.post(f"/incidents/{incident['incidentKey']}/resolution")
        assert again_resolved.status_code == 404

    async def test_a_thrown_error_is_caught_by_the_error_boundary(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, BOUNDARY)
        worker = a_worker()

        @worker.task("pick")
        async def pick() -> None:
            raise JobError("NO_STOCK", "sold out", {"reason": "sold out"})

        created = await api.create_process_instance(process_definition_id="stock")
        key = created.process_instance_key
        async with running(worker, api):
            done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        flows = (await http.get(f"/process-instances/{key}/sequence-flows")).json()["items"]
        assert [f["sequenceFlowId"] for f in flows] == ["f1", "f3"]
        elements = await search(
            http, "/element-instances/search", {"filter": {"processInstanceKey": key}}
        )
        states = {e["elementId"]: e["state"] for e in elements}
        assert states["pick"] == "TERMINATED" and states["out_of_stock"] == "COMPLETED"


class TestTimers:
    async def test_a_timer_catch_event_fires_from_the_store(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TIMER_CATCH)
        created = await api.create_process_instance(process_definition_id="later")
        done = await wait_until(lambda: ended(http, created.process_instance_key))
        assert done["state"] == "COMPLETED"
        flows = await api.get_process_instance_sequence_flows(created.process_instance_key)
        assert [f.sequence_flow_id for f in flows.items] == ["f1", "f2"]

    async def test_a_boundary_timer_interrupts_the_task_and_cancels_its_job(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TIMER_BOUNDARY)
        created = await api.create_process_instance(process_definition_id="deadline")
        (job,) = await api.activate_jobs("slow", max_jobs=1, timeout_ms=60_000)
        done = await wait_until(lambda: ended(http, created.process_instance_key))
        assert done["state"] == "COMPLETED"
        late = await http.post(f"/jobs/{job.job_key}/completion", json={})
        assert late.status_code == 404, late.text
        flows = await api.get_process_instance_sequence_flows(created.process_instance_key)
        assert [f.sequence_flow_id for f in flows.items] == ["f1", "f3"]


class TestCallActivities:
    async def test_a_call_activity_runs_its_child_and_takes_its_variables(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TWO_TASKS, CALLER)
        worker = a_worker()

        @worker.task("reserve")
        async def reserve(amount: int) -> dict[str, Any]:
            return {"reserved": amount}

        worker.task("charge")(lambda: {"charged": True})
        worker.task("after")(lambda: None)
        created = await api.create_process_instance(
            process_definition_id="caller", variables={"amount": 3}
        )
        key = created.process_instance_key
        async with running(worker, api):
            done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        (child,) = await search(
            http, "/process-instances/search", {"filter": {"parentProcessInstanceKey": key}}
        )
        assert child["state"] == "COMPLETED" and child["processDefinitionId"] == "order"
        variables = await search(http, "/variables/search", {"filter": {"scopeKey": key}})
        assert {v["name"]: v["value"] for v in variables} == {
            "amount": "3",
            "reserved": "3",
            "charged": "true",
        }

    async def test_cancelling_the_caller_cancels_the_child_and_its_job(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TWO_TASKS, CALLER)
        created = await api.create_process_instance(process_definition_id="caller")
        (job,) = await api.activate_jobs("reserve", max_jobs=1, timeout_ms=60_000)
        assert job.process_definition_id == "order"
        await api.cancel_process_instance(created.process_instance_key)
        child = await api.get_process_instance(job.process_instance_key)
        assert child.state == "TERMINATED"
        late = await http.post(f"/jobs/{job.job_key}/completion", json={})
        assert late.status_code == 404, late.text


class TestCancellation:
    async def test_cancelling_ends_the_instance_and_its_jobs(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, PARALLEL)
        created = await api.create_process_instance(process_definition_id="fork")
        key = created.process_instance_key
        jobs = await api.activate_jobs("left", max_jobs=1, timeout_ms=60_000)
        response = await http.post(f"/process-instances/{key}/cancellation")
        assert response.status_code == 204, response.text
        found = await instance(http, key)
        assert found["state"] == "TERMINATED" and found["endDate"]
        late = await http.post(f"/jobs/{jobs[0].job_key}/completion", json={})
        assert late.status_code == 404, late.text
        assert (
            await api.activate_jobs("right", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1)
            == []
        )
        listed = await search(http, "/jobs/search", {"filter": {"processInstanceKey": key}})
        assert {j["state"] for j in listed} == {"CANCELED"}
        again = await http.post(f"/process-instances/{key}/cancellation")
        assert again.status_code == 404
        assert again.headers["content-type"] == "application/problem+json"


class TestCreation:
    async def test_await_completion_answers_the_variables(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, ONE_TASK)
        worker = a_worker()
        worker.task("single-work")(lambda: {"result": "ok", "extra": 1})
        async with running(worker, api):
            created = await api.create_process_instance(
                process_definition_id="single",
                variables={"input": 1},
                await_completion=True,
                fetch_variables=["result", "input"],
                request_timeout_ms=20_000,
            )
        assert created.variables == {"result": "ok", "input": 1}
        assert (await instance(http, created.process_instance_key))["state"] == "COMPLETED"

    async def test_await_completion_times_out_with_504_and_the_instance_runs_on(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, ONE_TASK)
        response = await http.post(
            "/process-instances",
            json={"processDefinitionId": "single", "awaitCompletion": True, "requestTimeout": 200},
        )
        assert response.status_code == 504, response.text
        problem = response.json()
        assert problem["title"] == "DEADLINE_EXCEEDED" and problem["status"] == 504
        (listed,) = await search(http, "/process-instances/search", {})
        assert listed["state"] == "ACTIVE"

    async def test_unknown_processes_keys_and_bad_bodies(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        unknown = await http.post("/process-instances", json={"processDefinitionId": "nope"})
        assert unknown.status_code == 404
        assert "nope" in unknown.json()["detail"]
        by_key = await http.post("/process-instances", json={"processDefinitionKey": "123"})
        assert by_key.status_code == 404
        bad = await http.post("/process-instances", json={"processDefinitionId": "x", "tags": [1]})
        assert bad.status_code == 400 and "tags" in bad.json()["detail"]
        for path in (
            "/process-instances/1",
            "/element-instances/1",
            "/incidents/1",
            "/variables/1",
            "/process-instances/1/sequence-flows",
        ):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"
        assert (await http.post("/incidents/1/resolution")).status_code == 404
        with pytest.raises(ApiError):
            await api.create_process_instance(process_definition_id="nope")

    async def test_search_filters_sorts_and_pages(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, ONE_TASK, TWO_TASKS)
        keys = []
        for n in range(3):
            created = await api.create_process_instance(
                process_definition_id="single", tags=[f"n{n}"], business_id=f"b{n}"
            )
            keys.append(created.process_instance_key)
        other = await api.create_process_instance(process_definition_id="order")
        await http.post(f"/process-instances/{keys[0]}/cancellation")

        async def found(body: dict[str, Any]) -> list[str]:
            items = await search(http, "/process-instances/search", body)
            return [i["processInstanceKey"] for i in items]

        assert await found({"filter": {"processDefinitionId": "single"}}) == keys
        assert await found({"filter": {"state": "ACTIVE"}}) == [
            *keys[1:],
            other.process_instance_key,
        ]
        assert await found({"filter": {"state": {"$in": ["TERMINATED"]}}}) == keys[:1]
        assert await found({"filter": {"processDefinitionId": {"$like": "sin*"}}}) == keys
        assert await found({"filter": {"processInstanceKey": {"$neq": keys[0]}}}) == [
            *keys[1:],
            other.process_instance_key,
        ]
        assert await found({"filter": {"tags": ["n2"]}}) == keys[2:]
        assert await found({"filter": {"businessId": "b1"}}) == keys[1:2]
        assert await found({"sort": [{"field": "processInstanceKey", "order": "DESC"}]}) == [
            other.process_instance_key,
            *reversed(keys),
        ]
        first = await http.post("/process-instances/search", json={"page": {"limit": 2}})
        page = first.json()["page"]
        assert page["totalItems"] == 4 and len(first.json()["items"]) == 2
        rest = await found({"page": {"limit": 2, "after": page["endCursor"]}})
        assert rest == [keys[2], other.process_instance_key]
        bad = await http.post("/process-instances/search", json={"filter": {"state": "NOPE"}})
        assert bad.status_code == 400


class TestDurability:
    async def test_a_restarted_broker_keeps_the_instance_going(self, tmp_path: Path) -> None:
        path = str(tmp_path / "jobs.sqlite3")
        async with anyio.create_task_group() as tg:
            first: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with client_for(first) as api:
                await deploy(api, TWO_TASKS)
                created = await api.create_process_instance(
                    process_definition_id="order", variables={"amount": 1}
                )
                (job,) = await api.activate_jobs("reserve", max_jobs=1, timeout_ms=60_000)
                await api.complete_job(job.job_key, variables={"reserved": True})
            tg.cancel_scope.cancel()
        async with anyio.create_task_group() as tg:
            second: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with client_for(second) as api:
                (job,) = await api.activate_jobs(
                    "charge", max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
                )
                assert job.variables == {"amount": 1, "reserved": True}
                await api.complete_job(job.job_key)
                async with httpx.AsyncClient(base_url=second.url) as http:
                    done = await ended(http, created.process_instance_key)
            tg.cancel_scope.cancel()
        assert done is not None and done["state"] == "COMPLETED"

    async def test_a_step_undone_for_a_definition_to_load_is_not_kept_in_memory(
        self, tmp_path: Path
    ) -> None:
        """After a restart no definition is loaded: completing the first job steps the caller
        into its call activity, whose child's definition must then be loaded, so the command
        is undone and run again. The second run must start from the stored state, not from
        the caller's state as the undone step left it."""
        path = str(tmp_path / "jobs.sqlite3")
        async with anyio.create_task_group() as tg:
            first: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with client_for(first) as api:
                await deploy(api, TWO_TASKS, TASK_THEN_CALL)
                created = await api.create_process_instance(process_definition_id="task-then-call")
            tg.cancel_scope.cancel()
        key = created.process_instance_key
        async with anyio.create_task_group() as tg:
            second: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with client_for(second) as api, httpx.AsyncClient(base_url=second.url) as http:
                (job,) = await api.activate_jobs(
                    "first", max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
                )
                await api.complete_job(job.job_key)
                (child,) = await search(
                    http, "/process-instances/search", {"filter": {"parentProcessInstanceKey": key}}
                )
                (reserve,) = await api.activate_jobs(
                    "reserve", max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
                )
                caller = await instance(http, key)
            tg.cancel_scope.cancel()
        assert child["processDefinitionId"] == "order" and child["state"] == "ACTIVE"
        assert reserve.process_instance_key == child["processInstanceKey"]
        assert caller["state"] == "ACTIVE"

    async def test_a_timer_survives_a_restart_and_fires_once(self, tmp_path: Path) -> None:
        path = str(tmp_path / "jobs.sqlite3")
        later = TIMER_CATCH.replace(b"PT0.2S", b"PT1S")
        async with anyio.create_task_group() as tg:
            first: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with client_for(first) as api:
                await deploy(api, later)
                created = await api.create_process_instance(process_definition_id="later")
            tg.cancel_scope.cancel()
        async with anyio.create_task_group() as tg:
            second: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
            async with httpx.AsyncClient(base_url=second.url) as http:
                done = await wait_until(lambda: ended(http, created.process_instance_key))
                elements = await search(
                    http,
                    "/element-instances/search",
                    {"filter": {"processInstanceKey": created.process_instance_key}},
                )
            tg.cancel_scope.cancel()
        assert done["state"] == "COMPLETED"
        assert [e["elementId"] for e in elements].count("end") == 1


class TestReplicas:
    async def test_two_replicas_completing_one_instances_jobs_at_once(
        self, two_brokers: tuple[RunningBroker, RunningBroker]
    ) -> None:
        one, two = two_brokers
        async with client_for(one) as a, client_for(two) as b:
            await deploy(a, PARALLEL)
            rounds = 5
            keys = [
                (await a.create_process_instance(process_definition_id="fork")).process_instance_key
                for _ in range(rounds)
            ]
            lefts = await a.activate_jobs("left", max_jobs=rounds, timeout_ms=60_000)
            rights = await b.activate_jobs("right", max_jobs=rounds, timeout_ms=60_000)
            assert len(lefts) == len(rights) == rounds
            async with anyio.create_task_group() as tg:
                for left, right in zip(lefts, rights, strict=True):
                    tg.start_soon(a.complete_job, left.job_key, {"left": True})
                    tg.start_soon(b.complete_job, right.job_key, {"right": True})
            async with httpx.AsyncClient(base_url=two.url) as http:
                for key in keys:
                    done = await wait_until(lambda key=key: ended(http, key))  # type: ignore[misc]
                    assert done["state"] == "COMPLETED"
                    elements = await search(
                        http,
                        "/element-instances/search",
                        {"filter": {"processInstanceKey": key, "elementId": "end"}},
                    )
                    assert len(elements) == 1  # the join fired once: one end
                    variables = await search(
                        http, "/variables/search", {"filter": {"processInstanceKey": key}}
                    )
                    assert {v["name"] for v in variables} == {"left", "right"}


class TestSchema:
    def test_a_version_3_file_gains_the_process_tables_and_job_columns(
        self, tmp_path: Path
    ) -> None:
        import sqlite3

        from sdk.broker.store.sqlite import SCHEMA_VERSION, SqliteJobs
        from sdk.models import JobSpec

        path = tmp_path / "v3.sqlite3"
        jobs = SqliteJobs(path)
        (key,) = jobs.create([JobSpec(type="old")], 1)
        jobs.close()
        with sqlite3.connect(path) as db:  # what a version-3 broker left behind
            for table in (
                "process_instances",
                "element_instances",
                "variables",
                "incidents",
                "sequence_flows",
            ):
                db.execute(f"DROP TABLE {table}")
            for column in (
                "process_instance_key",
                "process_definition_key",
                "process_definition_version",
                "element_instance_key",
            ):
                db.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
            db.execute("PRAGMA user_version=3")
        db.close()
        jobs = SqliteJobs(path)
        try:
            assert jobs.get(int(key), 2).type == "old"
        finally:
            jobs.close()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            assert "process_instance_key" in columns
            assert db.execute("SELECT COUNT(*) FROM process_instances").fetchone() == (0,)
        db.close()

    async def test_a_timer_fires_once_across_replicas(
        self, two_brokers: tuple[RunningBroker, RunningBroker]
    ) -> None:
        one, two = two_brokers
        async with client_for(one) as a:
            await deploy(a, TIMER_CATCH)
            keys = [
                (
                    await a.create_process_instance(process_definition_id="later")
                ).process_instance_key
                for _ in range(5)
            ]
        async with httpx.AsyncClient(base_url=two.url) as http:
            for key in keys:
                done = await wait_until(lambda key=key: ended(http, key))  # type: ignore[misc]
                assert done["state"] == "COMPLETED"
                elements = await search(
                    http, "/element-instances/search", {"filter": {"processInstanceKey": key}}
                )
                assert [e["elementId"] for e in elements].count("end") == 1
                assert [e["elementId"] for e in elements].count("wait") == 1
