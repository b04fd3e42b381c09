"""Process tests with ``sdk.testing``: ``assert_that``'s checks passing and failing (with the
message a failure shows), elements by id and by name, the job mocks and ``increase_time``,
against the embedded broker with real processes deployed through the client."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta

import anyio
import pytest

from sdk.client import AsyncClient
from sdk.testing import assert_that, complete_jobs, increase_time, throw_error, wait_until

from _support.bpmn_models import NO_STOCK, definitions, flow

pytestmark = pytest.mark.anyio
pytest_plugins = ["pytester"]

FAIL_FAST_S = 0.3
"""The wait of a check that must fail: long enough for one read, short for the suite."""


def bpmn(process_id: str, body: str, extra: str = "") -> bytes:
    return definitions(process_id, body, NO_STOCK + extra)


def task(element_id: str, job_type: str, name: str = "", retries: int = 3) -> str:
    return (
        f'<bpmn:serviceTask id="{element_id}" name="{name}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" retries="{retries}"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def timer(duration: str) -> str:
    return (
        "<bpmn:timerEventDefinition><bpmn:timeDuration>"
        f"{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>"
    )


ORDER = bpmn(
    "order",
    '<bpmn:startEvent id="start" name="Order placed"/>'
    + task("reserve", "reserve", "Reserve stock")
    + task("charge", "charge", "Charge card")
    + '<bpmn:endEvent id="paid" name="Paid"/>'
    + flow("f1", "start", "reserve")
    + flow("f2", "reserve", "charge")
    + flow("f3", "charge", "paid"),
)
STOCK = bpmn(
    "stock",
    '<bpmn:startEvent id="start"/>'
    + task("pick", "pick", "Pick items")
    + '<bpmn:boundaryEvent id="no_stock" attachedToRef="pick">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="done"/><bpmn:endEvent id="out_of_stock" name="Out of stock"/>'
    + flow("f1", "start", "pick")
    + flow("f2", "pick", "done")
    + flow("f3", "no_stock", "out_of_stock"),
)
FRAGILE = bpmn(
    "fragile",
    '<bpmn:startEvent id="start"/>'
    + task("work", "fragile", retries=1)
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "work")
    + flow("f2", "work", "end"),
)
DELAY = bpmn(
    "delay",
    '<bpmn:startEvent id="start"/>'
    f'<bpmn:intermediateCatchEvent id="wait_an_hour" name="Wait an hour">{timer("PT1H")}'
    '</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait_an_hour")
    + flow("f2", "wait_an_hour", "end"),
)
DEADLINE = bpmn(
    "deadline",
    '<bpmn:startEvent id="start"/>'
    + task("slow", "slow", "Slow work")
    + f'<bpmn:boundaryEvent id="too_late" attachedToRef="slow">{timer("PT1H")}'
    '</bpmn:boundaryEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="escalated"/>'
    + flow("f1", "start", "slow")
    + flow("f2", "slow", "done")
    + flow("f3", "too_late", "escalated"),
)
HOURLY = bpmn(
    "hourly",
    '<bpmn:startEvent id="every_hour" name="Every hour"><bpmn:timerEventDefinition>'
    "<bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
    '<bpmn:endEvent id="end"/>' + flow("f1", "every_hour", "end"),
)
PAYMENT = bpmn(
    "payment",
    '<bpmn:startEvent id="start"/>'
    '<bpmn:intermediateCatchEvent id="wait_payment" name="Payment received">'
    '<bpmn:messageEventDefinition messageRef="msg"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait_payment")
    + flow("f2", "wait_payment", "end"),
    '<bpmn:message id="msg" name="payment"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="=order_id"/></bpmn:extensionElements></bpmn:message>',
)


async def start(client: AsyncClient, model: bytes, process_id: str, **variables: object) -> int:
    await client.deploy_resources({f"{process_id}.bpmn": model})
    created = await client.create_process_instance(
        process_definition_id=process_id, variables=variables
    )
    return int(created.process_instance_key)


async def failure(check: object) -> str:
    """The message of the ``AssertionError`` the awaitable ``check`` raises."""
    with pytest.raises(AssertionError) as raised:
        await check  # type: ignore[misc]
    return str(raised.value)


class TestInstanceState:
    async def test_an_instance_runs_to_completion(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order", amount=20)
        check = assert_that(sdk_client, key)
        await check.is_active()
        await check.has_active_elements("reserve")
        await complete_jobs(sdk_client, "reserve", {"reserved": True})
        await complete_jobs(sdk_client, "charge", {"charged": 20})
        await check.is_completed()
        await check.has_completed_elements("start", "reserve", "charge", "paid")
        await check.has_completed_elements_in_order("reserve", "charge", "paid")
        await check.has_variables(amount=20, reserved=True, charged=20)
        await check.has_variable("charged")
        await check.has_no_incidents()

    async def test_elements_are_named_by_id_or_by_name(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order")
        check = assert_that(sdk_client, key)
        await check.has_active_elements("Reserve stock")
        await check.has_completed_elements("Order placed")
        await check.has_not_activated_elements("Charge card", "Paid")
        await complete_jobs(sdk_client, "reserve")
        await complete_jobs(sdk_client, "charge")
        await check.has_completed_elements_in_order("Order placed", "reserve", "Charge card")

    async def test_a_cancelled_instance_is_terminated(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order")
        check = assert_that(sdk_client, key)
        await check.has_active_elements("reserve")
        await sdk_client.cancel_process_instance(key)
        await check.is_terminated()
        await check.has_terminated_elements("Reserve stock")

    async def test_a_state_failure_shows_the_instance(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order", amount=20)
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.has_active_elements("reserve")
        message = await failure(check.is_completed())
        assert message == textwrap.dedent(f"""\
            Process instance {key} should be completed within 0.3s, but it is ACTIVE.
              state: ACTIVE (process 'order')
              active elements: 'reserve' (Reserve stock)
              completed elements: 'start' (Order placed)
              variables: amount=20
              incidents: none""")
        assert "should be terminated within 0.3s, but it is ACTIVE" in await failure(
            check.is_terminated()
        )
        await sdk_client.cancel_process_instance(key)
        message = await failure(check.is_active())
        assert "should be active within 0.3s, but it is TERMINATED." in message
        assert "terminated elements: 'reserve' (Reserve stock)" in message

    async def test_an_unknown_instance_fails(self, sdk_client: AsyncClient) -> None:
        message = await failure(assert_that(sdk_client, 123, timeout_s=FAIL_FAST_S).is_active())
        assert message.startswith("Process instance 123 should be active within 0.3s,")
        assert "but it is NOT FOUND." in message


class TestElementFailures:
    async def test_missing_elements_are_named_with_what_they_show(
        self, sdk_client: AsyncClient
    ) -> None:
        key = await start(sdk_client, ORDER, "order")
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.has_active_elements("reserve")
        message = await failure(check.has_active_elements("Reserve stock", "charge", "nope"))
        assert message.startswith(
            f"Process instance {key} should have active elements ['reserve' (Reserve stock),"
            " 'charge' (Charge card), 'nope'] within 0.3s, but these were not active:"
            " 'charge' (Charge card): not activated, 'nope': no element has this id or name.\n"
        )
        message = await failure(check.has_completed_elements("start", "reserve"))
        assert "but these were not completed: 'reserve' (Reserve stock): ACTIVE." in message
        message = await failure(check.has_terminated_elements("reserve"))
        assert "but these were not terminated: 'reserve' (Reserve stock): ACTIVE." in message
        message = await failure(check.has_not_activated_elements("paid", "Reserve stock"))
        assert (
            "should have not activated elements ['paid' (Paid), 'reserve' (Reserve stock)]"
            " within 0.3s, but these were activated: 'reserve' (Reserve stock): ACTIVE." in message
        )

    async def test_the_completion_order_is_shown(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order")
        await complete_jobs(sdk_client, "reserve")
        await complete_jobs(sdk_client, "charge")
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.is_completed()
        message = await failure(check.has_completed_elements_in_order("charge", "reserve"))
        assert (
            "should complete elements in order ['charge' (Charge card), 'reserve' (Reserve"
            " stock)] within 0.3s, but the completion order was: 'start' (Order placed),"
            " 'reserve' (Reserve stock), 'charge' (Charge card), 'paid' (Paid)." in message
        )


class TestVariables:
    async def test_variable_failures_name_what_differs(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, ORDER, "order", amount=20, customer={"name": "Ada"})
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.has_variables(customer={"name": "Ada"})
        message = await failure(check.has_variables(amount=30, status="paid"))
        assert message.startswith(
            f"Process instance {key} should have variables amount=30, status='paid' within"
            " 0.3s, but these differ: amount=20, status unset.\n"
        )
        assert "variables: amount=20, customer={'name': 'Ada'}" in message
        message = await failure(check.has_variable("status"))
        assert "should have variable 'status' within 0.3s, but 'status' is not set." in message


class TestIncidents:
    async def test_an_incident_is_found_and_shown(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, FRAGILE, "fragile")
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.has_no_incidents()
        message = await failure(check.has_incident())
        assert "should have an incident within 0.3s, but no such incident is active." in message
        (job,) = await sdk_client.activate_jobs("fragile", max_jobs=1, timeout_ms=60_000)
        await sdk_client.fail_job(job.job_key, retries=0, error_message="printer on fire")
        await check.has_incident()
        await check.has_incident("JOB_NO_RETRIES")
        message = await failure(check.has_no_incidents())
        assert "should have no incidents within 0.3s, but it has 1 active incident(s)." in message
        assert "incidents: JOB_NO_RETRIES at 'work': printer on fire" in message
        message = await failure(check.has_incident("EXTRACT_VALUE_ERROR"))
        assert "should have an incident of type EXTRACT_VALUE_ERROR within 0.3s" in message


class TestJobMocks:
    async def test_complete_jobs_completes_several(self, sdk_client: AsyncClient) -> None:
        keys = [await start(sdk_client, ORDER, "order", n=n) for n in range(2)]
        jobs = await complete_jobs(sdk_client, "reserve", {"reserved": True}, count=2)
        assert sorted(int(j.process_instance_key) for j in jobs) == keys
        for key in keys:
            await assert_that(sdk_client, key).has_active_elements("charge")
            await assert_that(sdk_client, key).has_variables(reserved=True)

    async def test_throw_error_takes_the_error_boundary(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, STOCK, "stock")
        job = await throw_error(sdk_client, "pick", "NO_STOCK", "none left")
        assert int(job.process_instance_key) == key
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.is_completed()
        await check.has_terminated_elements("pick")
        await check.has_completed_elements("no_stock", "Out of stock")
        await check.has_not_activated_elements("done")

    async def test_a_mock_without_a_job_fails(self, sdk_client: AsyncClient) -> None:
        with pytest.raises(AssertionError, match=re.escape("of type 'ghost' within 0.2s, but 0")):
            await complete_jobs(sdk_client, "ghost", timeout_s=0.2)
        with pytest.raises(AssertionError, match="expected 1 job"):
            await throw_error(sdk_client, "ghost", "X", timeout_s=0.2)


class TestTime:
    async def test_an_intermediate_timer_fires(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, DELAY, "delay")
        check = assert_that(sdk_client, key)
        await check.has_active_elements("Wait an hour")
        await increase_time(sdk_client, timedelta(minutes=59))
        await assert_that(sdk_client, key, timeout_s=FAIL_FAST_S).is_active()
        await increase_time(sdk_client, timedelta(minutes=1))
        await check.is_completed()
        await check.has_completed_elements("wait_an_hour", "end")

    async def test_a_timer_boundary_fires(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, DEADLINE, "deadline")
        check = assert_that(sdk_client, key)
        await check.has_active_elements("slow")
        await increase_time(sdk_client, timedelta(hours=1))
        await check.is_completed()
        await check.has_terminated_elements("Slow work")
        await check.has_completed_elements("too_late", "escalated")
        await check.has_not_activated_elements("done")

    async def test_a_timer_start_event_starts_an_instance_each_cycle(
        self, sdk_client: AsyncClient
    ) -> None:
        await sdk_client.deploy_resources({"hourly.bpmn": HOURLY})

        async def instances() -> list[int]:
            found = await sdk_client.search_process_instances(process_definition_id="hourly")
            return sorted(int(instance.process_instance_key) for instance in found.items)

        async def settled(count: int) -> list[int]:
            """The instances once there are ``count``; never more, not even a moment later."""

            async def reached() -> list[int] | None:
                keys = await instances()
                assert len(keys) <= count, f"expected {count} instance(s), found {keys}"
                return keys if len(keys) == count else None

            keys: list[int] = await wait_until(reached, message=f"{count} instance(s)")
            await anyio.sleep(FAIL_FAST_S)
            assert await instances() == keys
            return keys

        assert await instances() == []
        await increase_time(sdk_client, timedelta(hours=1))
        (first,) = await settled(1)
        await assert_that(sdk_client, first).is_completed()
        await assert_that(sdk_client, first).has_completed_elements("Every hour", "end")
        await increase_time(sdk_client, timedelta(hours=1))
        keys = await settled(2)
        assert first in keys
        for key in keys:
            await assert_that(sdk_client, key).is_completed()


class TestMessages:
    async def test_waiting_for_and_correlating_a_message(self, sdk_client: AsyncClient) -> None:
        key = await start(sdk_client, PAYMENT, "payment", order_id="o-1")
        check = assert_that(sdk_client, key, timeout_s=FAIL_FAST_S)
        await check.is_waiting_for_message("payment")
        await check.is_waiting_for_message("payment", correlation_key="o-1")
        message = await failure(check.is_waiting_for_message("payment", correlation_key="o-2"))
        assert "should wait for message 'payment' with correlation key 'o-2'" in message
        assert "message subscriptions: 'payment' (key 'o-1'): CREATED" in message
        message = await failure(check.has_correlated_message("payment"))
        assert "should have correlated message 'payment' within 0.3s" in message
        await sdk_client.publish_message(name="payment", correlation_key="o-1")
        await assert_that(sdk_client, key).is_completed()
        await check.has_correlated_message("payment")


# -- the helpers in a user's project, under each async test plugin ----------------------------

PROJECT_TESTS = """
import pytest

