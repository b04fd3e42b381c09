"""The official ``camunda-orchestration-sdk`` (10.0.1) against our embedded broker.

Its worker, its client calls and its response models are the reference for "speaks Camunda
8 REST v2 exactly": if they work against our broker unchanged, so will user code built on them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
from camunda_orchestration_sdk import (
    CamundaAsyncClient,
    ConnectedAsyncJobHandler,
    ConnectedJobContext,
    JobError,
    NullLogger,
    WorkerConfig,
)
from camunda_orchestration_sdk import errors as camunda_errors
from camunda_orchestration_sdk.models.activated_job_result import ActivatedJobResult
from camunda_orchestration_sdk.models.create_process_instance_result import (
    CreateProcessInstanceResult as CamundaStarted,
)
from camunda_orchestration_sdk.models.deployment_result import DeploymentResult as CamundaDeployed
from camunda_orchestration_sdk.models.job_activation_request import (
    JobActivationRequest as CamundaActivationRequest,
)
from camunda_orchestration_sdk.models.job_activation_request_tenant_filter import (
    JobActivationRequestTenantFilter,
)
from camunda_orchestration_sdk.models.job_activation_result import JobActivationResult
from camunda_orchestration_sdk.models.job_changeset import JobChangeset as CamundaChangeset
from camunda_orchestration_sdk.models.job_completion_request import (
    JobCompletionRequest as CamundaCompletionRequest,
)
from camunda_orchestration_sdk.models.job_completion_request_variables import (
    JobCompletionRequestVariables,
)
from camunda_orchestration_sdk.models.job_error_request import (
    JobErrorRequest as CamundaErrorRequest,
)
from camunda_orchestration_sdk.models.job_fail_request import JobFailRequest as CamundaFailRequest
from camunda_orchestration_sdk.models.job_update_request import (
    JobUpdateRequest as CamundaUpdateRequest,
)
from camunda_orchestration_sdk.models.problem_detail import ProblemDetail as CamundaProblem
from camunda_orchestration_sdk.models.process_creation_by_id import ProcessCreationById
from camunda_orchestration_sdk.models.process_creation_by_key import ProcessCreationByKey
from camunda_orchestration_sdk.models.topology_response import TopologyResponse
from camunda_orchestration_sdk.runtime.job_worker import JobWorker
from camunda_orchestration_sdk.semantic_types import JobKey as CamundaJobKey
from camunda_orchestration_sdk.semantic_types import JobLeaseToken
from camunda_orchestration_sdk.types import UNSET
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve
from sdk.client import AsyncClient
from sdk.models import CreateProcessInstanceResult, DeploymentResult, Job, JobKey, JobState
from sdk.testing import wait_until

from .test_openapi_contract import CLIENT_CALLS, answering

pytestmark = pytest.mark.anyio

JOB_TYPE = "compat"
N_JOBS = 5
WAIT_S = 10.0
UNKNOWN_KEY = "2251799813999999"


@pytest.fixture
async def camunda(sdk_broker: RunningBroker) -> AsyncIterator[CamundaAsyncClient]:
    """The official async client, pointed at our broker, logging nothing."""
    client = CamundaAsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"},
        logger=NullLogger(),
    )
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def official_worker(
    client: CamundaAsyncClient,
    handler: ConnectedAsyncJobHandler,
    job_type: str = JOB_TYPE,
    *,
    with_lease: bool = False,
) -> AsyncIterator[JobWorker]:
    """The official worker (async strategy) running for the ``async with`` block."""
    worker = client.create_job_worker(
        WorkerConfig(
            job_type=job_type,
            job_timeout_milliseconds=30_000,
            request_timeout_milliseconds=1_000,
            with_lease=with_lease,
        ),
        handler,
    )
    try:
        yield worker
    finally:
        await worker.aclose()


def _alive(worker: JobWorker) -> None:
    """Surface a terminal error of the official worker's poll loop (e.g. a missing field)."""
    task = worker.polling_task
    if task is not None and task.done() and not task.cancelled():
        error = task.exception()
        if error is not None:
            raise AssertionError(f"the official worker's poll loop died: {error!r}") from error


async def _wait_for_job(
    client: AsyncClient,
    worker: JobWorker,
    key: JobKey,
    accept: Callable[[Job], bool],
    message: str,
) -> Job:
    async def check() -> Job | None:
        _alive(worker)
        job = await client.get_job(key)
        return job if accept(job) else None

    found: Job | None = await wait_until(check, timeout_s=WAIT_S, message=message)
    assert found is not None
    return found


