"""A real browser for the dashboard tests: headless Chromium from the distribution, driven by
Playwright (never Playwright's own downloaded browsers).

CI installs it with ``apt-get install -y --no-install-recommends chromium fonts-dejavu-core``.
Where no Chromium binary exists the tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
"""Screenshots of every run (git-ignored)."""
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
"""The committed screenshots of the README, rewritten when ``SDK_UPDATE_SCREENSHOTS=1``."""


def chromium_path() -> str | None:
    """``$SDK_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else one on the ``PATH``."""
    candidates = [
        os.environ.get("SDK_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no Chromium binary found (looked at $SDK_CHROMIUM, /usr/bin/chromium and the"
            " PATH); install it with `apt-get install -y chromium` to run the browser tests"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


def save_screenshot(name: str, png: bytes, *, readme: bool = False) -> None:
    """Keep ``png`` under tests/artifacts/; a README screenshot also goes to docs/screenshots/
    when ``SDK_UPDATE_SCREENSHOTS=1``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(png)
    if readme and os.environ.get("SDK_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (README_SCREENSHOTS / name).write_bytes(png)
