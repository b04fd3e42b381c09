"""The process instances' face of the store: what the routes call (``JobStore.processes``).

Commands (create, cancel, resolve an incident) find the definition's engine, then run in one
transaction of the backend (``_instances.py``); reads come from the projections. Searches
filter, sort and page in memory, with Camunda's operators (``_query.py``), over the rows their
common filters select in SQL (``_prefilter.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from loguru import logger

from ...models import (
    DEFAULT_TENANT,
    CreateProcessInstanceResult,
    ElementInstanceResult,
    IncidentResult,
    ProcessElementStatisticsResult,
    ProcessInstanceCreationInstruction,
    ProcessInstanceResult,
    ProcessInstanceSequenceFlowResult,
    VariableResult,
)
from .._problems import BrokerError, InvalidRequest, NotFound
from ..engine import (
    CancelInstance,
    Command,
    CreateInstance,
    Definition,
    Engine,
    InstanceState,
    Rejected,
    ResolveIncident,
    TriggerTimer,
)
from . import _instances, _prefilter
from ._instances import NeedDefinition, NewInstance, Persisted

if TYPE_CHECKING:
    from ._face import JobStore

T = TypeVar("T")
TIMER_BATCH = 100
TIMER_IDLE_MS = 60_000
"""Longest sleep of the timer loop with no timer (a new one wakes it at once)."""
TIMER_SHARED_MS = 1_000
"""On a shared database: longest sleep, since another replica may schedule a timer."""
TIMER_RETRY_MS = 1_000


class DeadlineExceeded(BrokerError):
    """An ``awaitCompletion`` creation whose instance did not end in time (it keeps running)."""

    status = 504
    title = "DEADLINE_EXCEEDED"


class Processes:
    """Process instances, their elements, variables and incidents, on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._timers_wake = anyio.Event()

    @property
    def _backend(self) -> Any:
        return self._store._backend

    # -- engines ----------------------------------------------------------------------------

    async def engine(self, definition_key: int) -> Engine:
        engines = self._backend.engines
        if definition_key in engines:
            return engines.get(definition_key)  # type: ignore[no-any-return]
        model = await self._store.definition_model(definition_key)
        definition = Definition(model.process, model.record.key, model.record.version)
        return engines.put(definition)  # type: ignore[no-any-return]

    async def loading(self, call: Callable[[], Any]) -> Any:
        """Run ``call()``, loading a definition it needs first (``NeedDefinition``)."""
        for _ in range(8):
            try:
                return await call()
            except NeedDefinition as need:
                await self.engine(need.definition_key)
        return await call()

    def woke(self) -> None:
        """Wake the long polls of job types instance steps just gave new jobs."""
        engines = self._backend.engines
        for job_type in engines.drain_woken():
            self._store.notifier.notify(job_type)
        if engines.timers_scheduled:
            engines.timers_scheduled = False
            self._timers_wake.set()

    # -- timers ---------------------------------------------------------------------------------

    def wake_timers(self) -> None:
        """Look at the timers now (the clock was pinned: some may be due)."""
        self._timers_wake.set()

    async def run_timers(self) -> None:
        """Until cancelled: fire each due timer in one transaction with its instance's step.

        Timers live in the store, so a restart neither loses one (a timer due while the broker
        was down fires at start) nor fires one twice (firing deletes it in the same
        transaction). On PostgreSQL replicas may look at the same due timer: the instance row
        is locked, and the second finds the timer gone from the instance's state.
        """
        while not self._store.closing:
            try:
                if self._backend.shared:  # another replica may have pinned the clock
                    await self._store.load_clock()
                    await self._store.messages.current()  # or deployed: steps start by it
                next_due = await self._fire_due()
                next_start = await self._store.start_timers.fire_due()
                if next_start is not None and (next_due is None or next_start < next_due):
                    next_due = next_start
            except BrokerError as exc:  # the database is away: look again soon
                logger.warning("broker: timers not fired ({}); trying again", exc.detail)
                next_due = self._store.now() + TIMER_RETRY_MS
            now = self._store.now()
            wait_ms = TIMER_IDLE_MS if next_due is None else max(next_due - now, 0)
            if self._backend.shared:
                wait_ms = min(wait_ms, TIMER_SHARED_MS)  # another replica may schedule one
            if wait_ms > 0:
                with anyio.move_on_after(wait_ms / 1000):
                    await self._timers_wake.wait()
            self._timers_wake = anyio.Event()

    async def _fire_due(self) -> int | None:
        while True:
            due, next_due = await self._backend.due_timers(self._store.now(), TIMER_BATCH)
            for timer_key, instance_key in due:
                try:
                    await self._advance(instance_key, TriggerTimer(timer_key))
                except (Rejected, NotFound):  # fired by another replica, or left behind
                    await self._backend.drop_timer(timer_key)
            if len(due) < TIMER_BATCH:
                return next_due  # type: ignore[no-any-return]

    async def _advance(self, key: int, command: Command) -> tuple[InstanceState, Persisted]:
        definition = await self._backend.instance_definition(key)
        if definition is None:
            raise NotFound(f"Process instance with key '{key}' not found")
        await self.engine(definition)
        try:
            result = await self.loading(
                lambda: self._backend.advance_instance(key, command, self._store.now())
            )
        finally:
            self.woke()
        return result  # type: ignore[no-any-return]

    # -- commands -----------------------------------------------------------------------------

    async def _definition_key(self, body: ProcessInstanceCreationInstruction, tenant: str) -> int:
        if body.process_definition_key is not None:
            return int(body.process_definition_key)
        process_id = body.process_definition_id
        version = body.process_definition_version
        named = version is not None and version >= 0
        # one indexed row, however many versions were deployed
        if named:
            at_version = (process_id, tenant, version)
            found = await self._backend.query(_instances.DEFINITION_VERSION, at_version)
        else:
            found = await self._backend.query(_instances.LATEST_DEFINITION, (process_id, tenant))
        if not found:
            at = f" and version '{version}'" if named else ""
            raise NotFound(
                f"Expected to find process definition with process ID '{process_id}'{at},"
                " but none found"
            )
        return int(found[0]["key"])

    async def create(self, body: ProcessInstanceCreationInstruction) -> CreateProcessInstanceResult:
        tenant = body.tenant_id or DEFAULT_TENANT
        definition_key = await self._definition_key(body, tenant)
        engine = await self.engine(definition_key)
        command = CreateInstance(
            dict(body.variables or {}),
            tuple(i.element_id for i in body.start_instructions or ()),
        )
        new = NewInstance(tenant, tuple(body.tags or ()), body.business_id)
        changed = self._store.changed_event()
        try:
            state, _ = await self.loading(
                lambda: self._backend.create_instance(engine, command, new, self._store.now())
            )
        except Rejected as exc:
            raise InvalidRequest(str(exc)) from None
        finally:
            self.woke()
        result = {
            "processInstanceKey": str(state.key),
            "processDefinitionKey": str(state.process_definition_key),
            "processDefinitionId": state.bpmn_process_id,
            "processDefinitionVersion": state.version,
            "tenantId": tenant,
            "tags": list(body.tags or ()),
            "businessId": body.business_id,
        }
        if body.await_completion:
            timeout_ms = body.request_timeout or 0
            variables = await self._completion(state.key, changed, timeout_ms or 10_000)
            if body.fetch_variables:
                wanted = set(body.fetch_variables)
                variables = {k: v for k, v in variables.items() if k in wanted}
            result["variables"] = variables
        return CreateProcessInstanceResult.model_validate(result)

    async def _completion(self, key: int, changed: anyio.Event, timeout_ms: int) -> dict[str, Any]:
        """The variables of the instance once it has completed; woken by each commit (the
        store's change signal, other replicas' included), never by a polling loop."""
        real = self._store.clock.base  # the request's wait, even when the clock is pinned
        give_up_at = real() + timeout_ms
        while True:
            rows = await self._backend.instance_rows("instance", key, None)
            row = rows.rows[0]
            if row["state"] != "ACTIVE":
                return await self._root_variables(key)
            left = give_up_at - real()
            if left <= 0 or self._store.closing:
                raise DeadlineExceeded(
                    f"Expected to complete process instance '{key}' within {timeout_ms} ms,"
                    " but it is not completed yet; it keeps running"
                )
            with anyio.move_on_after(left / 1000):
                await changed.wait()
            changed = self._store.changed_event()

    async def _root_variables(self, key: int) -> dict[str, Any]:
        rows = await self._backend.instance_rows("variable", None, key)
        return {r["name"]: json.loads(r["value"]) for r in rows.rows if int(r["scope_key"]) == key}

    async def cancel(self, key: int) -> None:
        try:
            await self._advance(key, CancelInstance())
        except Rejected:
            raise NotFound(
                f"Expected to cancel a process instance with key '{key}', but no such process"
                " was found"
            ) from None

    async def resolve_incident(self, key: int) -> None:
        incident = await self.incident(key)
        if incident.state != "ACTIVE":
            raise NotFound(
                f"Expected to resolve incident with key '{key}', but no such incident was found"
            )
        try:
            await self._advance(int(incident.process_instance_key), ResolveIncident(key))
        except Rejected:
            raise NotFound(
                f"Expected to resolve incident with key '{key}', but no such incident was found"
            ) from None

    # -- reads --------------------------------------------------------------------------------

    async def _one(self, kind: str, key: int, what: str, build: Callable[..., T]) -> T:
        rows = await self._backend.instance_rows(kind, key, None)
        if kind == "instance":
            for row in rows.rows:
                return build(row)
        for row, instance in rows.joined():
            return build(row, instance)
        raise NotFound(f"{what} with key '{key}' not found")

    async def instance(self, key: int) -> ProcessInstanceResult:
        return await self._one("instance", key, "Process instance", _instances.instance_result)

    async def element(self, key: int) -> ElementInstanceResult:
        found = await self._one("element", key, "Element instance", _instances.element_result)
        (named,) = await self._named([found])
        return named

    async def _named(self, elements: list[ElementInstanceResult]) -> list[ElementInstanceResult]:
        """Each element instance with its element's name from the deployed model (its id
        when the element has none), as Camunda answers ``elementName``."""
        names: dict[str, dict[str, str]] = {}
        out: list[ElementInstanceResult] = []
        for element in elements:
            definition = element.process_definition_key
            if definition not in names:
                model = await self._store.definition_model(int(definition))
                process = model.process
                names[definition] = {i: n.name for i, n in process.elements.items() if n.name}
                if process.name:
                    names[definition][process.id] = process.name
            name = names[definition].get(element.element_id)
            out.append(
                element if name is None else element.model_copy(update={"element_name": name})
            )
        return out

    async def incident(self, key: int) -> IncidentResult:
        return await self._one("incident", key, "Incident", _instances.incident_result)

    async def variable(self, key: int) -> VariableResult:
        return await self._one("variable", key, "Variable", _instances.variable_result)

    async def all(
        self,
        kind: str,
        instance_key: int | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Every row of ``kind`` as its wire model (one instance's, with ``instance_key``);
        with a search's filter ``conditions`` (wire JSON), at least those it selects: its
        common filters run in SQL (``_prefilter``), the caller still applies them all."""
        restrict = _prefilter.where(kind, conditions)
        rows = await self._backend.instance_rows(kind, None, instance_key, restrict)
        if kind == "job":
            now = self._store.now()
            return [_instances.camunda_job(r, now) for r in rows.rows]
        if kind == "instance":
            return [_instances.instance_result(r) for r in rows.rows]
        if kind == "element":
            elements = [_instances.element_result(r, i) for r, i in rows.joined()]
            return await self._named(elements)
        build = {
            "incident": _instances.incident_result,
            "variable": _instances.variable_result,
            "flow": _instances.flow_result,
        }[kind]
        return [build(row, instance) for row, instance in rows.joined()]

    async def sequence_flows(self, key: int) -> list[ProcessInstanceSequenceFlowResult]:
        await self.instance(key)
        return await self.all("flow", key)

    async def element_statistics(self, key: int) -> list[ProcessElementStatisticsResult]:
        await self.instance(key)
        counts: dict[str, dict[str, int]] = {}
        elements: Iterable[ElementInstanceResult] = await self.all("element", key)
        for element in elements:
            if element.type == "PROCESS":
                continue
            row = counts.setdefault(
                element.element_id, {"active": 0, "canceled": 0, "incidents": 0, "completed": 0}
            )
            if element.state == "ACTIVE":
                row["incidents" if element.has_incident else "active"] += 1
            elif element.state == "COMPLETED":
                row["completed"] += 1
            else:
                row["canceled"] += 1
        return [
            ProcessElementStatisticsResult(element_id=element_id, **row)
            for element_id, row in counts.items()
        ]

    async def visible(self, key: int) -> dict[str, Any]:
        """The instance's root variables (for tests and the CLI)."""
        return await self._root_variables(key)