from sdk.testing import assert_that, complete_jobs

MODEL = (
    b'<?xml version="1.0"?><bpmn:definitions'
    b' xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    b' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">'
    b'<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
    b'<bpmn:serviceTask id="t" name="Task"><bpmn:extensionElements>'
    b'<zeebe:taskDefinition type="t"/></bpmn:extensionElements></bpmn:serviceTask>'
    b'<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    b'<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/></bpmn:process>'
    b'</bpmn:definitions>'
)

async def started(client):
    await client.deploy_resources({"p.bpmn": MODEL})
    created = await client.create_process_instance(process_definition_id="p")
    return created.process_instance_key

MARK
async def test_a_process_runs(sdk_client):
    key = await started(sdk_client)
    await assert_that(sdk_client, key).has_active_elements("Task")
    await complete_jobs(sdk_client, "t", {"done": True})
    await assert_that(sdk_client, key).is_completed()
    await assert_that(sdk_client, key).has_variables(done=True)

MARK
async def test_a_wrong_expectation_fails(sdk_client):
    key = await started(sdk_client)
    await assert_that(sdk_client, key, timeout_s=0.3).is_completed()
"""

ANYIO_TEST = """
@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_an_anyio_test_beside_them(sdk_client):
    key = await started(sdk_client)
    await assert_that(sdk_client, key).is_active()