# -- the official worker ---------------------------------------------------------------------


async def test_worker_activates_and_completes_jobs(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    keys = [await sdk_client.create_job(JOB_TYPE, {"n": i}) for i in range(N_JOBS)]
    seen: list[str] = []

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        seen.append(str(job.job_key))
        n = job.variables.to_dict()["n"]
        return {"doubled": n * 2, "worker_type": job.type_}

    async with official_worker(camunda, handler) as worker:

        async def all_completed() -> list[Job] | None:
            _alive(worker)
            jobs = [await sdk_client.get_job(key) for key in keys]
            return jobs if all(j.state is JobState.COMPLETED for j in jobs) else None

        jobs: list[Job] | None = await wait_until(
            all_completed, timeout_s=WAIT_S, message="all jobs completed"
        )
        assert jobs is not None

    assert sorted(seen) == sorted(keys)
    for n, job in enumerate(jobs):
        assert job.variables == {"n": n, "doubled": n * 2, "worker_type": JOB_TYPE}
        assert job.worker == "camunda-python-sdk-worker"
        assert job.history is not None
        assert [e.event for e in job.history] == ["CREATED", "ACTIVATED", "COMPLETED"]


async def test_worker_job_error_throws_a_bpmn_error(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, {"n": 1})

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise JobError("PAYMENT_DECLINED", "card expired", {"reason": "expired"})

    async with official_worker(camunda, handler) as worker:
        job = await _wait_for_job(
            sdk_client,
            worker,
            key,
            lambda j: j.state is JobState.ERROR_THROWN,
            "the job's error was thrown",
        )

    assert job.error_code == "PAYMENT_DECLINED"
    assert job.error_message == "card expired"
    assert job.variables == {"n": 1, "reason": "expired"}


async def test_worker_exception_fails_the_job_with_one_retry_less(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, {"n": 1}, retries=3)

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise RuntimeError(f"boom with {job.retries} retries")

    async with official_worker(camunda, handler) as worker:
        job = await _wait_for_job(
            sdk_client, worker, key, lambda j: j.retries < 3, "the job failed once"
        )

    assert job.history is not None
    failed = [e for e in job.history if e.event == "FAILED"]
    assert failed, job.history
    assert failed[0].retries == 2
    assert failed[0].message == "boom with 3 retries"
    assert job.error_message is not None and job.error_message.startswith("boom with")


async def test_worker_with_lease_completes_jobs(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, {"n": 1})

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {"leased": True}

    async with official_worker(camunda, handler, with_lease=True) as worker:
        job = await _wait_for_job(
            sdk_client, worker, key, lambda j: j.state is JobState.COMPLETED, "leased job done"
        )

    assert job.variables == {"n": 1, "leased": True}


# -- the official client, call by call -------------------------------------------------------


async def _activate_one(
    camunda: CamundaAsyncClient, job_type: str = JOB_TYPE, *, with_lease: bool = False
) -> ActivatedJobResult:
    result = await camunda.activate_jobs(
        data=CamundaActivationRequest(
            type_=job_type,
            timeout=30_000,
            max_jobs_to_activate=1,
            worker="official-client",
            request_timeout=-1,
            with_lease=True if with_lease else UNSET,
        )
    )
    assert len(result.jobs) == 1, result
    return result.jobs[0]


async def test_client_activate_and_complete(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, {"n": 7}, custom_headers={"h": "v"}, retries=4)

    job = await _activate_one(camunda)

    assert str(job.job_key) == key
    assert job.type_ == JOB_TYPE
    assert job.worker == "official-client"
    assert job.retries == 4
    assert job.variables.to_dict() == {"n": 7}
    assert job.custom_headers.to_dict() == {"h": "v"}
    assert job.tenant_id == "<default>"
    await camunda.complete_job(
        job.job_key,
        data=CamundaCompletionRequest(
            variables=JobCompletionRequestVariables.from_dict({"done": True})
        ),
    )
    stored = await sdk_client.get_job(key)
    assert stored.state is JobState.COMPLETED
    assert stored.variables == {"n": 7, "done": True}


async def test_client_activate_returns_empty_when_idle(camunda: CamundaAsyncClient) -> None:
    result = await camunda.activate_jobs(
        data=CamundaActivationRequest(
            type_="nothing-here", timeout=1_000, max_jobs_to_activate=5, request_timeout=-1
        )
    )
    assert result.jobs == []


async def test_client_fail(sdk_client: AsyncClient, camunda: CamundaAsyncClient) -> None:
    key = await sdk_client.create_job(JOB_TYPE, retries=3)
    job = await _activate_one(camunda)

    await camunda.fail_job(
        job.job_key,
        data=CamundaFailRequest(retries=2, error_message="gateway timeout", retry_back_off=60_000),
    )

    stored = await sdk_client.get_job(key)
    assert stored.state is JobState.ACTIVATABLE
    assert stored.retries == 2
    assert stored.error_message == "gateway timeout"
    # the back-off holds the job back: nothing to activate right now
    again = await camunda.activate_jobs(
        data=CamundaActivationRequest(
            type_=JOB_TYPE, timeout=1_000, max_jobs_to_activate=1, request_timeout=-1
        )
    )
    assert again.jobs == []


async def test_client_throw_error(sdk_client: AsyncClient, camunda: CamundaAsyncClient) -> None:
    key = await sdk_client.create_job(JOB_TYPE)
    job = await _activate_one(camunda)

    await camunda.throw_job_error(
        job.job_key,
        data=CamundaErrorRequest(error_code="NOT_FOUND_IN_CRM", error_message="no such customer"),
    )

    stored = await sdk_client.get_job(key)
    assert stored.state is JobState.ERROR_THROWN
    assert stored.error_code == "NOT_FOUND_IN_CRM"
    assert stored.error_message == "no such customer"


async def test_client_update_retries_and_timeout(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, retries=3)
    job = await _activate_one(camunda)

    await camunda.update_job(
        job.job_key,
        data=CamundaUpdateRequest(changeset=CamundaChangeset(retries=5, timeout=120_000)),
    )
    await camunda.update_job(
        job.job_key, data=CamundaUpdateRequest(changeset=CamundaChangeset(retries=6))
    )

    stored = await sdk_client.get_job(key)
    assert stored.state is JobState.ACTIVATED
    assert stored.retries == 6
    assert stored.deadline is not None
    assert stored.deadline > job.deadline  # the lease was extended past the first deadline
    assert stored.history is not None
    events = [e.event for e in stored.history]
    assert events.count("RETRIES_UPDATED") == 2
    assert events.count("TIMEOUT_UPDATED") == 1
    # the extended lease is still ours: completing works
    await camunda.complete_job(job.job_key, data=CamundaCompletionRequest())
    assert (await sdk_client.get_job(key)).state is JobState.COMPLETED


async def test_client_activation_options(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    await sdk_client.create_job(JOB_TYPE, {"a": 1, "b": 2, "c": 3})

    result = await camunda.activate_jobs(
        data=CamundaActivationRequest(
            type_=JOB_TYPE,
            timeout=30_000,
            max_jobs_to_activate=10,
            worker="options",
            fetch_variable=["a", "c"],
            request_timeout=0,
            tenant_ids=["<default>"],
            tenant_filter=JobActivationRequestTenantFilter.PROVIDED,
        )
    )

    (job,) = result.jobs
    assert job.variables.to_dict() == {"a": 1, "c": 3}
    assert job.tenant_id == "<default>"


async def test_client_topology(sdk_broker: RunningBroker, camunda: CamundaAsyncClient) -> None:
    topology = await camunda.get_topology()

    assert isinstance(topology, TopologyResponse)
    assert topology.cluster_size == 1
    assert topology.partitions_count == 1
    assert topology.gateway_version
    assert len(topology.brokers) == 1
    (broker,) = topology.brokers
    assert broker.partitions[0].partition_id == 1
    assert broker.host == httpx.URL(sdk_broker.url).host


async def test_client_lease_token_fences_commands(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    """The official request models send the token as ``jobLeaseToken``; we honour it."""
    key = await sdk_client.create_job(JOB_TYPE)
    job = await _activate_one(camunda, with_lease=True)
    # 10.0.1 does not know the spec's `leaseToken` field, so it lands in additional_properties
    token = job.job_lease_token or job.additional_properties.get("leaseToken")
    assert isinstance(token, str) and token

    with pytest.raises(camunda_errors.ConflictError) as caught:
        await camunda.complete_job(
            job.job_key,
            data=CamundaCompletionRequest(job_lease_token=JobLeaseToken(token + "-stale")),
        )
    assert isinstance(caught.value.parsed, CamundaProblem)
    assert caught.value.parsed.status == 409

    await camunda.complete_job(
        job.job_key, data=CamundaCompletionRequest(job_lease_token=JobLeaseToken(token))
    )
    assert (await sdk_client.get_job(key)).state is JobState.COMPLETED


async def test_client_unknown_job_is_a_typed_404(camunda: CamundaAsyncClient) -> None:
    with pytest.raises(camunda_errors.NotFoundError) as caught:
        await camunda.complete_job(CamundaJobKey(UNKNOWN_KEY), data=CamundaCompletionRequest())

    error = caught.value
    assert error.status_code == 404
    assert isinstance(error.parsed, CamundaProblem)
    assert error.parsed.status == 404
    assert error.parsed.title
    assert UNKNOWN_KEY in error.parsed.detail
    assert error.parsed.instance == f"/v2/jobs/{UNKNOWN_KEY}/completion"


async def test_client_update_unknown_job_is_a_typed_404(camunda: CamundaAsyncClient) -> None:
    with pytest.raises(camunda_errors.NotFoundError) as caught:
        await camunda.update_job(
            CamundaJobKey(UNKNOWN_KEY),
            data=CamundaUpdateRequest(changeset=CamundaChangeset(retries=1)),
        )
    assert isinstance(caught.value.parsed, CamundaProblem)
    assert caught.value.parsed.status == 404


# -- our raw responses parse with the official models ---------------------------------------


async def test_raw_activation_result_parses(
    sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE, {"n": 3}, custom_headers={"h": "v"})
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post(
            "/jobs/activation",
            json={"type": JOB_TYPE, "timeout": 10_000, "maxJobsToActivate": 1, "worker": "raw"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")

    result = JobActivationResult.from_dict(response.json())

    (job,) = result.jobs
    assert isinstance(job, ActivatedJobResult)
    assert str(job.job_key) == key
    assert job.worker == "raw"
    assert job.variables.to_dict() == {"n": 3}
    assert job.custom_headers.to_dict() == {"h": "v"}
    # every field the official model knows is read, none is left over as unknown
    assert set(job.additional_properties) <= {"leaseToken"}


async def test_raw_topology_parses(sdk_broker: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.get("/topology")
    assert response.status_code == 200

    topology = TopologyResponse.from_dict(response.json())

    assert topology.brokers[0].partitions[0].partition_id == 1
    assert topology.additional_properties == {}


async def test_raw_problem_detail_parses(sdk_broker: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post(f"/jobs/{UNKNOWN_KEY}/failure", json={"retries": 1})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")

    problem = CamundaProblem.from_dict(response.json())

    assert problem.status == 404
    assert problem.type_ == "about:blank"
    assert problem.title
    assert problem.detail
    assert problem.instance == f"/v2/jobs/{UNKNOWN_KEY}/failure"


async def test_raw_bad_request_problem_parses(sdk_broker: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post("/jobs/activation", json={"type": JOB_TYPE})
    assert response.status_code == 400

    problem = CamundaProblem.from_dict(response.json())

    assert problem.status == 400
    assert "maxJobsToActivate" in problem.detail


# -- our client's requests read back by the official request models --------------------------

OFFICIAL_REQUEST_MODELS: dict[str, Any] = {
    "activation": CamundaActivationRequest,
    "completion": CamundaCompletionRequest,
    "failure": CamundaFailRequest,
    "error": CamundaErrorRequest,
    "update": CamundaUpdateRequest,
    "process-instance-by-id": ProcessCreationById,
    "process-instance-by-key": ProcessCreationByKey,
}
LEASE_DRIFT = "leaseToken"
"""The spec's name of the lease field; 10.0.1 (a later spec) calls it ``jobLeaseToken``."""


@pytest.mark.parametrize("name", sorted(OFFICIAL_REQUEST_MODELS))
async def test_our_requests_read_back_unchanged_by_the_official_models(name: str) -> None:
    sent: list[httpx.Request] = []
    client = AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": "http://test/v2", "CAMUNDA_AUTH_STRATEGY": "NONE"},
        transport=httpx.MockTransport(answering(sent)),
    )
    async with client:
        await CLIENT_CALLS[name].invoke(client)

    body = json.loads(sent[0].content)
    official = OFFICIAL_REQUEST_MODELS[name].from_dict(body)

    assert official.to_dict() == {k: v for k, v in body.items() if k != LEASE_DRIFT}
    assert getattr(official, "additional_properties", {}) in ({}, {LEASE_DRIFT: "7"})


def test_our_models_read_the_official_pass_through_answers() -> None:
    started = CamundaStarted.from_dict(
        {
            "processDefinitionId": "order",
            "processDefinitionVersion": 2,
            "tenantId": "<default>",
            "variables": {"a": 1},
            "processDefinitionKey": "2251799813685251",
            "processInstanceKey": "2251799813685260",
            "tags": ["web"],
            "businessId": None,
        }
    ).to_dict()
    ours = CreateProcessInstanceResult.model_validate(started)
    assert json.loads(ours.to_wire()) == started

    deployed = CamundaDeployed.from_dict(
        {
            "deploymentKey": "1",
            "tenantId": "<default>",
            "deployments": [
                {
                    "processDefinition": {
                        "processDefinitionId": "order",
                        "processDefinitionVersion": 1,
                        "resourceName": "order.bpmn",
                        "tenantId": "<default>",
                        "processDefinitionKey": "2",
                    },
                    "decisionDefinition": None,
                    "decisionRequirements": None,
                    "form": None,
                    "resource": None,
                }
            ],
        }
    ).to_dict()
    parsed = DeploymentResult.model_validate(deployed)
    assert json.loads(parsed.to_wire()) == deployed
    assert parsed.processes[0].process_definition_key == "2"


# -- the official client against our broker with auth on -------------------------------------

USER, PASSWORD = "official", "pw-official-31"
CLIENT_ID, CLIENT_SECRET = "official-app", "secret-official-42"


@pytest.fixture
async def secured_broker() -> AsyncIterator[tuple[RunningBroker, BrokerAuth]]:
    auth = BrokerAuth(
        users=[BrokerUser(USER, SecretStr(PASSWORD))],
        oauth_clients={CLIENT_ID: SecretStr(CLIENT_SECRET)},
    )
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        yield broker, auth
        tg.cancel_scope.cancel()


def _official(configuration: Any) -> CamundaAsyncClient:
    return CamundaAsyncClient(configuration=configuration, logger=NullLogger())


@pytest.mark.parametrize("strategy", ["BASIC", "OAUTH"])
async def test_official_client_authenticates_with_our_broker(
    secured_broker: tuple[RunningBroker, BrokerAuth], strategy: str
) -> None:
    broker, auth = secured_broker
    configuration = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": strategy}
    if strategy == "BASIC":
        configuration |= {
            "CAMUNDA_BASIC_AUTH_USERNAME": USER,
            "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
        }
    else:
        configuration |= {
            "CAMUNDA_CLIENT_ID": CLIENT_ID,
            "CAMUNDA_CLIENT_SECRET": CLIENT_SECRET,
            "CAMUNDA_OAUTH_URL": broker.url.removesuffix("/v2") + "/oauth/token",
            "CAMUNDA_TOKEN_AUDIENCE": "sdk-broker",
        }
    ours = {k: v for k, v in configuration.items() if k != "CAMUNDA_TOKEN_AUDIENCE"}
    async with AsyncClient(configuration=ours) as sdk_client:
        key = await sdk_client.create_job(JOB_TYPE, {"n": 1})
    issued_before = auth.tokens.issued
    camunda = _official(configuration)
    try:
        job = await _activate_one(camunda)
        await camunda.complete_job(job.job_key, data=CamundaCompletionRequest())
        assert (await camunda.get_topology()).cluster_size == 1
    finally:
        await camunda.aclose()
    # the official client fetched one token from our endpoint and used it for all three calls
    assert auth.tokens.issued - issued_before == (1 if strategy == "OAUTH" else 0)
    async with AsyncClient(configuration=ours) as sdk_client:
        assert (await sdk_client.get_job(key)).state is JobState.COMPLETED


async def test_official_client_reads_our_refusal_as_a_typed_401(
    secured_broker: tuple[RunningBroker, BrokerAuth],
) -> None:
    broker, _ = secured_broker
    camunda = _official({"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"})
    try:
        with pytest.raises(camunda_errors.UnauthorizedError) as caught:
            await camunda.get_topology()
    finally:
        await camunda.aclose()
    assert isinstance(caught.value.parsed, CamundaProblem)
    assert caught.value.parsed.status == 401
    assert caught.value.parsed.instance == "/v2/topology"
