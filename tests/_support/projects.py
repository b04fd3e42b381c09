"""A user's project folder: the handler module that ``python -m sdk.worker MODULE`` imports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def write_project(root: Path, module: str, source: str, *, dirs: Iterable[str] = ()) -> Path:
    """``root`` with ``source`` as the dotted ``module`` (packages get an empty ``__init__.py``)
    and the empty folders ``dirs``."""
    *packages, name = module.split(".")
    folder = root
    for package in packages:
        folder = folder / package
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
    (folder / f"{name}.py").write_text(source)
    for extra in dirs:
        (root / extra).mkdir()
    return root