"""

NO_DEV_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis")


def _run(pytester: pytest.Pytester, ini: str, tests: str, *plugins: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nfilterwarnings = error\n" + textwrap.dedent(ini))
    pytester.makepyfile(test_process=tests)
    return pytester.runpytest_subprocess(*NO_DEV_PLUGINS, *plugins, timeout=50)


def _failed_only_on_purpose(result: pytest.RunResult, passed: int) -> None:
    result.assert_outcomes(passed=passed, failed=1)
    result.stdout.fnmatch_lines(["*should be completed within 0.3s, but it is ACTIVE.*"])


class TestPlugins:
    def test_under_pytest_asyncio_auto_mode(self, pytester: pytest.Pytester) -> None:
        ini = "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        result = _run(pytester, ini, PROJECT_TESTS.replace("MARK\n", ""), "-p", "no:anyio")
        _failed_only_on_purpose(result, passed=1)

    def test_under_pytest_asyncio_strict_mode_beside_anyio(self, pytester: pytest.Pytester) -> None:
        ini = "asyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
        tests = PROJECT_TESTS.replace("MARK", "@pytest.mark.asyncio") + ANYIO_TEST
        _failed_only_on_purpose(_run(pytester, ini, tests), passed=2)

    def test_under_anyio_alone(self, pytester: pytest.Pytester) -> None:
        tests = PROJECT_TESTS.replace("MARK\n", "") + "\npytestmark = pytest.mark.anyio\n"
        _failed_only_on_purpose(_run(pytester, "", tests, "-p", "no:asyncio"), passed=1)
