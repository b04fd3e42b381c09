"""Schedules: jobs the broker creates on a cron expression or an interval (``/v2/ext/schedules``).

A schedule row holds its definition and its next tick (``next_run_at``). The ticker
(``Schedules.run``, owned by the broker's task group) sleeps until the soonest tick and is woken
when a schedule changes or the clock is pinned. A tick is exactly one job across restarts and
PostgreSQL replicas because the job is created through the store's idempotent creation, keyed by
the schedule's identity and the tick's time: two replicas ticking together, or a broker that
crashed between creating the job and moving the row on, create the job once and answer the
same key. The row is then moved on with a compare-and-set on the tick it read.

The rules are the same for both backends (plain statements with ``?`` marks); each backend
only creates the table (``sqlite/_schedules.py``, ``postgres/_schedules.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
from croniter import croniter
from loguru import logger

from ...bpmn import TimerValueError, parse_duration
from ...models import (
    SCHEDULE_NAME_PATTERN,
    JobCreationRequest,
    JobSpec,
    JobState,
    Schedule,
    ScheduleRequest,
)
from .._problems import BrokerError, InvalidRequest, JobNotFound, NotFound
from ._idempotency import IdempotencyKeyReused
from ._instances import iso

if TYPE_CHECKING:
    from ._face import JobStore

MISSED_AFTER_MS = 60_000
"""A tick not run within this long of its time was missed (the broker was down): the
catch-up policy decides whether it still runs."""
IDLE_MS = 60_000
"""Longest sleep of the ticker with no schedule due (a change wakes it at once)."""
SHARED_MS = 1_000
"""On a shared database: longest sleep, since another replica may add a schedule."""
RETRY_MS = 1_000
BATCH = 100
MAX_NAME_LENGTH = 255
_NAME = re.compile(SCHEDULE_NAME_PATTERN)
OPEN_STATES = frozenset({JobState.ACTIVATABLE, JobState.ACTIVATED})
"""A job in these states is still open: created, running, or failed with retries left."""

_COLUMNS = (
    "name, job_type, cron, time_zone, interval, interval_ms, variables, custom_headers,"
    " retries, overlap, catch_up, paused, next_run_at, last_run_at, last_job_key, created_at,"
    " updated_at"
)
SELECT_ALL = f"SELECT {_COLUMNS} FROM schedules ORDER BY name"
SELECT_ONE = f"SELECT {_COLUMNS} FROM schedules WHERE name = ?"
DUE = (
    f"SELECT {_COLUMNS} FROM schedules WHERE paused = 0 AND next_run_at <= ?"
    " ORDER BY next_run_at, name LIMIT ?"
)
NEXT = "SELECT MIN(next_run_at) AS due FROM schedules WHERE paused = 0"
INSERT = (
    f"INSERT INTO schedules ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (name) DO NOTHING"
)
UPDATE = (
    "UPDATE schedules SET job_type = ?, cron = ?, time_zone = ?, interval = ?, interval_ms = ?,"
    " variables = ?, custom_headers = ?, retries = ?, overlap = ?, catch_up = ?,"
    " next_run_at = ?, updated_at = ? WHERE name = ?"
)
PAUSE = "UPDATE schedules SET paused = ?, next_run_at = ?, updated_at = ? WHERE name = ?"
DELETE = "DELETE FROM schedules WHERE name = ?"
TICKED = (
    "UPDATE schedules SET next_run_at = ?, last_run_at = coalesce(?, last_run_at),"
    " last_job_key = coalesce(?, last_job_key) WHERE name = ? AND next_run_at = ?"
    " AND created_at = ?"
)
"""Move a schedule past the tick it read (compare-and-set: a replica that moved it first wins;
a schedule deleted and made again meanwhile is another schedule)."""


# -- the timing rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a schedule ticks: a cron expression in a time zone, or a fixed interval counted
    from ``anchor`` (the schedule's creation)."""

    cron: str | None
    zone: str | None
    interval_ms: int | None

    def next_after(self, at: int, anchor: int) -> int:
        """The first tick strictly after ``at`` (epoch ms)."""
        if self.interval_ms is not None:
            passed = max(at - anchor, -1) // self.interval_ms + 1
            return anchor + max(passed, 0) * self.interval_ms
        moment = datetime.fromtimestamp(at / 1000, tz=ZoneInfo(self.zone or "UTC"))
        following: datetime = croniter(self.cron, moment).get_next(datetime)
        return int(following.timestamp() * 1000)

    def latest_at_or_before(self, at: int, anchor: int, first: int) -> int:
        """The last tick at or before ``at``, given that ``first`` (<= ``at``) is one."""
        if self.interval_ms is not None:
            return anchor + max(at - anchor, 0) // self.interval_ms * self.interval_ms
        moment = datetime.fromtimestamp((at + 1) / 1000, tz=ZoneInfo(self.zone or "UTC"))
        previous: datetime = croniter(self.cron, moment).get_prev(datetime)
        return max(first, int(previous.timestamp() * 1000))


