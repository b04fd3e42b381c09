"""The broker's clock routes against the upstream Camunda v2 processes spec (read from
``shared/``, never copied; skipped without it): each is a spec operation, answering as it says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import yaml

from sdk.broker import RunningBroker
from sdk.broker.http._clock import ROUTES

from _support.shared import PROCESSES_SPEC

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    if PROCESSES_SPEC is None:
        pytest.skip("Camunda v2 processes spec not found in a shared/ folder")
    with PROCESSES_SPEC.open(encoding="utf-8") as fh:
        loaded: Mapping[str, Any] = yaml.safe_load(fh)
    return loaded


def test_every_clock_route_is_a_spec_operation(spec: Mapping[str, Any]) -> None:
    for route in ROUTES:
        for method in (route.methods or set()) - {"HEAD"}:
            path = route.path.removeprefix("/v2")
            assert method.lower() in spec["paths"].get(path, {}), (method, path)


async def test_the_clock_answers_with_the_spec_statuses(
    spec: Mapping[str, Any], sdk_broker: RunningBroker
) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        pinned = await http.put("/clock", json={"timestamp": 1_900_000_000_000})
        reset = await http.post("/clock/reset")
    assert str(pinned.status_code) in spec["paths"]["/clock"]["put"]["responses"]
    assert str(reset.status_code) in spec["paths"]["/clock/reset"]["post"]["responses"]
    assert pinned.status_code == reset.status_code == 204
