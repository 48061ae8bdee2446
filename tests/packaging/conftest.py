"""Fixtures of the packaging tests: the built wheel and sdist, and fresh venvs with the wheel installed.

pip's cache is used (nothing is installed from this checkout but the wheel), so after the
first run the venvs take seconds to a minute each.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .packaging_support import Venv, build_distributions, start_emulator


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"wheel": path, "sdist": path}, built from this checkout as a user would (`python -m build`)."""
    return build_distributions(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def core_venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh venv with `pip install hfwidgets` (the wheel, no extras)."""
    return Venv.create(tmp_path_factory.mktemp("core") / "venv", sys.executable, dist["wheel"], extras="")


@pytest.fixture(scope="session")
def all_venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh venv with `pip install "hfwidgets[all]"`."""
    return Venv.create(tmp_path_factory.mktemp("all") / "venv", sys.executable, dist["wheel"], extras="all")


@pytest.fixture(scope="session")
def emulator_from_all_venv(all_venv: Venv) -> Iterator[str]:
    """`hfwidgets emulator --port 0` run from the [all] venv; yields its base URL."""
    process, base_url = start_emulator(all_venv)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
