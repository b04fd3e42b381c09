"""Lease extension: while a handler runs, keep its job from being handed to another worker.

Once ``at_fraction`` of the lease has passed, the job's timeout is set again from now
(``PATCH /v2/jobs/{jobKey}``) and the handler's local deadline moves with it. A 404/409
answer means the job is no longer ours (cancelled, or timed out and handed on): the handler is
stopped and nothing is reported. A passing fault is retried with back-off until the lease
runs out, at which point the handler is stopped as if extension were off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from .._logging import Log
from ..client import AsyncClient
from ..errors import ApiError, ConfigurationError, ConflictError, NotFoundError, SdkError
from ..models import ActivatedJob
from ._backoff import Backoff

DEFAULT_AT_FRACTION = 0.5


@dataclass(frozen=True)
class LeaseExtension:
    """How a running job's lease is extended.

    Attributes:
        enabled: Extend leases at all (default ``True``). Off: a handler still running when
            its lease ends is stopped and the server hands the job out again.
        at_fraction: Extend once this fraction of the lease has passed (default 0.5), each
            time by the task's full ``timeout_ms``.
        max_run_time_ms: Stop a handler that has run this long even though its lease keeps
            being extended, and fail the job (retries - 1) saying so. ``None`` (default): no
            bound while the worker can extend; set it to catch handlers that hang.
    """

    enabled: bool = True
    at_fraction: float = DEFAULT_AT_FRACTION
    max_run_time_ms: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.at_fraction < 1:
            raise ConfigurationError(
                f"LeaseExtension.at_fraction must be between 0 and 1, not {self.at_fraction}"
            )
        if self.max_run_time_ms is not None and self.max_run_time_ms < 1:
            raise ConfigurationError("LeaseExtension.max_run_time_ms must be >= 1 or None")

    @classmethod
    def of(cls, value: LeaseExtension | bool) -> LeaseExtension:
        """``True``/``False`` as shorthands for the default policy and for no extension."""
        if isinstance(value, LeaseExtension):
            return value
        return cls(enabled=bool(value))


class LeaseKeeper:
    """Extends one job's lease while its handler runs inside ``scope``.

    ``scope``'s deadline is the handler's local deadline; every successful extension moves
    it. ``lost`` tells, after ``scope`` ended, whether the server took the job away.
    """

    def __init__(
        self,
        client: AsyncClient,
        job: ActivatedJob,
        timeout_ms: int,
        policy: LeaseExtension,
        log: Log,
        on_extended: Callable[[], None],
    ) -> None:
        self._client = client
        self._job = job
        self._lease_s = timeout_ms / 1000
        self._timeout_ms = timeout_ms
        self._policy = policy
        self._log = log
        self._on_extended = on_extended
        self.lost = False
        self.deadline_ms = job.deadline
        """The server's deadline as far as we know (epoch ms), for the report's retries."""

    async def keep(self, scope: anyio.CancelScope) -> None:
        """Run until cancelled (the handler ended) or the job is lost (``scope`` cancelled)."""
        backoff = Backoff(base_s=0.05, cap_s=max(self._lease_s / 8, 0.05))
        while True:
            lease_started = scope.deadline - self._lease_s
            await anyio.sleep_until(lease_started + self._lease_s * self._policy.at_fraction)
            sent_at, sent_at_ms = anyio.current_time(), int(time.time() * 1000)
            try:
                await self._client.update_job(self._job.job_key, timeout_ms=self._timeout_ms)
            except (NotFoundError, ConflictError) as exc:
                self.lost = True
                self._log.warning(
                    "job {} is no longer ours ({}); stopping its handler, nothing is reported",
                    self._job.job_key,
                    exc.detail or exc.title,
                )
                scope.cancel()
                return
            except ApiError as exc:
                if exc.status < 500 and exc.status != 429:
                    self._log.error(
                        "job {}: the server refused to extend its lease ({}); it runs on until"
                        " the lease ends",
                        self._job.job_key,
                        exc,
                    )
                    return
                await self._retry_later(backoff, exc)
                continue
            except SdkError as exc:
                await self._retry_later(backoff, exc)
                continue
            except Exception as exc:  # a bug must not take the running job down with it
                self._log.exception(
                    "job {}: lease extension failed ({}); it runs on until the lease ends",
                    self._job.job_key,
                    exc,
                )
                return
            backoff.reset()
            scope.deadline = sent_at + self._lease_s
            self.deadline_ms = sent_at_ms + self._timeout_ms
            self._on_extended()
            self._log.debug("job {}: lease extended by {} ms", self._job.job_key, self._timeout_ms)

    async def _retry_later(self, backoff: Backoff, exc: SdkError) -> None:
        if not backoff.failing:
            self._log.warning(
                "job {}: could not extend its lease ({}); retrying", self._job.job_key, exc
            )
        await anyio.sleep(backoff.next_delay_s())
