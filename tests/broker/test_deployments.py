"""Deployments, process definitions and resources on the embedded broker, on every store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.errors import ApiError, NotFoundError
from sdk.testing import client_for

from _support.bpmn_models import BILLION_LAUGHS, COMPLEX_GATEWAY, FEEL_ERROR, model

pytestmark = pytest.mark.anyio


def files(**named: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("resources", (name, data, "application/octet-stream")) for name, data in named.items()]


async def test_a_deployed_model_is_searchable_and_its_xml_round_trips(
    api: AsyncClient, http: httpx.AsyncClient
) -> None:
    data = model()
    deployed = await api.deploy_resources({"order.bpmn": data})
    (process,) = deployed.processes
    assert process.process_definition_id == "order"
    assert process.process_definition_version == 1
    assert process.resource_name == "order.bpmn"
    assert deployed.tenant_id == "<default>"

    found = await api.search_process_definitions(process_definition_id="order")
    (item,) = found.items
    assert item.process_definition_key == process.process_definition_key
    assert (item.name, item.version, item.resource_name) == ("Order", 1, "order.bpmn")

    response = await http.get(f"/process-definitions/{process.process_definition_key}/xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content == data
    content = await api.get_resource_content(process.process_definition_key)
    assert content == data
    resource = await api.get_resource(process.process_definition_key)
    assert (resource.resource_id, resource.version) == ("order", 1)


async def test_the_same_content_again_is_the_same_version_and_a_change_the_next(
    api: AsyncClient,
) -> None:
    first = (await api.deploy_resources({"order.bpmn": model()})).processes[0]
    again = await api.deploy_resources({"order.bpmn": model()})
    (same,) = again.processes
    assert same.process_definition_key == first.process_definition_key
    assert same.process_definition_version == 1
    assert again.deployment_key != ""  # a deployment of its own, deploying nothing new

    (changed,) = (await api.deploy_resources({"order.bpmn": model(name="Order v2")})).processes
    assert changed.process_definition_version == 2
    assert changed.process_definition_key != first.process_definition_key
    latest = await api.search_process_definitions(
        process_definition_id="order", is_latest_version=True
    )
    assert [d.version for d in latest.items] == [2]
    every = await api.search_process_definitions(process_definition_id="order")
    assert [d.version for d in every.items] == [1, 2]

    # the old content again is a new version too: it is not the latest one
    (back,) = (await api.deploy_resources({"order.bpmn": model()})).processes
    assert back.process_definition_version == 3


async def test_a_deployment_with_one_bad_file_deploys_nothing(api: AsyncClient) -> None:
    with pytest.raises(ApiError) as refused:
        await api.deploy_resources({"good.bpmn": model("good"), "bad.bpmn": COMPLEX_GATEWAY})
    assert refused.value.status == 400
    assert "'bad.bpmn'" in str(refused.value)
    assert (await api.search_process_definitions()).items == []


async def test_a_refusal_names_each_element_its_type_and_the_problem(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/deployments", files=files(**{"complex.bpmn": COMPLEX_GATEWAY, "feel.bpmn": FEEL_ERROR})
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "INVALID_ARGUMENT"
    detail = problem["detail"]
    assert detail.startswith("Expected to deploy new resources")
    assert "'complex.bpmn'" in detail and "complexGateway 'gate'" in detail
    assert "'feel.bpmn'" in detail and "scriptTask 'calc'" in detail


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("lol.bpmn", BILLION_LAUGHS, "'lol.bpmn'"),
        ("empty.bpmn", b"", "'empty.bpmn': the resource is empty"),
        ("notes.xml", b"<notes/>", "'notes.xml'"),
        ("rules.dmn", b"<definitions/>", "not supported by this broker"),
        ("form.form", b"{}", "not supported by this broker"),
        ("readme.txt", b"hello", "not supported by this broker"),
    ],
)
async def test_what_is_not_a_deployable_model_is_a_400_naming_the_resource(
    http: httpx.AsyncClient, name: str, data: bytes, said: str
) -> None:
    response = await http.post("/deployments", files=files(**{name: data}))
    assert response.status_code == 400, response.text
    assert said in response.json()["detail"]


async def test_a_request_without_resources_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/deployments", data={"tenantId": "<default>"}, files={"x": b""})
    assert response.status_code == 400
    response = await http.post("/deployments", json={})
    assert response.status_code == 400


async def test_two_files_defining_one_process_id_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/deployments", files=files(**{"a.bpmn": model(), "b.bpmn": model()})
    )
    assert response.status_code == 400
    assert "Duplicated process id in resources 'a.bpmn' and 'b.bpmn'" in response.json()["detail"]


async def test_search_filters_sorts_and_pages(api: AsyncClient, http: httpx.AsyncClient) -> None:
    await api.deploy_resources({"a.bpmn": model("alpha", name="Alpha")})
    await api.deploy_resources({"b.bpmn": model("beta", name="Beta")})
    await api.deploy_resources({"b.bpmn": model("beta", name="Beta 2")})

    async def search(body: dict[str, object]) -> dict[str, object]:
        response = await http.post("/process-definitions/search", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    def ids(answer: dict[str, object]) -> list[tuple[str, int]]:
        items = answer["items"]
        assert isinstance(items, list)
        return [(i["processDefinitionId"], i["version"]) for i in items]

    everything = await search({})
    assert ids(everything) == [("alpha", 1), ("beta", 1), ("beta", 2)]
    assert everything["page"] == {
        "totalItems": 3,
        "hasMoreTotalItems": False,
        "startCursor": everything["page"]["startCursor"],  # type: ignore[index]
        "endCursor": everything["page"]["endCursor"],  # type: ignore[index]
    }
    like = await search({"filter": {"name": {"$like": "Bet*"}}})
    assert ids(like) == [("beta", 1), ("beta", 2)]
    in_ = await search({"filter": {"processDefinitionId": {"$in": ["alpha"]}}})
    assert ids(in_) == [("alpha", 1)]
    latest = await search({"filter": {"isLatestVersion": True}})
    assert ids(latest) == [("alpha", 1), ("beta", 2)]
    newest_first = await search({"sort": [{"field": "version", "order": "DESC"}]})
    assert ids(newest_first)[0] == ("beta", 2)
    first = await search({"page": {"limit": 2}})
    assert ids(first) == [("alpha", 1), ("beta", 1)]
    after = first["page"]["endCursor"]  # type: ignore[index]
    rest = await search({"page": {"limit": 2, "after": after}})
    assert ids(rest) == [("beta", 2)]
    offset = await search({"page": {"from": 1, "limit": 1}})
    assert ids(offset) == [("beta", 1)]
    bad = await http.post("/process-definitions/search", json={"filter": {"nope": 1}})
    assert bad.status_code == 400


async def test_tenants_version_apart(api: AsyncClient) -> None:
    ours = (await api.deploy_resources({"o.bpmn": model()}, tenant_id="ours")).processes[0]
    theirs = (await api.deploy_resources({"o.bpmn": model()}, tenant_id="theirs")).processes[0]
    assert (ours.tenant_id, ours.process_definition_version) == ("ours", 1)
    assert (theirs.tenant_id, theirs.process_definition_version) == ("theirs", 1)
    assert ours.process_definition_key != theirs.process_definition_key
    found = await api.search_process_definitions(tenant_id="theirs")
    assert [d.process_definition_key for d in found.items] == [theirs.process_definition_key]


async def test_deleting_a_resource_stops_it_being_the_latest(
    api: AsyncClient, http: httpx.AsyncClient
) -> None:
    v1 = (await api.deploy_resources({"order.bpmn": model()})).processes[0]
    v2 = (await api.deploy_resources({"order.bpmn": model(name="Two")})).processes[0]
    deleted = await api.delete_resource(v2.process_definition_key)
    assert deleted.resource_key == v2.process_definition_key

    latest = await api.search_process_definitions(
        process_definition_id="order", is_latest_version=True
    )
    assert [d.process_definition_key for d in latest.items] == [v1.process_definition_key]
    gone = await api.get_process_definition(v2.process_definition_key)
    assert gone.state == "DELETED"
    with pytest.raises(NotFoundError):
        await api.delete_resource(v2.process_definition_key)
    # versions keep counting past a deleted one, as Zeebe's
    (v3,) = (await api.deploy_resources({"order.bpmn": model(name="Three")})).processes
    assert v3.process_definition_version == 3


async def test_an_instance_by_process_id_starts_the_latest_live_version_or_the_one_named(
    api: AsyncClient, http: httpx.AsyncClient
) -> None:
    v1 = (await api.deploy_resources({"order.bpmn": model()})).processes[0]
    v2 = (await api.deploy_resources({"order.bpmn": model(name="Two")})).processes[0]
    await api.deploy_resources({"order.bpmn": model(name="Theirs")}, tenant_id="theirs")

    latest = await api.create_process_instance(process_definition_id="order")
    assert latest.process_definition_key == v2.process_definition_key
    named = await api.create_process_instance(process_definition_id="order", version=1)
    assert (named.process_definition_key, named.process_definition_version) == (
        v1.process_definition_key,
        1,
    )
    await api.delete_resource(v2.process_definition_key)
    after = await api.create_process_instance(process_definition_id="order")
    assert after.process_definition_key == v1.process_definition_key
    for version in (2, 3):  # deleted, never deployed
        body = {"processDefinitionId": "order", "processDefinitionVersion": version}
        missing = await http.post("/process-instances", json=body)
        assert missing.status_code == 404, missing.text
        assert f"process ID 'order' and version '{version}'" in missing.json()["detail"]
    unknown = await http.post("/process-instances", json={"processDefinitionId": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        "Expected to find process definition with process ID 'nope', but none found"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/process-definitions/2251799813999999",
        "/process-definitions/2251799813999999/xml",
        "/resources/2251799813999999",
        "/resources/2251799813999999/content",
    ],
)
async def test_unknown_keys_are_a_404_problem(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) == {"type", "title", "status", "detail", "instance"}
    deletion = await http.post("/resources/2251799813999999/deletion")
    assert deletion.status_code == 404
    assert (await http.get("/process-definitions/not-a-key")).status_code == 400


async def test_an_upload_too_large_is_refused(http: httpx.AsyncClient) -> None:
    from sdk.broker.http._deployments import MAX_DEPLOYMENT_BYTES

    response = await http.post(
        "/deployments", files=files(**{"big.bpmn": b" " * (MAX_DEPLOYMENT_BYTES + 1)})
    )
    assert response.status_code == 413


# -- a restart keeps the definitions and their models ---------------------------------------


@pytest.fixture(params=["sqlite-file", "postgres"])
def durable_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "jobs.sqlite3")


async def _serving(path: str) -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        running: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
        yield running
        tg.cancel_scope.cancel()


async def test_a_restart_keeps_definitions_and_their_models(durable_path: str) -> None:
    data = model()
    async for running in _serving(durable_path):
        async with client_for(running) as client:
            (first,) = (await client.deploy_resources({"order.bpmn": data})).processes
    async for running in _serving(durable_path):
        async with client_for(running) as client:
            (again,) = (await client.deploy_resources({"order.bpmn": data})).processes
            assert again.process_definition_key == first.process_definition_key
            assert await client.get_process_definition_xml(first.process_definition_key) == (
                data.decode()
            )
            (second,) = (await client.deploy_resources({"order.bpmn": model(name="Two")})).processes
            assert second.process_definition_version == 2
            assert int(second.process_definition_key) > int(first.process_definition_key)
        deployed = await running.store.definition_model(int(first.process_definition_key))
        assert deployed.process.id == "order"
        assert "work" in deployed.process.elements
        assert deployed.record.version == 1
        # parsed once: the same object again
        assert await running.store.definition_model(int(first.process_definition_key)) is deployed


async def test_keys_of_jobs_and_definitions_never_collide(durable_path: str) -> None:
    from sdk.models import JobSpec

    async for running in _serving(durable_path):
        async with client_for(running) as client:
            (d,) = (await client.deploy_resources({"order.bpmn": model()})).processes
    async for running in _serving(durable_path):
        (job,) = await running.store.create([JobSpec(type="t")])
        assert int(job) > int(d.process_definition_key)
