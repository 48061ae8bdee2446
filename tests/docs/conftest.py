"""Fixtures of the documentation tests: the repository, a headless Chromium, the built site."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .docs_support import REPO, ui_harness

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium (never `playwright install`). Tests using it are marked `ui`,
    so they run after every asyncio test (see tests/conftest.py)."""
    harness = ui_harness()
    path = harness.find_chromium()
    if path is None:
        pytest.skip("no Chromium: install Debian's `chromium` (scripts/setup.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=list(harness.CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built strictly (`mkdocs build --strict`) into a temp dir."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, f"strict docs build failed:\n{result.stderr[-4000:]}"
    return site