def timing_of(body: ScheduleRequest) -> Timing:
    """The timing ``body`` asks for, or a 400 naming the field that is wrong."""
    if (body.cron is None) == (body.interval is None):
        raise InvalidRequest("cron, interval: give exactly one of cron and interval")
    if body.interval is not None:
        if body.time_zone is not None:
            raise InvalidRequest("timeZone: only a cron schedule has a time zone")
        return Timing(None, None, interval_ms(body.interval))
    zone = body.time_zone or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"timeZone: {zone!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)"
        ) from None
    assert body.cron is not None
    fields = body.cron.split()
    if len(fields) != 5 or not croniter.is_valid(body.cron):
        raise InvalidRequest(
            f"cron: {body.cron!r} is not a cron expression of five fields (minute hour"
            " day-of-month month day-of-week, e.g. '*/5 * * * *')"
        )
    return Timing(" ".join(fields), zone, None)


def interval_ms(text: str) -> int:
    """An ISO 8601 duration of fixed length in ms, or a 400 saying what it must be."""
    try:
        duration = parse_duration(text)
    except TimerValueError:
        duration = None
    if duration is None or duration.months:
        raise InvalidRequest(
            f"interval: {text!r} is not an ISO 8601 duration of fixed length (e.g. PT30S, PT5M,"
            " P1D; no years or months)"
        )
    length = int(duration.days * 86_400_000 + duration.seconds * 1000)
    if length < 1000:
        raise InvalidRequest(f"interval: {text!r} is shorter than one second")
    return length


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidRequest(
            f"name: a schedule name is 1 to {MAX_NAME_LENGTH} letters, digits and '_.:-', not"
            " starting with a dot"
        )
    return name


def _timing_of_row(row: dict[str, Any]) -> Timing:
    interval = row["interval_ms"]
    return Timing(row["cron"], row["time_zone"], None if interval is None else int(interval))


def schedule_of(row: dict[str, Any]) -> Schedule:
    last_job = row["last_job_key"]
    return Schedule(
        name=row["name"],
        job_type=row["job_type"],
        cron=row["cron"],
        time_zone=row["time_zone"],
        interval=row["interval"],
        variables=json.loads(row["variables"]),
        custom_headers=json.loads(row["custom_headers"]),
        retries=int(row["retries"]),
        overlap=row["overlap"],
        catch_up=row["catch_up"],
        paused=bool(row["paused"]),
        next_run_at=row["next_run_at"],
        last_run_at=row["last_run_at"],
        last_job_key=None if last_job is None else str(last_job),
        created_at=int(row["created_at"]),
        updated_at=int(row["updated_at"]),
    )


@dataclass(frozen=True)
class Tick:
    """What one look at a due schedule decided: the tick to run (``None``: none runs) and the
    schedule's next tick."""

    run: int | None
    next_run_at: int


def decide(row: dict[str, Any], now: int) -> Tick:
    """The tick a due schedule runs now, by its catch-up policy: the latest tick due runs when
    it is on time (less than ``MISSED_AFTER_MS`` late); a missed one runs (once for all
    missed) only with catch-up ``one``."""
    timing = _timing_of_row(row)
    anchor = int(row["created_at"])
    latest = timing.latest_at_or_before(now, anchor, int(row["next_run_at"]))
    on_time = now - latest < MISSED_AFTER_MS
    run = latest if on_time or row["catch_up"] == "one" else None
    return Tick(run, timing.next_after(now, anchor))


# -- the store's face ------------------------------------------------------------------------


