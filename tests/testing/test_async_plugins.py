"""The ``sdk.testing`` fixtures and helpers in a user's project, under each async test plugin.

Each case writes a small project (config + test file) and runs pytest on it in a subprocess,
as the user would: pytest-asyncio in auto mode, pytest-asyncio in strict mode next to an anyio
test in the same file, and anyio's plugin alone. ``filterwarnings = error`` in the project
turns pytest-asyncio's "async @pytest.fixture in strict mode" deprecation into a failure.
Every file has one test that must fail, so a run that skips or no-ops the tests cannot pass.
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

HANDLERS = """
import pytest

from sdk.models import JobState
from sdk.testing import run_job, run_worker_until, running, wait_until
from sdk.worker import JobError, Worker

worker = Worker()

@worker.task("greet")
async def greet(name: str) -> dict[str, str]:
    return {"greeting": f"Hello, {name}!"}

@worker.task("charge")
def charge(amount: float) -> dict[str, float]:
    if amount <= 0:
        raise JobError("INVALID_AMOUNT", "nothing to charge")
    return {"charged": amount}
"""

TESTS = """
MARK
async def test_run_job_completes(sdk_client):
    job = await run_job(worker, sdk_client, "greet", {"name": "Ada"})
    assert (job.state, job.variables["greeting"]) == (JobState.COMPLETED, "Hello, Ada!")

MARK
async def test_run_job_reports_a_business_error(sdk_client):
    job = await run_job(worker, sdk_client, "charge", {"amount": 0})
    assert (job.state, job.error_code) == (JobState.ERROR_THROWN, "INVALID_AMOUNT")

MARK
async def test_running_and_run_worker_until(sdk_broker, sdk_client):
    assert sdk_broker.url.startswith("http://127.0.0.1:")

    async def completed(key):
        return (await sdk_client.get_job(key)).state == JobState.COMPLETED

    first = await sdk_client.create_job("greet", {"name": "Bo"})
    async with running(worker, sdk_client):
        await wait_until(lambda: completed(first), timeout_s=10)
    second = await sdk_client.create_job("greet", {"name": "Di"})
    assert await run_worker_until(worker, sdk_client, lambda: completed(second), timeout_s=10)

MARK
async def test_a_wrong_expectation_fails(sdk_client):
    job = await run_job(worker, sdk_client, "greet", {"name": "Cy"})
    assert job.variables["greeting"] == "Hi, Cy!"
"""

ANYIO_TEST = """
@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_an_anyio_test_beside_them(sdk_client):
    job = await run_job(worker, sdk_client, "greet", {"name": "Eve"})
    assert job.variables["greeting"] == "Hello, Eve!"
"""

# Our own dev-only plugins would only slow each run's start-up; a user's project has its own.
NO_DEV_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis")


def _project(pytester: pytest.Pytester, ini: str, tests: str) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n" + textwrap.dedent(ini))
    pytester.makepyfile(test_handlers=HANDLERS + tests)


def _run(pytester: pytest.Pytester, *plugins: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*NO_DEV_PLUGINS, *plugins, timeout=50)


def _assert_failed_only_on_purpose(result: pytest.RunResult, passed: int) -> None:
    result.assert_outcomes(passed=passed, failed=1)
    result.stdout.fnmatch_lines(["*assert 'Hello, Cy!' == 'Hi, Cy!'*"])


def test_fixtures_run_under_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n",
        TESTS.replace("MARK\n", ""),
    )
    _assert_failed_only_on_purpose(_run(pytester, "-p", "no:anyio"), passed=3)


def test_fixtures_run_under_pytest_asyncio_strict_mode_beside_anyio(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        "asyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n",
        TESTS.replace("MARK", "@pytest.mark.asyncio") + ANYIO_TEST,
    )
    _assert_failed_only_on_purpose(_run(pytester), passed=4)


def test_fixtures_run_under_anyio_alone(pytester: pytest.Pytester) -> None:
    _project(pytester, "", "pytestmark = pytest.mark.anyio\n" + TESTS.replace("MARK\n", ""))
    _assert_failed_only_on_purpose(_run(pytester, "-p", "no:asyncio"), passed=3)
