"""Every executable file of the shared BPMN corpus deploys on the broker; the files the parser
refuses (``tests/bpmn/test_corpus.py``) are refused with a 400 naming them, never a 5xx."""

from __future__ import annotations

import httpx
import pytest

from _support.shared import CORPUS, MISSING

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(CORPUS is None, reason=MISSING)]

FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.bpmn")) if CORPUS else []
REFUSED = {
    "camunda-8-js-sdk/src/__tests__/testdata/modeller7File.bpmn",
    "camunda-8-js-sdk/src/__tests__/testdata/Client-BrokenBpmn.bpmn",
    "customer-onboarding-camunda-8-springboot-extended/src/main/resources/"
    "customer-onboarding-extended.bpmn",
}


@pytest.fixture
def store_path() -> str:
    return ":memory:"


async def test_each_corpus_file_deploys_or_is_refused(http: httpx.AsyncClient) -> None:
    assert CORPUS is not None
    assert REFUSED <= set(FILES)
    for name in FILES:
        data = (CORPUS / name).read_bytes()
        base = name.rsplit("/", 1)[-1]
        response = await http.post(
            "/deployments", files=[("resources", (base, data, "application/xml"))]
        )
        if name in REFUSED:
            assert response.status_code == 400, (name, response.text)
            assert f"'{base}'" in response.json()["detail"]
            continue
        assert response.status_code == 200, (name, response.text)
        deployed = response.json()["deployments"]
        assert deployed and all(d["processDefinition"]["processDefinitionKey"] for d in deployed)
        key = deployed[0]["processDefinition"]["processDefinitionKey"]
        xml = await http.get(f"/process-definitions/{key}/xml")
        assert xml.content == data, name