class Schedules:
    """The schedules' face of the store (``JobStore.schedules``) and their ticker."""

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._wake = anyio.Event()

    def wake(self) -> None:
        """Look at the schedules now (one changed, or the clock was pinned)."""
        self._wake.set()

    async def all(self) -> list[Schedule]:
        return [schedule_of(r) for r in await self._store._backend.query(SELECT_ALL)]

    async def _row(self, name: str) -> dict[str, Any]:
        rows = await self._store._backend.query(SELECT_ONE, (check_name(name),))
        if not rows:
            raise NotFound(f"Schedule '{name}' not found")
        return rows[0]

    async def get(self, name: str) -> Schedule:
        return schedule_of(await self._row(name))

    async def put(self, name: str, body: ScheduleRequest) -> Schedule:
        """Create or replace the schedule ``name``. Its next tick is kept when its timing is
        unchanged (a worker upserting the same schedule at each start moves nothing)."""
        check_name(name)
        timing = timing_of(body)
        now = self._store.now()
        rows = await self._store._backend.query(SELECT_ONE, (name,))
        definition: tuple[Any, ...] = (
            body.job_type,
            timing.cron,
            timing.zone,
            body.interval,
            timing.interval_ms,
            json.dumps(body.variables),
            json.dumps(body.custom_headers),
            body.retries,
            body.overlap,
            body.catch_up,
        )
        if rows:
            row = rows[0]
            next_run_at = row["next_run_at"]
            if not row["paused"] and (
                _timing_of_row(row) != timing or row["interval"] != body.interval
            ):
                next_run_at = timing.next_after(now, int(row["created_at"]))
            statement: tuple[str, tuple[Any, ...]] = (UPDATE, (*definition, next_run_at, now, name))
        else:
            first = timing.next_after(now, now)
            statement = (INSERT, (name, *definition, 0, first, None, None, now, now))
        await self._store._backend.execute([statement])
        self.wake()
        return await self.get(name)

    async def pause(self, name: str) -> Schedule:
        """No tick runs until ``resume``."""
        await self._row(name)
        await self._store._backend.execute([(PAUSE, (1, None, self._store.now(), name))])
        return await self.get(name)

    async def resume(self, name: str) -> Schedule:
        """Tick again from the next tick after now (the ticks of the pause are not run)."""
        row = await self._row(name)
        now = self._store.now()
        next_run_at = row["next_run_at"]
        if row["paused"]:
            next_run_at = _timing_of_row(row).next_after(now, int(row["created_at"]))
        await self._store._backend.execute([(PAUSE, (0, next_run_at, now, name))])
        self.wake()
        return await self.get(name)

    async def delete(self, name: str) -> None:
        await self._row(name)
        await self._store._backend.execute([(DELETE, (name,))])

    # -- the ticker ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Until cancelled: create each due schedule's job, then sleep until the next tick
        (woken by a change or a pinned clock)."""
        store = self._store
        shared = store._backend.shared
        while not store.closing:
            wake = self._wake
            try:
                if shared:  # another replica may have pinned the clock
                    await store.load_clock()
                next_due = await self.fire_due()
            except BrokerError as exc:  # the database is away: look again soon
                logger.warning("broker: schedules not run ({}); trying again", exc.detail)
                next_due = store.now() + RETRY_MS
            wait_ms = IDLE_MS if next_due is None else max(next_due - store.now(), 0)
            if shared:
                wait_ms = min(wait_ms, SHARED_MS)
            if wait_ms > 0:
                with anyio.move_on_after(wait_ms / 1000):
                    await wake.wait()
            if wake is self._wake:
                self._wake = anyio.Event()

    async def fire_due(self) -> int | None:
        """Run every due schedule's tick (each: at most one job, exactly once); when the next
        one is due."""
        backend = self._store._backend
        while True:
            now = self._store.now()
            rows = await backend.query(DUE, (now, BATCH))
            for row in rows:
                await self._tick(row, now)
            if len(rows) < BATCH:
                found = await backend.query(NEXT)
                return None if not found or found[0]["due"] is None else int(found[0]["due"])

    async def _tick(self, row: dict[str, Any], now: int) -> None:
        tick = decide(row, now)
        name = row["name"]
        job_key: int | None = None
        ran: int | None = None
        if tick.run is not None and not await self._previous_open(row):
            job_key = await self._create(row, tick.run)
            ran = tick.run
            logger.info("broker: schedule {} ran its tick of {} (job {})", name, iso(ran), job_key)
        elif tick.run is None:
            logger.info("broker: schedule {} skipped missed ticks (catch-up none)", name)
        else:
            logger.info("broker: schedule {} skipped a tick: its previous job is open", name)
        await self._store._backend.execute(
            [
                (
                    TICKED,
                    (
                        tick.next_run_at,
                        ran,
                        job_key,
                        name,
                        row["next_run_at"],
                        row["created_at"],
                    ),
                )
            ]
        )

    async def _previous_open(self, row: dict[str, Any]) -> bool:
        if row["overlap"] != "skip" or row["last_job_key"] is None:
            return False
        try:
            job = await self._store.get(int(row["last_job_key"]))
        except (JobNotFound, NotFound):  # gone, so not open
            return False
        return job.state in OPEN_STATES

    async def _create(self, row: dict[str, Any], tick: int) -> int | None:
        """The tick's job, created once whoever asks (see the module docstring)."""
        spec = JobSpec(
            type=row["job_type"],
            variables=json.loads(row["variables"]),
            custom_headers=json.loads(row["custom_headers"]),
            retries=int(row["retries"]),
        )
        try:
            keys, _ = await self._store.create_once(
                JobCreationRequest(jobs=[spec]),
                scope=f"schedule:{row['name']}",
                key=f"{row['created_at']}:{tick}",
            )
        except IdempotencyKeyReused:  # created already, before the schedule was changed
            return None
        return int(keys[0])
