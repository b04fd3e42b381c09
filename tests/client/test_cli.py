"""The ``sdk`` console script: one command table, and ``worker | broker | bench`` handed to
the ``python -m sdk.worker`` (etc.) command lines unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from sdk._cli import main
from sdk._cli._delegate import run_module


def console_script() -> Path:
    name = "sdk.exe" if os.name == "nt" else "sdk"
    script = Path(sysconfig.get_path("scripts")) / name
    assert script.exists(), f"{script} missing: install the project (pip install -e .)"
    return script


@pytest.mark.parametrize("command", ["worker", "broker", "bench"])
def test_the_console_script_runs_each_delegated_command(command: str) -> None:
    done = subprocess.run(
        [str(console_script()), command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m sdk.{command} ")


def test_python_m_sdk_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sdk", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    commands = (
        "jobs,login,profiles,whoami,logout,job-types,processes,incidents,messages,signals,schedules,"
        "worker,broker,bench"
    )
    assert "{" + commands + "}" in done.stdout


def test_a_delegated_commands_errors_are_its_own() -> None:
    done = subprocess.run(
        [str(console_script()), "broker", "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "python -m sdk.broker: error: unrecognized arguments" in done.stderr


def test_unknown_options_of_our_own_commands_are_still_refused() -> None:
    with pytest.raises(SystemExit) as refused:
        main(["jobs", "get", "1", "--no-such-option"])
    assert refused.value.code == 2


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module that prints its argv and selected profile, then exits with status 3."""
    (tmp_path / "cli_probe.py").write_text(
        textwrap.dedent(
            """
            import os, sys
            print(sys.argv[1:], os.environ.get("SDK_PROFILE"), __name__)
            sys.exit(3)
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("SDK_PROFILE", raising=False)
    return "cli_probe"


def test_a_delegate_gets_the_rest_of_the_line_and_gives_its_status(
    probe: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = sys.argv
    assert run_module(probe, ["app:worker", "--processes", "2"], profile="staging") == 3
    assert capsys.readouterr().out == "['app:worker', '--processes', '2'] staging __main__\n"
    assert sys.argv is argv and "SDK_PROFILE" not in os.environ


def test_a_profile_name_no_profile_can_have_is_a_usage_error(
    probe: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_module(probe, [], profile="no/such") == 2
    assert capsys.readouterr().err.startswith("error: invalid profile name 'no/such'")
