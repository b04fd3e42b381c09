"""The transient-failure policy: what is sent again, when, and how often.

A real broker does not answer 503 on demand, so these use ``httpx.MockTransport`` servers
scripted answer by answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import anyio
import httpx
import pytest

from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.client._retry import parse_retry_after
from sdk.errors import BackpressureError, ServerError, ServerUnreachableError

pytestmark = pytest.mark.anyio

KEY = "2251799813685249"
NO_WAIT = HttpRetryPolicy(base_delay_s=0.001, max_delay_s=5.0)
TOPOLOGY = {"brokers": [], "gatewayVersion": "8.8.0"}

Answer = httpx.Response | type[httpx.TransportError]


def problem(status: int, title: str = "RESOURCE_EXHAUSTED") -> dict[str, object]:
    return {"type": "about:blank", "title": title, "status": status, "detail": "", "instance": ""}


class Script:
    """A mock server answering with ``answers`` in turn (an exception class is raised)."""

    def __init__(self, answers: Sequence[Answer]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("scripted failure", request=request)


def client(script: Script, retry: HttpRetryPolicy | None = NO_WAIT, **config: str) -> AsyncClient:
    configuration = {"CAMUNDA_REST_ADDRESS": "http://test", "CAMUNDA_AUTH_STRATEGY": "NONE"}
    return AsyncClient(
        configuration={**configuration, **config},
        transport=httpx.MockTransport(script),
        retry=retry,
    )


def busy(status: int = 503, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=problem(status), headers=headers)


class TestRefusedRequestsAreSentAgain:
    async def test_503_then_204_completes_the_job(self) -> None:
        script = Script([busy(503), httpx.Response(204)])
        async with client(script) as c:
            await c.complete_job(KEY, {"done": True})
        assert [r.url.path for r in script.requests] == [f"/v2/jobs/{KEY}/completion"] * 2
        assert script.requests[0].content == script.requests[1].content

    async def test_429_then_200_activates(self) -> None:
        script = Script([busy(429), httpx.Response(200, json={"jobs": []})])
        async with client(script) as c:
            assert await c.activate_jobs("t", max_jobs=1, timeout_ms=1_000) == []
        assert len(script.requests) == 2

    async def test_a_refused_connection_is_retried_for_any_call(self) -> None:
        script = Script([httpx.ConnectError, httpx.Response(204)])
        async with client(script) as c:
            await c.fail_job(KEY, retries=1)
        assert len(script.requests) == 2

    async def test_gives_up_after_max_retries(self) -> None:
        script = Script([busy(503)])
        async with client(script, HttpRetryPolicy(max_retries=2, base_delay_s=0.001)) as c:
            with pytest.raises(BackpressureError):
                await c.topology()
        assert len(script.requests) == 3


class TestAmbiguousFailures:
    @pytest.mark.parametrize(
        "answer", [httpx.Response(504), httpx.Response(502), httpx.ReadError], ids=str
    )
    async def test_are_not_repeated_for_a_completion(self, answer: Answer) -> None:
        script = Script([answer, httpx.Response(204)])
        async with client(script) as c:
            with pytest.raises((ServerError, ServerUnreachableError)):
                await c.complete_job(KEY)
        assert len(script.requests) == 1  # it may have completed: not the client's call

    @pytest.mark.parametrize(
        "answer", [httpx.Response(504), httpx.Response(502), httpx.ReadError], ids=str
    )
    async def test_are_repeated_for_a_read(self, answer: Answer) -> None:
        script = Script([answer, httpx.Response(200, json=TOPOLOGY)])
        async with client(script) as c:
            topology = await c.topology()
        assert topology.gateway_version == "8.8.0"
        assert len(script.requests) == 2


class TestRetryAfter:
    async def test_is_waited_for(self) -> None:
        script = Script([busy(503, **{"retry-after": "0.3"}), httpx.Response(204)])
        async with client(script) as c:
            started = anyio.current_time()
            await c.complete_job(KEY)
            waited_s = anyio.current_time() - started
        assert waited_s >= 0.3
        assert len(script.requests) == 2

    async def test_longer_than_the_cap_is_raised_at_once_with_retry_after_s(self) -> None:
        script = Script([busy(429, **{"retry-after": "120"}), httpx.Response(204)])
        async with client(script) as c:
            with pytest.raises(BackpressureError) as caught:
                await c.complete_job(KEY)
        assert caught.value.retry_after_s == 120
        assert "retry after 120 s" in str(caught.value)
        assert len(script.requests) == 1

    def test_is_parsed_as_seconds_or_an_http_date(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        later = format_datetime(now + timedelta(seconds=90), usegmt=True)
        assert parse_retry_after("7") == 7
        assert parse_retry_after(" 1.5 ") == 1.5
        assert parse_retry_after(later, now_s=now.timestamp()) == 90
        assert parse_retry_after("-3") == 0
        for bad in (None, "", "soon", "nan", "inf"):
            assert parse_retry_after(bad) is None


class TestSwitchingOff:
    async def test_policy_off_sends_once(self) -> None:
        script = Script([busy(503), httpx.Response(204)])
        async with client(script, HttpRetryPolicy.off()) as c:
            with pytest.raises(BackpressureError):
                await c.complete_job(KEY)
        assert len(script.requests) == 1

    async def test_setting_zero_retries_sends_once(self) -> None:
        script = Script([httpx.ConnectError, httpx.Response(204)])
        async with client(script, None, SDK_HTTP_RETRIES="0") as c:
            assert c.retry.max_retries == 0
            with pytest.raises(ServerUnreachableError):
                await c.complete_job(KEY)
        assert len(script.requests) == 1

    async def test_the_blocking_client_retries_the_same_way(self) -> None:
        script = Script([busy(503), busy(429), httpx.Response(204)])

        def scenario() -> None:
            config = {"CAMUNDA_REST_ADDRESS": "http://test", "CAMUNDA_AUTH_STRATEGY": "NONE"}
            transport = httpx.MockTransport(script)
            with Client(configuration=config, transport=transport, retry=NO_WAIT) as c:
                c.complete_job(KEY)

        await anyio.to_thread.run_sync(scenario)
        assert len(script.requests) == 3


class TestBackoff:
    def fixed(self, value: float) -> Callable[[], float]:
        return lambda: value

    def test_doubles_up_to_the_cap_with_half_of_it_random(self) -> None:
        low = HttpRetryPolicy(base_delay_s=0.1, max_delay_s=1.0, jitter=self.fixed(0.0))
        high = HttpRetryPolicy(base_delay_s=0.1, max_delay_s=1.0, jitter=self.fixed(0.999))
        assert [low.backoff_s(n) for n in range(5)] == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5])
        assert high.backoff_s(0) == pytest.approx(0.1, abs=1e-3)
        assert high.backoff_s(50) == pytest.approx(1.0, abs=1e-3)

    def test_negative_values_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="must not be negative"):
            HttpRetryPolicy(max_retries=-1)
