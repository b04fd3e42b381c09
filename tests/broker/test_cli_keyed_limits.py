"""``python -m sdk job-types limits --max-active-per-key`` against a real broker."""

from __future__ import annotations

import pytest

from sdk.broker import RunningBroker

from .test_cli_run_later import cli, store_path
from _support.cli import Cli

pytestmark = pytest.mark.anyio

__all__ = ["cli", "store_path"]  # the fixtures, used by name


async def test_a_keyed_limit_is_set_shown_and_kept(cli: Cli, broker: RunningBroker) -> None:
    done = await cli(
        "job-types", "limits", "export", "--max-active-per-key", "2", "--key-variable", "tenant"
    )
    assert done.code == 0, done.err
    assert "max-active-per-key=2 (variable tenant)" in done.out
    await cli("job-types", "limits", "export", "--max-active", "5")  # the keyed limit stays
    limits = await broker.store.get_limits("export")
    assert limits is not None
    assert (limits.max_active, limits.max_active_per_key, limits.key_variable) == (5, 2, "tenant")

    await cli("job-types", "limits", "export", "--key-header", "customer")  # the key moves
    limits = await broker.store.get_limits("export")
    assert limits is not None and (limits.key_variable, limits.key_header) == (None, "customer")

    await cli("job-types", "limits", "export", "--max-active-per-key", "none")
    limits = await broker.store.get_limits("export")
    assert limits is not None and limits.max_active_per_key is None and limits.key_header is None


async def test_a_keyed_limit_without_a_key_is_a_readable_error(
    cli: Cli, broker: RunningBroker
) -> None:
    refused = await cli("job-types", "limits", "export", "--max-active-per-key", "2")
    assert refused.code != 0 and "Traceback" not in refused.err
    assert "keyVariable" in refused.err or "key_variable" in refused.err
    assert await broker.store.get_limits("export") is None
