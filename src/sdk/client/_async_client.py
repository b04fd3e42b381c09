"""``AsyncClient``: the Camunda v2 job API (and the broker's extensions) over httpx."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ..models import (
    ActivatedJob,
    Capabilities,
    Job,
    JobKey,
    JobSearchResult,
    JobSpec,
    JobState,
    TopologyResponse,
)
from . import _calls
from ._auth import auth_for
from ._settings import Settings

T = TypeVar("T")

_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=30)


class AsyncClient:
    """An async client of a Camunda 8 cluster or of the embedded broker.

    Args:
        settings: Connection settings; default: ``Settings.load(configuration)``.
        configuration: Explicit settings by variable name, e.g. ``{"CAMUNDA_REST_ADDRESS": ...}``;
            they win over the environment and ``.env``.
        transport: An httpx transport, e.g. ``httpx.ASGITransport(app)`` to talk to an
            in-process broker without sockets.

    Use it as ``async with AsyncClient() as client: ...``; nothing is opened before that.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        configuration: Mapping[str, Any] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or Settings.load(configuration)
        self._http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            auth=auth_for(self.settings),
            timeout=httpx.Timeout(self.settings.http_timeout_s),
            limits=_LIMITS,
            transport=transport,
            headers={"accept": "application/json"},
        )

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
        request = _calls.build_request(self._http, call)
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            raise _calls.connection_error(call, self.base_url, exc) from exc
        return _calls.read_response(call, response)

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
    ) -> None:
        """Change a job's retries and/or extend its lease to ``timeout_ms`` from now."""
        await self._send(_calls.update_job(job_key, retries=retries, timeout_ms=timeout_ms))

    async def topology(self) -> TopologyResponse:
        """The cluster topology; also a cheap "is the server there" check."""
        return await self._send(_calls.topology())

    # -- extensions of the embedded broker (a real Camunda answers 404) -----------------------

    async def capabilities(self) -> Capabilities | None:
        """The server's extensions, or ``None`` for a server without them (a real Camunda)."""
        return await self._send(_calls.capabilities())

    async def create_jobs(self, jobs: Sequence[JobSpec]) -> list[JobKey]:
        """Create jobs in one durable batch; returns their keys in order."""
        return await self._send(_calls.create_jobs(jobs))

    async def create_job(
        self,
        job_type: str,
        variables: Mapping[str, Any] | None = None,
        *,
        custom_headers: Mapping[str, str] | None = None,
        retries: int = 3,
    ) -> JobKey:
        """Create one job of ``job_type``; returns its key."""
        spec = JobSpec(
            type=job_type,
            variables=dict(variables or {}),
            custom_headers=dict(custom_headers or {}),
            retries=retries,
        )
        (key,) = await self.create_jobs([spec])
        return key

    async def get_job(self, job_key: JobKey | str | int) -> Job:
        """One job with its history."""
        return await self._send(_calls.get_job(job_key))

    async def cancel_job(self, job_key: JobKey | str | int) -> None:
        """Cancel a job that has not ended; it is never handed out again."""
        await self._send(_calls.cancel_job(job_key))

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
