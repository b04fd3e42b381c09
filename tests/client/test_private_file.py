"""``write_private``: the one writer of files that hold secrets (profiles, OAuth tokens)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from sdk.client._private_file import write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_the_folder_and_a_file_only_the_owner_reads(tmp_path: Path) -> None:
    target = tmp_path / "config" / "profiles.json"
    write_private(target, "{}")
    assert target.read_text(encoding="utf-8") == "{}"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 & ~_umask()


def test_replaces_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "token.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write_private(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["token.json"]


def test_a_leftover_temporary_file_does_not_lend_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "token.json"
    leftover = tmp_path / f".token.json.{os.getpid()}.{threading.get_ident()}"
    leftover.write_text("stale", encoding="utf-8")
    leftover.chmod(0o666)
    write_private(target, "fresh")
    assert mode(target) == 0o600 and target.read_text(encoding="utf-8") == "fresh"
    assert not leftover.exists()


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        write_private(target, "secret")
    assert target.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
