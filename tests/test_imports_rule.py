"""No module of ``sdk`` imports another package's private modules.

A module may import the ``_x`` modules (and ``_x`` names) of its own package or of an ancestor
package (``sdk._logging`` from anywhere in ``sdk``; ``sdk.broker._problems`` from
``sdk.broker.http``), never those of a sibling or a child package: what a package offers the
rest of the code is what its ``__init__`` exports. Read from the source, so imports under
``TYPE_CHECKING`` and inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _is_private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _module_and_package(path: Path) -> tuple[str, str]:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    return ".".join(parts), ".".join(parts[:-1])


def _imported(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    """Every dotted name ``node`` imports, relative imports resolved against ``package``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    yield target
    yield from (f"{target}.{alias.name}" for alias in node.names)


def _owner_of_private(name: str) -> str | None:
    """The package whose private module or name ``name`` reaches first; ``None``: all public."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[:i])
    return None


def violations() -> list[str]:
    found: list[str] = []
    for path in sorted((SRC / "sdk").rglob("*.py")):
        module, package = _module_and_package(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in dict.fromkeys(_imported(node, package)):
                if not (name == "sdk" or name.startswith("sdk.")):
                    continue
                owner = _owner_of_private(name)
                if owner is None or package == owner or package.startswith(f"{owner}."):
                    continue
                where = path.relative_to(SRC.parent)
                found.append(f"{where}:{node.lineno}: {module} imports {name}")
                break  # one line per import statement is enough to find it
    return found


def test_no_module_imports_another_packages_private_modules() -> None:
    found = violations()
    assert not found, "private imports across packages:\n" + "\n".join(found)


def test_the_rule_is_checked_as_intended() -> None:
    assert _owner_of_private("sdk.models._batch.JobReport") == "sdk.models"
    assert _owner_of_private("sdk.client.__main__") is None
    assert _owner_of_private("sdk._logging") == "sdk"
    node = ast.parse("from ..models._batch import JobReport").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert list(_imported(node, "sdk.client")) == [
        "sdk.models._batch",
        "sdk.models._batch.JobReport",
    ]
