"""The common filters of the process searches run in SQL first: which filters are taken, and
that every search answers exactly what the in-memory search alone answers, on both stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sdk.broker.store import _instances, _prefilter
from sdk.client import AsyncClient

from .test_process_instances import GATEWAY, ONE_TASK, deploy

pytestmark = pytest.mark.anyio


class TestWhere:
    def test_plain_values_eq_and_in_on_known_columns_are_taken(self) -> None:
        conditions = {
            "processInstanceKey": "12",
            "elementId": {"$in": ["a", "b"]},
            "state": {"$eq": "ACTIVE"},
            "elementName": "Charge",
            "type": {"$like": "SERVICE*"},
        }
        assert _prefilter.where("element", conditions) == {
            "process_instance_key": [12],
            "element_id": ["a", "b"],
            "state": ["ACTIVE"],
        }

    def test_what_memory_compares_otherwise_is_left_to_memory(self) -> None:
        assert _prefilter.where("instance", {"processInstanceKey": "012"}) == {}
        assert _prefilter.where("instance", {"processInstanceKey": "x1"}) == {}
        assert _prefilter.where("instance", {"processInstanceKey": {"$in": ["1", "y"]}}) == {}
        assert _prefilter.where("variable", {"name": {"$neq": "a"}}) == {}
        assert _prefilter.where("instance", {"tags": ["a"]}) == {}

    def test_an_unknown_field_keeps_everything_for_its_error(self) -> None:
        assert _prefilter.where("variable", {"name": "a", "nope": 1}) == {}

    def test_the_statement_restricts_the_rows(self) -> None:
        sql, args = _instances.select_rows(
            "variable", key=None, instance_key=7, restrict={"name": ["a", "b"], "scope_key": [7]}
        )
        assert sql == (
            "SELECT * FROM variables WHERE process_instance_key = ?"
            " AND name IN (?, ?) AND scope_key IN (?)"
        )
        assert args == (7, "a", "b", 7)
        sql, args = _instances.select_rows("flow", key=None, instance_key=7)
        assert sql.endswith("WHERE process_instance_key = ? ORDER BY position") and args == (7,)


async def answer(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await http.post(path, json=body)
    return response.status_code, response.json()


class TestSameAnswers:
    async def test_every_search_answers_what_memory_alone_answers(
        self, api: AsyncClient, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await deploy(api, ONE_TASK, GATEWAY)
        one = (
            await api.create_process_instance(process_definition_id="single")
        ).process_instance_key
        two = (
            await api.create_process_instance(
                process_definition_id="route", variables={"amount": 5}
            )
        ).process_instance_key
        (job,) = await api.activate_jobs("single-work", max_jobs=1, timeout_ms=60_000)
        await api.fail_job(job.job_key, retries=0, error_message="boom")
        (score,) = await api.activate_jobs("score", max_jobs=1, timeout_ms=60_000)
        await api.complete_job(score.job_key, variables={"amount": 7, "grade": "b"})

        searches: list[tuple[str, dict[str, Any]]] = [
            ("/process-instances/search", {"filter": {"processDefinitionId": "single"}}),
            ("/process-instances/search", {"filter": {"state": "ACTIVE"}}),
            ("/process-instances/search", {"filter": {"state": {"$neq": "ACTIVE"}}}),
            ("/process-instances/search", {"filter": {"processInstanceKey": {"$in": [one, two]}}}),
            ("/process-instances/search", {"filter": {"processInstanceKey": "0" + one}}),
            ("/process-instances/search", {"filter": {"processDefinitionVersion": 1}}),
            ("/element-instances/search", {"filter": {"processInstanceKey": two}}),
            ("/element-instances/search", {"filter": {"elementId": "score", "state": "COMPLETED"}}),
            ("/element-instances/search", {"filter": {"type": "SERVICE_TASK"}}),
            ("/element-instances/search", {"filter": {"processInstanceKey": int(one)}}),
            ("/incidents/search", {"filter": {"errorType": "JOB_NO_RETRIES"}}),
            ("/incidents/search", {"filter": {"state": "ACTIVE", "processInstanceKey": two}}),
            ("/variables/search", {"filter": {"name": "amount"}}),
            ("/variables/search", {"filter": {"name": {"$in": ["grade", "amount"]}}}),
            ("/variables/search", {"filter": {"scopeKey": two, "name": "grade"}}),
            ("/variables/search", {"filter": {"name": "amount", "nope": 1}}),
            ("/variables/search", {"filter": {"name": 5}}),
        ]
        with_sql = [await answer(http, path, body) for path, body in searches]
        with monkeypatch.context() as patched:
            patched.setattr(_prefilter, "where", lambda kind, conditions: {})
            in_memory = [await answer(http, path, body) for path, body in searches]
        for (path, body), got, expected in zip(searches, with_sql, in_memory, strict=True):
            assert got == expected, (path, body)
        counts = [len(a[1]["items"]) for a in with_sql if a[0] == 200]
        assert any(counts) and not all(counts)  # the searches select something, not all
