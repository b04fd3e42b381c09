"""The dashboard's limits form: a plain form POST sets or clears a type's limits in the store,
the overview shows them, bad input is a 400 problem+json, and viewers may not post it."""

from __future__ import annotations

from functools import partial

import anyio
import httpx
import pytest
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve

pytestmark = pytest.mark.anyio

FORM = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def store_path() -> str:
    return ":memory:"


async def test_the_form_sets_limits_and_the_overview_shows_them(
    web: httpx.AsyncClient, broker: RunningBroker
) -> None:
    response = await web.post(
        "/ui/limits",
        data={"type": "charge", "max_active": "3", "rate": "2.5", "action": "set"},
        headers=FORM,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui")
    limits = await broker.store.get_limits("charge")
    assert limits is not None and (limits.max_active, limits.rate) == (3, 2.5)
    page = (await web.get("/ui")).text
    assert 'data-limits-type="charge"' in page
    assert '<td class="num">3</td>' in page and '<td class="num">2.5</td>' in page


async def test_an_empty_field_means_no_limit_and_clear_removes_them(
    web: httpx.AsyncClient, broker: RunningBroker
) -> None:
    await web.post("/ui/limits", data={"type": "t", "max_active": "0", "rate": ""}, headers=FORM)
    limits = await broker.store.get_limits("t")
    assert limits is not None and (limits.max_active, limits.rate) == (0, None)
    response = await web.post("/ui/limits", data={"type": "t", "action": "clear"}, headers=FORM)
    assert response.status_code == 303
    assert await broker.store.get_limits("t") is None
    assert "No job type has limits" in (await web.get("/ui")).text


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"type": "t", "max_active": "three"}, "max_active"),
        ({"type": "t", "max_active": "-1"}, "maxActive"),
        ({"type": "t", "rate": "0"}, "rate"),
        ({"type": "", "rate": "1"}, "job type"),
    ],
)
async def test_bad_input_is_400_and_changes_nothing(
    web: httpx.AsyncClient, broker: RunningBroker, form: dict[str, str], says: str
) -> None:
    response = await web.post("/ui/limits", data=form, headers=FORM)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert says in response.json()["detail"]
    assert await broker.store.all_limits() == []


async def test_a_cross_site_post_is_refused(web: httpx.AsyncClient, broker: RunningBroker) -> None:
    response = await web.post(
        "/ui/limits",
        data={"type": "t", "max_active": "1"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert await broker.store.all_limits() == []


async def test_a_viewer_may_not_post_it() -> None:
    auth = BrokerAuth(
        users=[
            BrokerUser(name="op", password=SecretStr("pw")),
            BrokerUser(name="look", password=SecretStr("pw"), read_only=True),
        ]
    )
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        async with httpx.AsyncClient(base_url=broker.url.removesuffix("/v2")) as web:
            form = {"type": "t", "max_active": "1"}
            refused = await web.post("/ui/limits", data=form, auth=("look", "pw"), headers=FORM)
            assert refused.status_code == 403
            assert await broker.store.all_limits() == []
            allowed = await web.post("/ui/limits", data=form, auth=("op", "pw"), headers=FORM)
            assert allowed.status_code == 303
        tg.cancel_scope.cancel()
