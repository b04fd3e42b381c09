"""``AsyncClient``: the Camunda v2 job API (and the broker's extensions) over httpx."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from httpx_sse import EventSource
from loguru import logger

from ..errors import (
    BackpressureError,
    JobWaitTimeoutError,
    ProtocolError,
    ServerError,
    ServerUnreachableError,
)
from ..models import (
    ActivatedJob,
    BulkAction,
    BulkJobsResult,
    CamundaUserResult,
    Capabilities,
    CreateProcessInstanceResult,
    DeleteResourceResponse,
    DeploymentResult,
    ElementInstanceResult,
    ElementInstanceSearchQuery,
    ElementInstanceSearchQueryResult,
    IncidentResult,
    IncidentSearchQuery,
    IncidentSearchQueryResult,
    Job,
    JobEventRecord,
    JobKey,
    JobReport,
    JobReportResult,
    JobSearchQuery,
    JobSearchQueryResult,
    JobSearchResult,
    JobSpec,
    JobState,
    JobTypeLimits,
    MessageCorrelationRequest,
    MessageCorrelationResult,
    MessagePublicationRequest,
    MessagePublicationResult,
    MessageSubscriptionSearchQuery,
    MessageSubscriptionSearchQueryResult,
    ProcessDefinitionFilter,
    ProcessDefinitionResult,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryResult,
    ProcessInstanceElementStatisticsQueryResult,
    ProcessInstanceResult,
    ProcessInstanceSearchQuery,
    ProcessInstanceSearchQueryResult,
    ProcessInstanceSequenceFlowsQueryResult,
    ResourceResult,
    Schedule,
    ScheduleRequest,
    SearchQueryPageRequest,
    SignalBroadcastRequest,
    SignalBroadcastResult,
    TopologyResponse,
    UserTaskResult,
    UserTaskSearchQuery,
    UserTaskSearchQueryResult,
    VariableResult,
    VariableSearchQuery,
    VariableSearchQueryResult,
)
from . import (
    _bulk,
    _calls,
    _cluster,
    _event_stream,
    _identity,
    _instances,
    _results,
    _run_later,
)
from . import _clock as _clock_calls
from . import _messages as _message_calls
from . import _schedules as _schedule_calls
from . import _user_tasks as _user_task_calls
from ._auth import auth_for
from ._event_stream import DEFAULT_HEARTBEAT_S, EventMode
from ._extension import Extension
from ._lane import Lane
from ._retry import HttpRetryPolicy
from ._retry import async_sleep as _sleep
from ._settings import Settings
from ._tracing import HttpTracing
from ._transport import default_transport

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

T = TypeVar("T")

_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=30)
_STREAM_LOST = (httpx.TransportError, ServerUnreachableError, BackpressureError, ServerError)
"""Failures after which an event stream is opened again (after a back-off)."""


class AsyncClient:
    """An async client of a Camunda 8 cluster or of the embedded broker.

    Args:
        settings: Connection settings; default: ``Settings.load(configuration)``.
        configuration: Explicit settings by variable name, e.g. ``{"CAMUNDA_REST_ADDRESS": ...}``;
            they win over the environment and ``.env``.
        transport: An httpx transport, e.g. ``httpx.ASGITransport(app)`` to talk to an
            in-process broker without sockets.
        retry: When failed requests are sent again; default: ``SDK_HTTP_RETRIES`` repeats
            with back-off up to ``SDK_HTTP_RETRY_MAX_DELAY_S``. ``HttpRetryPolicy.off()``
            turns it off.
        auth: An ``httpx.Auth`` to use instead of the one the settings describe.
        tracer_provider: With the ``[otel]`` extra: the OpenTelemetry provider of the
            requests' client spans (default: the global one).

    Use it as ``async with AsyncClient() as client: ...``; nothing is opened before that.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        configuration: Mapping[str, Any] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: HttpRetryPolicy | None = None,
        auth: httpx.Auth | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings or Settings.load(configuration)
        self.retry = retry or HttpRetryPolicy(
            max_retries=self.settings.http_retries,
            max_delay_s=self.settings.http_retry_max_delay_s,
        )
        auth = auth or auth_for(self.settings)
        self._transport = transport or default_transport(self.settings.http_transport, _LIMITS)
        self._http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            auth=auth,
            timeout=httpx.Timeout(self.settings.http_timeout_s),
            limits=_LIMITS,
            transport=self._transport,
            headers={"accept": "application/json"},
        )
        self._lane = Lane.create(self._http, self._transport, auth)
        self._tracing = HttpTracing.create(tracer_provider)
        self._offered: frozenset[str] | None = None
        """The server's extensions, asked once when a 404 leaves it open (see ``_extension``)."""

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent."""
        await self._http.aclose()

    async def _send(self, call: _calls.Call[T]) -> T:
        """Send ``call``, repeating it as ``self.retry`` allows; the typed answer or error."""
        attempt = 0
        while True:
            try:
                response = await self._exchange(call, attempt)
            except httpx.TransportError as exc:
                delay_s = self.retry.after_error(attempt, exc, call.idempotent)
                if delay_s is None:
                    raise _calls.unreachable_error(call, self.base_url, exc) from exc
                reason = type(exc).__name__
            else:
                delay_s = self.retry.after_response(attempt, response, call.idempotent)
                if delay_s is None:
                    if call.extension is not None and call.extension.item_route:
                        await self._require_extension(call.extension, response)
                    return _calls.read_response(call, response)
                reason = f"{response.status_code} {response.reason_phrase}"
            attempt += 1
            logger.debug(
                "http: {} {} failed ({}); retry {}/{} in {:.2f} s",
                call.method,
                call.path,
                reason,
                attempt,
                self.retry.max_retries,
                delay_s,
            )
            await _sleep(delay_s)

    async def _exchange(self, call: _calls.Call[T], attempt: int) -> httpx.Response:
        """One attempt at ``call``: the short way when it can (see ``_lane``), else httpx's."""
        traced = self._tracing is not None and self._tracing.active()
        lane = None if traced else self._lane
        if lane is not None and lane.takes(call):
            return await lane.send(call)
        request = _calls.build_request(self._http, call)
        if self._tracing is not None and traced:
            return await self._tracing.asend(self._http, request, attempt)
        return await self._http.send(request)

    # -- the Camunda job API -----------------------------------------------------------------

    async def activate_jobs(
        self,
        job_type: str,
        *,
        max_jobs: int,
        timeout_ms: int,
        worker: str | None = None,
        request_timeout_ms: int | None = None,
        fetch_variables: Sequence[str] | None = None,
        tenant_ids: Sequence[str] | None = None,
    ) -> list[ActivatedJob]:
        """Activate up to ``max_jobs`` jobs of ``job_type``, long-polling for new ones.

        Args:
            job_type: The job type to work on.
            max_jobs: Upper bound of jobs returned (pass the worker's free slots).
            timeout_ms: Lease length in ms: the job goes to another worker after it.
            worker: Name recorded on the activated jobs.
            request_timeout_ms: Long-poll wait in ms; ``None`` or 0: the server's default
                (10 s on Camunda); negative: answer at once.
            fetch_variables: Variable names to fetch; ``None``: all of them.
            tenant_ids: Tenants to activate jobs of; ``None``: the server's default (the
                embedded broker: every tenant; Camunda: the default tenant).
        """
        return await self._send(
            _calls.activate_jobs(
                job_type,
                max_jobs=max_jobs,
                timeout_ms=timeout_ms,
                worker=worker,
                request_timeout_ms=request_timeout_ms,
                fetch_variables=fetch_variables,
                tenant_ids=tenant_ids,
            )
        )

    async def complete_job(
        self,
        job_key: JobKey | str | int,
        variables: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
    ) -> None:
        """Complete an activated job, setting ``variables``."""
        await self._send(_calls.complete_job(job_key, variables, lease_token))

    async def fail_job(
        self,
        job_key: JobKey | str | int,
        *,
        retries: int,
        error_message: str | None = None,
        retry_backoff_ms: int = 0,
        variables: Mapping[str, Any] | None = None,
        lease_token: str | None = None,
    ) -> None:
        """Fail an activated job; ``retries`` is what is left (0 raises an incident)."""
        await self._send(
            _calls.fail_job(
                job_key,
                retries=retries,
                error_message=error_message,
                retry_backoff_ms=retry_backoff_ms,
                variables=variables,
                lease_token=lease_token,
            )
        )

    async def throw_job_error(
        self,
        job_key: JobKey | str | int,
        error_code: str,
        *,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
        lease_token: str | None = None,
    ) -> None:
        """Throw a BPMN business error with ``error_code`` for an activated job."""
        await self._send(
            _calls.throw_job_error(
                job_key,
                error_code,
                error_message=error_message,
                variables=variables,
                lease_token=lease_token,
            )
        )

    async def update_job(
        self,
        job_key: JobKey | str | int,
        *,
        retries: int | None = None,
        timeout_ms: int | None = None,
        lease_token: str | None = None,
    ) -> None:
        """Change a job's retries and/or extend its lease to ``timeout_ms`` from now.

        ``lease_token`` (from a leased activation) fences the change against a newer one.
        """
        await self._send(
            _calls.update_job(
                job_key, retries=retries, timeout_ms=timeout_ms, lease_token=lease_token
            )
        )

    async def topology(self) -> TopologyResponse:
        """The cluster topology; also a cheap "is the server there" check."""
        return await self._send(_calls.topology())

    async def current_user(self) -> CamundaUserResult:
        """Whom this client's credentials authenticate as (``GET /v2/authentication/me``).

        Raises:
            UnauthorizedError: the server rejected the credentials.
            NotFoundError: a server without the endpoint (an older Camunda).
        """
        return await self._send(_identity.current_user())

    async def check_server(self) -> TopologyResponse:
        """Make sure the server speaks the Camunda 8 REST v2 job API; returns its topology.

        Raises:
            ProtocolError: the address answers, but not as a Camunda 8.6+ gateway or the sdk
                broker would (a 404, a web page, JSON of another service, an older version).
            ServerUnreachableError: nothing answers at the address.
        """
        return await self._send(_cluster.server_check())

    async def deploy_resources_from_files(
        self, paths: Sequence[str | Path], *, tenant_id: str | None = None
    ) -> DeploymentResult:
        """Deploy BPMN, DMN and form files to a Camunda cluster in one atomic deployment.

        Args:
            paths: The files; each is sent as a ``resources`` part named by its base name.
            tenant_id: The tenant to deploy to; ``None``: the cluster's default.
        """
        files = await _cluster.aread_resources(paths)
        return await self._send(_cluster.deploy_resources(files, tenant_id))

    async def deploy_resources(
        self,
        resources: Mapping[str, bytes] | Sequence[tuple[str, bytes]],
        *,
        tenant_id: str | None = None,
    ) -> DeploymentResult:
        """Deploy in-memory resources ``{file name: bytes}`` in one atomic deployment.

        The file name's extension says what each is (``.bpmn``). A refused model raises
        ``ApiError`` (400) whose detail names every problem.
        """
        return await self._send(
            _cluster.deploy_resources(_cluster.resource_parts(resources), tenant_id)
        )

    async def search_process_definitions(
        self,
        query: ProcessDefinitionSearchQuery | None = None,
        *,
        process_definition_id: str | None = None,
        version: int | None = None,
        name: str | None = None,
        tenant_id: str | None = None,
        is_latest_version: bool | None = None,
        limit: int | None = None,
    ) -> ProcessDefinitionSearchQueryResult:
        """Search process definitions: a whole ``query`` (filter, sort, page), or its common
        filters as arguments (exact matches)."""
        if query is None:
            query = ProcessDefinitionSearchQuery(
                filter=ProcessDefinitionFilter(
                    process_definition_id=process_definition_id,
                    version=version,
                    name=name,
                    tenant_id=tenant_id,
                    is_latest_version=is_latest_version,
                ),
                page=None if limit is None else SearchQueryPageRequest(limit=limit),
            )
        return await self._send(_cluster.search_process_definitions(query))

    async def get_process_definition(self, key: str | int) -> ProcessDefinitionResult:
        """One process definition (``NotFoundError`` for an unknown key)."""
        return await self._send(_cluster.get_process_definition(key))

    async def get_process_definition_xml(self, key: str | int) -> str:
        """A process definition's BPMN XML, as deployed."""
        return await self._send(_cluster.get_process_definition_xml(key))

    async def get_resource(self, key: str | int) -> ResourceResult:
        """A deployed resource's metadata."""
        return await self._send(_cluster.get_resource(key))

    async def get_resource_content(self, key: str | int) -> bytes:
        """A deployed resource's bytes, as deployed."""
        return await self._send(_cluster.get_resource_content(key))

    async def delete_resource(
        self, key: str | int, *, delete_history: bool = False
    ) -> DeleteResourceResponse:
        """Delete a deployed resource (for a process: it is no longer startable)."""
        return await self._send(_cluster.delete_resource(key, delete_history))

    async def create_process_instance(
        self,
        *,
        process_definition_id: str | None = None,
        process_definition_key: str | int | None = None,
        version: int | None = None,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        start_before: Sequence[str] | None = None,
        await_completion: bool = False,
        fetch_variables: Sequence[str] | None = None,
        request_timeout_ms: int | None = None,
        tags: Sequence[str] | None = None,
        business_id: str | None = None,
    ) -> CreateProcessInstanceResult:
        """Start a process instance on a Camunda cluster (by BPMN process id or by key).

        Args:
            process_definition_id: The BPMN process id; the latest version unless ``version``.
            process_definition_key: The key of a deployed definition (instead of the id).
            version: The version of ``process_definition_id`` (-1 or ``None``: latest).
            variables: Variables of the instance's root scope.
            tenant_id: The definition's tenant (multi-tenant clusters only).
            start_before: Element ids to start before instead of the start event.
            await_completion: Answer only when the instance has completed.
            fetch_variables: With ``await_completion``: variables to return (default: all).
            request_timeout_ms: With ``await_completion``: how long to wait, in ms.
            tags: Tags of the instance.
            business_id: The instance's business id.
        """
        return await self._send(
            _cluster.create_process_instance(
                process_definition_id=process_definition_id,
                process_definition_key=process_definition_key,
                version=version,
                variables=variables,
                tenant_id=tenant_id,
                start_before=start_before,
                await_completion=await_completion,
                fetch_variables=fetch_variables,
                request_timeout_ms=request_timeout_ms,
                tags=tags,
                business_id=business_id,
            )
        )

    # -- process instances and what they are made of (Camunda's API) --------------------------

    async def get_process_instance(self, key: str | int) -> ProcessInstanceResult:
        """One process instance (``NotFoundError`` for an unknown key)."""
        return await self._send(_instances.get_process_instance(key))

    async def search_process_instances(
        self,
        query: ProcessInstanceSearchQuery | None = None,
        *,
        process_definition_id: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> ProcessInstanceSearchQueryResult:
        """Search process instances: a whole ``query`` (filter with operators, sort, page), or
        its common filters as arguments (exact matches)."""
        if query is None:
            query = ProcessInstanceSearchQuery.model_validate_json(
                _search_body({"processDefinitionId": process_definition_id, "state": state}, limit)
            )
        return await self._send(_instances.search_process_instances(query))

    async def cancel_process_instance(self, key: str | int) -> None:
        """Cancel an instance: its jobs are cancelled (a worker's later report gets 404)."""
        await self._send(_instances.cancel_process_instance(key))

    async def search_process_instance_incidents(
        self, key: str | int, query: IncidentSearchQuery | None = None
    ) -> IncidentSearchQueryResult:
        """The incidents of one process instance."""
        query = query or IncidentSearchQuery()
        return await self._send(_instances.search_instance_incidents(key, query))

    async def get_process_instance_sequence_flows(
        self, key: str | int
    ) -> ProcessInstanceSequenceFlowsQueryResult:
        """The sequence flows an instance has taken."""
        return await self._send(_instances.sequence_flows(key))

    async def get_process_instance_statistics(
        self, key: str | int
    ) -> ProcessInstanceElementStatisticsQueryResult:
        """Per element of an instance: how many of its instances are active, completed,
        cancelled or in an incident."""
        return await self._send(_instances.element_statistics(key))

    async def search_element_instances(
        self,
        query: ElementInstanceSearchQuery | None = None,
        *,
        process_instance_key: str | int | None = None,
        limit: int | None = None,
    ) -> ElementInstanceSearchQueryResult:
        """Search element instances (e.g. one instance's history, by ``process_instance_key``)."""
        if query is None:
            key = None if process_instance_key is None else str(process_instance_key)
            query = ElementInstanceSearchQuery.model_validate_json(
                _search_body({"processInstanceKey": key}, limit)
            )
        return await self._send(_instances.search_element_instances(query))

    async def get_element_instance(self, key: str | int) -> ElementInstanceResult:
        return await self._send(_instances.get_element_instance(key))

    async def search_incidents(
        self,
        query: IncidentSearchQuery | None = None,
        *,
        process_instance_key: str | int | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> IncidentSearchQueryResult:
        """Search incidents (e.g. the ``ACTIVE`` ones)."""
        if query is None:
            key = None if process_instance_key is None else str(process_instance_key)
            query = IncidentSearchQuery.model_validate_json(
                _search_body({"processInstanceKey": key, "state": state}, limit)
            )
        return await self._send(_instances.search_incidents(query))

    async def get_incident(self, key: str | int) -> IncidentResult:
        return await self._send(_instances.get_incident(key))

    async def resolve_incident(self, key: str | int) -> None:
        """Resolve an incident: what failed is retried (for a job without retries, raise its
        retries first with ``update_job``)."""
        await self._send(_instances.resolve_incident(key))

    async def search_variables(
        self,
        query: VariableSearchQuery | None = None,
        *,
        process_instance_key: str | int | None = None,
        name: str | None = None,
        limit: int | None = None,
    ) -> VariableSearchQueryResult:
        """Search variables; each ``value`` is its JSON text."""
        if query is None:
            key = None if process_instance_key is None else str(process_instance_key)
            query = VariableSearchQuery.model_validate_json(
                _search_body({"processInstanceKey": key, "name": name}, limit)
            )
        return await self._send(_instances.search_variables(query))

    async def get_variable(self, key: str | int) -> VariableResult:
        return await self._send(_instances.get_variable(key))

    async def search_camunda_jobs(
        self, query: JobSearchQuery | None = None
    ) -> JobSearchQueryResult:
        """Camunda's own job search (``POST /v2/jobs/search``), beside ``search_jobs``."""
        return await self._send(_instances.search_camunda_jobs(query or JobSearchQuery()))

    # -- user tasks (``zeebe:userTask``) and element-instance variables -------------------------

    async def search_user_tasks(
        self, query: UserTaskSearchQuery | None = None
    ) -> UserTaskSearchQueryResult:
        """Search Camunda user tasks ({filter, sort, page})."""
        query = query or UserTaskSearchQuery()
        return await self._send(_user_task_calls.search_user_tasks(query))

    async def get_user_task(self, key: str | int) -> UserTaskResult:
        return await self._send(_user_task_calls.get_user_task(key))

    async def assign_user_task(
        self, key: str | int, assignee: str, *, allow_override: bool | None = None
    ) -> None:
        """Assign a user task; ``allow_override=False`` refuses a task assigned already
        (409) instead of reassigning it."""
        await self._send(_user_task_calls.assign_user_task(key, assignee, allow_override))

    async def complete_user_task(
        self, key: str | int, variables: Mapping[str, Any] | None = None
    ) -> None:
        """Complete a user task with ``variables``: its instance moves on (409 when the task
        is not waiting any more, e.g. completed already)."""
        await self._send(_user_task_calls.complete_user_task(key, variables))

    async def set_element_instance_variables(
        self, key: str | int, variables: Mapping[str, Any], *, local: bool = False
    ) -> None:
        """Set variables on an element instance (or a process instance, by its key): with
        ``local`` on its own scope, else each where it exists already (else the root)."""
        await self._send(_user_task_calls.set_element_variables(key, variables, local))

    # -- the clock (a cluster started with its clock controllable) -----------------------------

    async def pin_clock(self, at: datetime) -> None:
        """Pin the engine's clock at ``at`` (naive: UTC): it stands still there, and every timer
        due by then fires. Answered only by a cluster started with its clock controllable
        (``zeebe.clock.controlled``; the embedded broker: ``--clock-control``)."""
        await self._send(_clock_calls.pin_clock(at))

    async def reset_clock(self) -> None:
        """Give the engine back the wall clock (after ``pin_clock``)."""
        await self._send(_clock_calls.reset_clock())

    # -- messages and signals (Camunda's API) ---------------------------------------------------

    async def publish_message(
        self,
        name: str,
        *,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        time_to_live_ms: int | None = None,
        message_id: str | None = None,
        tenant_id: str | None = None,
    ) -> MessagePublicationResult:
        """Publish a message: it is correlated once per process waiting for its name and
        correlation key (a message start event starts an instance, else one waiting
        subscription catches it), then waits ``time_to_live_ms`` for subscriptions opened
        later (0 or ``None``: not buffered). A ``message_id`` still buffered answers
        ``ConflictError`` (409)."""
        body = MessagePublicationRequest(
            name=name,
            correlation_key=correlation_key,
            variables=dict(variables) if variables is not None else None,
            time_to_live=time_to_live_ms,
            message_id=message_id,
            tenant_id=tenant_id,
        )
        return await self._send(_message_calls.publish_message(body))

    async def correlate_message(
        self,
        name: str,
        *,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> MessageCorrelationResult:
        """Correlate a message now, without buffering it: the answer names the first instance
        it reached or started (``NotFoundError`` when nothing waits for it)."""
        body = MessageCorrelationRequest(
            name=name,
            correlation_key=correlation_key,
            variables=dict(variables) if variables is not None else None,
            tenant_id=tenant_id,
        )
        return await self._send(_message_calls.correlate_message(body))

    async def search_message_subscriptions(
        self,
        query: MessageSubscriptionSearchQuery | None = None,
        *,
        process_instance_key: str | int | None = None,
        message_name: str | None = None,
        limit: int | None = None,
    ) -> MessageSubscriptionSearchQueryResult:
        """Search message subscriptions (e.g. what one instance waits for)."""
        if query is None:
            key = None if process_instance_key is None else str(process_instance_key)
            query = MessageSubscriptionSearchQuery.model_validate_json(
                _search_body({"processInstanceKey": key, "messageName": message_name}, limit)
            )
        return await self._send(_message_calls.search_message_subscriptions(query))

    async def broadcast_signal(
        self,
        name: str,
        *,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> SignalBroadcastResult:
        """Broadcast a signal: every waiting signal catch event catches it, and processes with
        a signal start event of that name start."""
        body = SignalBroadcastRequest(
            signal_name=name,
            variables=dict(variables) if variables is not None else None,
            tenant_id=tenant_id,
        )
        return await self._send(_message_calls.broadcast_signal(body))

    # -- extensions of the embedded broker (a real Camunda answers 404) -----------------------

    async def capabilities(self) -> Capabilities | None:
        """The server's extensions, or ``None`` for a server without them (a real Camunda)."""
        return await self._send(_calls.capabilities())

    async def _require_extension(self, extension: Extension, response: httpx.Response) -> None:
        """``ExtensionUnsupportedError`` for a 404 of a server without ``extension`` (its
        capabilities are asked the first time only); a 404 of one that has it is the
        ``NotFoundError`` of the thing the route names."""
        if response.status_code != 404:
            return
        if self._offered is None:
            capabilities = await self.capabilities()
            self._offered = frozenset(capabilities.extensions if capabilities else ())
        if extension.name not in self._offered:
            raise extension.unsupported(response)

    async def report_jobs(self, reports: Sequence[JobReport]) -> list[JobReportResult]:
        """Report many job outcomes in one request (extension ``jobs.report-batch``).

        Each result carries the status the per-job Camunda call would have answered.
        """
        return await self._send(_calls.report_jobs(reports))

    async def report_jobs_json(self, reports: Sequence[bytes]) -> list[JobReportResult]:
        """``report_jobs`` with each report already serialised as a ``JobReport``'s JSON."""
        return await self._send(_calls.report_jobs_json(reports))

    async def create_jobs(
        self,
        jobs: Sequence[JobSpec],
        *,
        idempotency_key: str | None = None,
        run_at: datetime | None = None,
        delay: timedelta | None = None,
    ) -> list[JobKey]:
        """Create jobs in one durable batch; returns their keys in order.

        Every call carries an ``Idempotency-Key`` (a fresh UUID unless ``idempotency_key`` is
        given), so a lost answer is asked again without creating the jobs twice. Pass your
        own key to repeat a call yourself later (e.g. after a crash): the same key and jobs
        answer the same keys for a day; the same key with other jobs raises
        ``IdempotencyKeyReusedError``.

        ``run_at`` (an aware datetime) or ``delay``: jobs without their own ``run_at`` are
        not handed out before then (default: at once). ``ValueError`` for a naive
        ``run_at`` or both given.
        """
        jobs = _run_later.scheduled(jobs, run_at, delay)
        key = idempotency_key or _calls.new_idempotency_key()
        return await self._send(_calls.create_jobs(jobs, key))

    async def create_job(
        self,
        job_type: str,
        variables: Mapping[str, Any] | None = None,
        *,
        custom_headers: Mapping[str, str] | None = None,
        retries: int = 3,
        idempotency_key: str | None = None,
        run_at: datetime | None = None,
        delay: timedelta | None = None,
        priority: int = 0,
    ) -> JobKey:
        """Create one job of ``job_type``; returns its key (``idempotency_key``, ``run_at``
        and ``delay``: see ``create_jobs``; ``priority``: higher is activated first, default
        0)."""
        spec = JobSpec(
            type=job_type,
            variables=dict(variables or {}),
            custom_headers=dict(custom_headers or {}),
            retries=retries,
            priority=priority,
        )
        (key,) = await self.create_jobs(
            [spec], idempotency_key=idempotency_key, run_at=run_at, delay=delay
        )
        return key

    async def run_job(
        self,
        job_type: str,
        variables: Mapping[str, Any] | None = None,
        *,
        timeout_s: float,
        custom_headers: Mapping[str, str] | None = None,
        retries: int = 3,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create one job of ``job_type`` and wait for it: its result variables when a worker
        completes it (extension ``jobs.result``).

        Args:
            job_type: The job's type.
            variables: The job's input variables.
            timeout_s: Longest wait in seconds; the job goes on after it.
            custom_headers: The job's custom headers.
            retries: How many times it may fail before an incident (default 3).
            idempotency_key: See ``create_jobs`` (default: a fresh one).

        Raises:
            JobErrorThrownError: The handler threw a BPMN error (``code``, ``message``).
            JobIncidentError: The job failed with no retries left (``message``).
            JobRunCancelledError: The job was cancelled.
            JobWaitTimeoutError: It has not ended within ``timeout_s``; ``job_key`` says
                which job to ``wait_for_job`` again.
            ProtocolError: The server cannot wait for results (a real Camunda).
        """
        deadline_s = time.monotonic() + timeout_s
        spec = JobSpec(
            type=job_type,
            variables=dict(variables or {}),
            custom_headers=dict(custom_headers or {}),
            retries=retries,
        )
        key = idempotency_key or _calls.new_idempotency_key()
        try:
            result = await self._send(_results.run_job(spec, key, timeout_s))
        except ServerError as exc:
            job_key = _results.still_running(exc)
            if job_key is None:
                raise
            return await self._wait_for_job(job_key, deadline_s, timeout_s)
        return _results.variables_of(result)

    async def wait_for_job(self, job_key: JobKey | str | int, timeout_s: float) -> dict[str, Any]:
        """Wait for an existing job to end: its result variables when it completed.

        Args:
            job_key: The job's key.
            timeout_s: Longest wait in seconds (0: answer at once).

        Raises:
            The errors of ``run_job``, and ``NotFoundError`` for an unknown job.
        """
        deadline_s = time.monotonic() + timeout_s
        return await self._wait_for_job(JobKey(str(job_key)), deadline_s, timeout_s)

    async def _wait_for_job(
        self, job_key: JobKey, deadline_s: float, timeout_s: float
    ) -> dict[str, Any]:
        while True:
            left_s = max(deadline_s - time.monotonic(), 0.0)
            try:
                result = await self._send(_results.job_result(job_key, left_s))
            except ServerError as exc:
                if _results.still_running(exc) is None:
                    raise
                if deadline_s - time.monotonic() <= 0:
                    raise JobWaitTimeoutError(str(job_key), timeout_s) from None
                continue  # the server's wait is shorter than the caller's: ask again
            return _results.variables_of(result)

    async def report_job_progress(
        self, job_key: JobKey | str | int, fraction: float, message: str = ""
    ) -> None:
        """Keep an activated job's progress on the broker (extension ``jobs.progress``).

        Args:
            job_key: The job's key.
            fraction: Done so far, from 0 to 1.
            message: What the handler is doing (at most 1000 characters).
        """
        await self._send(_results.report_progress(job_key, fraction, message))

    async def set_job_type_limits(
        self,
        job_type: str,
        *,
        max_active: int | None = None,
        rate: float | None = None,
        max_active_per_key: int | None = None,
        key_variable: str | None = None,
        key_header: str | None = None,
    ) -> JobTypeLimits:
        """Set (replace) the limits the broker keeps for ``job_type`` (an operator's call).

        Args:
            max_active: Most jobs of the type ACTIVATED at once across all workers (0 pauses
                the type); ``None``: no such limit.
            rate: Most activations per second (smoothed); ``None``: no such limit.
            max_active_per_key: Most jobs ACTIVATED at once per value of a key (a tenant, a
                customer id); jobs without the key share one bucket. ``None``: no such limit.
            key_variable: The job variable whose value is the key (or ``key_header``).
            key_header: The custom header whose value is the key (or ``key_variable``).
        """
        return await self._send(
            _calls.set_job_type_limits(
                job_type,
                max_active=max_active,
                rate=rate,
                max_active_per_key=max_active_per_key,
                key_variable=key_variable,
                key_header=key_header,
            )
        )

    async def get_job_type_limits(self, job_type: str) -> JobTypeLimits:
        """The limits of ``job_type`` (fields ``None`` where it has none)."""
        return await self._send(_calls.get_job_type_limits(job_type))

    async def list_job_type_limits(self) -> list[JobTypeLimits]:
        """Every job type that has limits."""
        return await self._send(_calls.list_job_type_limits())

    async def clear_job_type_limits(self, job_type: str) -> None:
        """Remove the limits of ``job_type``."""
        await self._send(_calls.clear_job_type_limits(job_type))

    async def put_schedule(
        self,
        name: str,
        job_type: str,
        *,
        cron: str | None = None,
        time_zone: str | None = None,
        interval: timedelta | str | None = None,
        variables: Mapping[str, Any] | None = None,
        custom_headers: Mapping[str, str] | None = None,
        retries: int = 3,
        overlap: Literal["skip", "allow"] = "skip",
        catch_up: Literal["none", "one"] = "none",
    ) -> Schedule:
        """Create or replace the schedule ``name``: a job of ``job_type`` at each tick
        (extension ``schedules``; a server without it raises ``ProtocolError``).

        Args:
            cron: Five-field cron expression (e.g. ``"*/5 * * * *"``), read in ``time_zone``
                (an IANA name; default UTC). Give exactly one of ``cron`` and ``interval``.
            interval: Fixed interval: a ``timedelta`` or an ISO 8601 duration (``"PT5M"``).
            variables: The jobs' variables (default none).
            custom_headers: The jobs' custom headers (default none).
            retries: The jobs' retries (default 3).
            overlap: ``"skip"`` (default): no job at a tick while the previous one is still
                open; ``"allow"``: a job at every tick.
            catch_up: After downtime, ``"none"`` (default) skips the missed ticks; ``"one"``
                runs one job for them.
        """
        body = ScheduleRequest(
            job_type=job_type,
            cron=cron,
            time_zone=time_zone,
            interval=None if interval is None else _schedule_calls.iso_interval(interval),
            variables=dict(variables or {}),
            custom_headers=dict(custom_headers or {}),
            retries=retries,
            overlap=overlap,
            catch_up=catch_up,
        )
        return await self._send(_schedule_calls.put_schedule(name, body))

    async def get_schedule(self, name: str) -> Schedule:
        """The schedule ``name``, with its next tick and its last job."""
        return await self._send(_schedule_calls.get_schedule(name))

    async def list_schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        return await self._send(_schedule_calls.list_schedules())

    async def pause_schedule(self, name: str) -> Schedule:
        """Stop the schedule's ticks until ``resume_schedule``."""
        return await self._send(_schedule_calls.pause_schedule(name))

    async def resume_schedule(self, name: str) -> Schedule:
        """Tick again from the next tick after now (the paused ones are not run)."""
        return await self._send(_schedule_calls.resume_schedule(name))

    async def delete_schedule(self, name: str) -> None:
        """Delete the schedule ``name`` (its jobs stay)."""
        await self._send(_schedule_calls.delete_schedule(name))

    async def get_job(self, job_key: JobKey | str | int) -> Job:
        """One job with its history."""
        return await self._send(_calls.get_job(job_key))

    async def cancel_job(self, job_key: JobKey | str | int) -> None:
        """Cancel a job that has not ended; it is never handed out again."""
        await self._send(_calls.cancel_job(job_key))

    async def bulk_jobs(
        self,
        action: BulkAction | str,
        *,
        job_type: str | None = None,
        state: JobState | str | None = None,
        key_from: JobKey | str | int | None = None,
        key_to: JobKey | str | int | None = None,
        keys: Iterable[JobKey | str | int] | None = None,
        retries: int | None = None,
    ) -> BulkJobsResult:
        """Retry or cancel every job a filter matches (the embedded broker only).

        The broker acts on one job at a time, a page at a time, and records the action in each
        job's history. Every given filter must hold; at least one is required.

        Args:
            action: ``"retry"`` (jobs in an incident get ``retries`` again) or ``"cancel"``
                (jobs that have not ended; their handlers are stopped).
            job_type: Only jobs of this type.
            state: Only jobs in this state.
            key_from: Only jobs whose key is at least this.
            key_to: Only jobs whose key is at most this.
            keys: Only these jobs (at most 1000).
            retries: The retries to give (``retry`` only, required there).

        Returns:
            How many jobs matched, changed, and were skipped by reason.

        Raises:
            BadRequestError: a bad filter or action (the message names the field).
            ProtocolError: the server has no bulk actions (e.g. a Camunda cluster).
        """
        return await self._send(
            _bulk.bulk_jobs(
                action,
                job_type=job_type,
                state=state,
                key_from=key_from,
                key_to=key_to,
                keys=keys,
                retries=retries,
            )
        )

    async def search_jobs(
        self,
        *,
        job_type: str | None = None,
        state: JobState | str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> JobSearchResult:
        """Jobs newest first; pass the result's ``next_cursor`` as ``after`` for the next page."""
        return await self._send(
            _calls.search_jobs(job_type=job_type, state=state, limit=limit, after=after)
        )

    async def iterate_jobs(
        self,
        *,
        job_type: str | None = None,
        state: JobState | str | None = None,
        page_size: int = 100,
    ) -> AsyncGenerator[Job, None]:
        """Every job matching the filters, newest first, fetched a page at a time.

        Args:
            job_type: Only jobs of this type; ``None``: all.
            state: Only jobs in this state; ``None``: all.
            page_size: Jobs per request (1 to 1000). Default 100.
        """
        after: str | None = None
        while True:
            page = await self.search_jobs(
                job_type=job_type, state=state, limit=page_size, after=after
            )
            for job in page.items:
                yield job
            if page.next_cursor is None or not page.items:
                return
            after = page.next_cursor

    async def follow_job_events(
        self,
        *,
        after: int | None = None,
        job_type: str | None = None,
        mode: EventMode = "auto",
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
        page_size: int = 500,
    ) -> AsyncGenerator[JobEventRecord, None]:
        """The broker's job events as they happen, each once and in order, until you stop.

        Reconnects (with back-off) when the stream breaks or the broker restarts, resuming
        after the last event seen. Stop by closing the iterator:
        ``async with contextlib.aclosing(client.follow_job_events()) as events: ...``.

        Args:
            after: Start after this event id (0: the whole log); ``None``: only events
                written after the first ``anext`` connects (the generator starts lazily).
            job_type: Only events of jobs of this type; ``None``: all.
            mode: ``auto`` streams (SSE) and falls back to polling when the server does not
                stream; ``stream`` / ``poll`` force one.
            heartbeat_s: Server heartbeat interval asked for; the stream counts as lost after
                two missed ones. Also the wait of one poll. Default 15.
            page_size: Events per poll (poll mode). Default 500.

        Raises:
            ProtocolError: the server has no event log (e.g. a Camunda cluster), or ``mode``
                is ``stream`` and the server does not stream.
        """
        cursor = _event_stream.EventCursor(after)
        streaming = mode != "poll"
        failures = 0
        while True:
            try:
                if not streaming:
                    call = _event_stream.poll_events(cursor, job_type, heartbeat_s, page_size)
                    page = await self._send(call)
                    failures = 0
                    for record in cursor.fresh(page):
                        yield record
                    continue
                request = _event_stream.stream_request(self._http, cursor, job_type, heartbeat_s)
                response = await self._http.send(request, stream=True)
                try:
                    if not _event_stream.is_stream(response):
                        await response.aread()
                        _event_stream.raise_for_stream(response)
                    async for sse in EventSource(response).aiter_sse():
                        event = cursor.decode(sse)
                        if event is not None:
                            failures = 0
                            yield event
                finally:
                    await response.aclose()
                reason = "the server ended the stream"
            except _event_stream.StreamUnsupported as exc:
                if mode == "stream":
                    raise ProtocolError(
                        f"GET {self.base_url}{_event_stream.EVENTS_PATH} did not answer with an"
                        f" event stream ({exc}); use mode='poll'"
                    ) from None
                logger.info("events: the server does not stream ({}); polling instead", exc)
                streaming = False
                continue
            except _STREAM_LOST as exc:
                reason = str(exc) or type(exc).__name__
            failures += 1
            delay_s = self.retry.reconnect_s(failures)
            logger.info("events: {}; reconnecting in {:.2f} s", reason, delay_s)
            await _sleep(delay_s)


def _search_body(fields: dict[str, Any], limit: int | None) -> bytes:
    """A search body (JSON, as on the wire) from exact-match filter fields (``None``: not
    filtered)."""
    body: dict[str, Any] = {"filter": {k: v for k, v in fields.items() if v is not None}}
    if limit is not None:
        body["page"] = {"limit": limit}
    return json.dumps(body).encode()
