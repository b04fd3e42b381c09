"""``POST /v2/ext/jobs/bulk`` on every kind of store: retry and cancel by type, state, key
range and keys, with counts, each job's history, a bad body's 400 naming the field, the
client's ``bulk_jobs`` (both clients) and ``python -m sdk jobs bulk``."""

from __future__ import annotations

import os
from pathlib import Path

import anyio.to_thread
import httpx
import pytest

from sdk._cli import main
from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client
from sdk.errors import BadRequestError, ProtocolError
from sdk.models import Job, JobKey, JobState

pytestmark = pytest.mark.anyio


async def incidents(api: AsyncClient, job_type: str, n: int) -> list[JobKey]:
    """``n`` jobs of ``job_type`` failed with no retries left (in an incident)."""
    keys = [await api.create_job(job_type, retries=1) for _ in range(n)]
    activated = await api.activate_jobs(job_type, max_jobs=n, timeout_ms=60_000)
    assert sorted(j.job_key for j in activated) == sorted(keys)
    for job in activated:
        await api.fail_job(job.job_key, retries=0, error_message="broken")
    return keys


async def history(api: AsyncClient, key: JobKey) -> tuple[Job, list[str]]:
    job = await api.get_job(key)
    return job, [e.event for e in job.history or []]


class TestRetry:
    async def test_every_incident_of_a_type_gets_its_retries_again(self, api: AsyncClient) -> None:
        broken = await incidents(api, "resize", 3)
        other = await incidents(api, "other", 1)
        waiting = await api.create_job("resize")
        result = await api.bulk_jobs("retry", job_type="resize", retries=2)
        assert (result.matched, result.changed) == (4, 3)
        assert result.skipped == {"not_in_incident": 1}
        for key in broken:
            job, events = await history(api, key)
            assert (job.state, job.retries) == (JobState.ACTIVATABLE, 2)
            assert events[-2:] == ["INCIDENT", "RETRIES_UPDATED"]
        job, events = await history(api, other[0])
        assert job.state is JobState.INCIDENT
        job, events = await history(api, waiting)
        assert "RETRIES_UPDATED" not in events
        activated = await api.activate_jobs("resize", max_jobs=10, timeout_ms=1_000)
        assert sorted(j.job_key for j in activated) == sorted([*broken, waiting])

    async def test_the_state_filter_leaves_only_incidents_to_count(self, api: AsyncClient) -> None:
        await incidents(api, "resize", 2)
        await api.create_job("resize")
        result = await api.bulk_jobs("retry", job_type="resize", state="INCIDENT", retries=1)
        assert (result.matched, result.changed, result.skipped) == (2, 2, {})

    async def test_a_page_boundary_is_crossed(self, api: AsyncClient) -> None:
        """More jobs than one page (the store's batch of 100) are all reached."""
        keys = await incidents(api, "many", 130)
        result = await api.bulk_jobs("retry", job_type="many", retries=1)
        assert (result.matched, result.changed) == (130, 130)
        for key in (keys[0], keys[-1]):
            job, _ = await history(api, key)
            assert job.state is JobState.ACTIVATABLE


