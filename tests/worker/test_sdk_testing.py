"""``sdk.testing`` as a user meets it: a test file of their own, run by pytest in their project.

The plugin is registered by installing the package (entry point ``pytest11``), so the user's
project needs no conftest: the fixtures are just there.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from _support.processes import clean_env

USER_TESTS = textwrap.dedent(
    """
    import pytest

    from sdk.models import JobState
    from sdk.testing import run_job
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

    pytestmark = pytest.mark.anyio

    async def test_greets(sdk_client):
        job = await run_job(worker, sdk_client, "greet", {"name": "Ada"})
        assert job.variables["greeting"] == "Hello, Ada!"

    async def test_refuses_to_charge_nothing(sdk_client):
        job = await run_job(worker, sdk_client, "charge", {"amount": 0})
        assert (job.state, job.error_code) == (JobState.ERROR_THROWN, "INVALID_AMOUNT")

    async def test_a_wrong_expectation_fails(sdk_client):
        job = await run_job(worker, sdk_client, "greet", {"name": "Bob"})
        assert job.variables["greeting"] == "Hi, Bob!"
    """
)


def test_a_users_handler_tests_run_with_the_plugin_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_handlers.py").write_text(USER_TESTS)
    # Our dev-only plugins (hypothesis, schemathesis) are left out: a user's project has its
    # own set, and they only slow the start-up.
    no_plugins = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *no_plugins, "test_handlers.py"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=50,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert "1 failed, 2 passed" in summary, result.stdout + result.stderr
    assert "assert 'Hello, Bob!' == 'Hi, Bob!'" in result.stdout