class TestCancel:
    async def test_cancel_by_key_range_counts_ended_jobs_as_skipped(self, api: AsyncClient) -> None:
        keys = [await api.create_job("crop") for _ in range(5)]
        outside = await api.create_job("crop")
        activated = await api.activate_jobs("crop", max_jobs=1, timeout_ms=60_000)
        await api.complete_job(activated[0].job_key)
        result = await api.bulk_jobs("cancel", key_from=keys[0], key_to=keys[-1])
        assert (result.matched, result.changed, result.skipped) == (5, 4, {"ended": 1})
        for key in keys:
            job, events = await history(api, key)
            if key == activated[0].job_key:
                assert job.state is JobState.COMPLETED
            else:
                assert job.state is JobState.CANCELED
                assert events[-1] == "CANCELED"
        job, _ = await history(api, outside)
        assert job.state is JobState.ACTIVATABLE

    async def test_cancel_explicit_keys_with_unknown_ones_and_another_filter(
        self, api: AsyncClient
    ) -> None:
        a, b = await api.create_job("crop"), await api.create_job("crop")
        c = await api.create_job("other")
        result = await api.bulk_jobs("cancel", job_type="crop", keys=[a, b, c, "99"])
        assert (result.matched, result.changed) == (3, 2)
        assert result.skipped == {"not_found": 1}
        states = [(await api.get_job(k)).state for k in (a, b, c)]
        assert states == [JobState.CANCELED, JobState.CANCELED, JobState.ACTIVATABLE]
        again = await api.bulk_jobs("cancel", keys=[a, b])
        assert (again.matched, again.changed, again.skipped) == (2, 0, {"ended": 2})


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"filter": {}, "action": "cancel"}, "filter"),
            ({"filter": {"type": "x"}, "action": "zap"}, "action"),
            ({"filter": {"type": "x"}, "action": "retry"}, "retries"),
            ({"filter": {"type": "x"}, "action": "retry", "retries": 0}, "retries"),
            ({"filter": {"type": "x"}, "action": "cancel", "retries": 2}, "retries"),
            ({"filter": {"keys": ["a"]}, "action": "cancel"}, "filter.keys"),
            ({"filter": {"keys": []}, "action": "cancel"}, "filter.keys"),
            ({"filter": {"keyFrom": "9", "keyTo": "1"}, "action": "cancel"}, "keyFrom"),
            ({"filter": {"state": "SLEEPING"}, "action": "cancel"}, "filter.state"),
            ({"filter": {"type": "x", "color": "red"}, "action": "cancel"}, "filter.color"),
            ({"action": "cancel"}, "filter"),
        ],
    )
    async def test_a_bad_body_is_a_400_naming_the_field(
        self, http: httpx.AsyncClient, body: dict[str, object], field: str
    ) -> None:
        answer = await http.post("/ext/jobs/bulk", json=body)
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.json()["detail"]

    async def test_the_client_raises_a_typed_error(self, api: AsyncClient) -> None:
        with pytest.raises(BadRequestError, match="retries"):
            await api.bulk_jobs("retry", job_type="x")

    async def test_a_server_without_the_route_is_a_clear_error(self) -> None:
        async def camunda(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"title": "NOT_FOUND", "status": 404})

        async with AsyncClient(
            configuration={
                "CAMUNDA_REST_ADDRESS": "http://camunda",
                "CAMUNDA_AUTH_STRATEGY": "NONE",
            },
            transport=httpx.MockTransport(camunda),
        ) as api:
            with pytest.raises(
                ProtocolError, match="bulk job actions are not supported by this server"
            ):
                await api.bulk_jobs("cancel", job_type="x")


async def test_the_sync_client_does_the_same(broker: RunningBroker, api: AsyncClient) -> None:
    keys = await incidents(api, "sync", 2)

    def retry() -> tuple[int, int]:
        with Client(
            configuration={"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        ) as client:
            result = client.bulk_jobs("retry", keys=keys, retries=3)
            return result.matched, result.changed

    assert await anyio.to_thread.run_sync(retry) == (2, 2)


async def test_the_cli_retries_and_cancels(
    broker: RunningBroker,
    api: AsyncClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in list(os.environ):
        if name.startswith(("CAMUNDA_", "SDK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", broker.url)
    monkeypatch.setenv("SDK_CONFIG_DIR", str(tmp_path / "config"))
    broken = await incidents(api, "cli-type", 2)
    running = await api.create_job("cli-type")

    async def sdk(*argv: str) -> tuple[int, str]:
        try:
            code = await anyio.to_thread.run_sync(main, list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = await sdk("jobs", "bulk", "retry", "--type", "cli-type", "--retries", "2")
    assert code == 0, out
    assert out.strip() == "matched=3 changed=2 skipped=1 (not_in_incident=1)"
    code, out = await sdk("jobs", "bulk", "cancel", "--key", broken[0], "--key", running)
    assert (code, out.strip()) == (0, "matched=2 changed=2 skipped=0")
    code, out = await sdk("jobs", "cancel", broken[1])
    assert (code, out.strip()) == (0, f"job {broken[1]} cancelled")
    assert {(await api.get_job(k)).state for k in [*broken, running]} == {JobState.CANCELED}
    code, out = await sdk("jobs", "bulk", "retry", "--type", "cli-type")
    assert code != 0
    assert "retries" in out
