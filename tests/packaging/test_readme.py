"""The README's examples run as written, with no key (so against the home's emulator) in a fresh
home: each Python block in a fresh interpreter, the shell block in a fresh shell. The files they
name (cat.jpg, ...) are the sample images of notebooks/images, in a temp dir."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCED.findall(README) if lang == language]


def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for image in (ROOT / "notebooks" / "images").iterdir():
        shutil.copy(image, work / image.name)
    return work


def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL")
    }
    env["HFWIDGETS_HOME"] = str(tmp_path / "home")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_two_commands_come_first_and_the_pip_line_follows() -> None:
    first, second = FENCED.findall(README)[:2]
    assert first[0] == "bash"
    assert [line.split("#")[0].strip() for line in first[1].splitlines()] == [
        "bash scripts/demo.sh",
        "bash scripts/test.sh",
    ]
    assert second == ("bash", 'pip install "hfwidgets[all]"\n')
    assert "https://raw.githubusercontent.com/hfwidgets/hfwidgets/main/docs/studio.png" in README


PYTHON_BLOCKS = blocks("python")


@pytest.mark.slow
@pytest.mark.parametrize(
    "code",
    PYTHON_BLOCKS,
    ids=[f"block{i}-{code.splitlines()[-1][:30]}" for i, code in enumerate(PYTHON_BLOCKS)],
)
def test_python_snippet_runs_as_written_without_a_key(code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir(tmp_path),
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{code}\n--- stderr:\n{done.stderr}"


def test_the_async_snippet_is_a_complete_script() -> None:
    (snippet,) = [code for code in PYTHON_BLOCKS if "async with" in code]
    assert "import asyncio" in snippet and "asyncio.run(" in snippet


def test_the_marimo_and_voila_snippets_are_what_the_host_tests_run() -> None:
    (snippet,) = [code for code in PYTHON_BLOCKS if "mo.ui.anywidget" in code]
    app = (ROOT / "tests" / "ui" / "kernel_side" / "studio_app.py").read_text(encoding="utf-8")
    started = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    for line in filter(None, (line.strip() for line in snippet.splitlines())):
        assert line in app, line  # the marimo app the browser tests generate a video with
    assert snippet in started
    # Voilà: the host tests serve the quickstart, whose Studio cell is the README's quickstart.
    assert "voila 01_quickstart.ipynb" in README and "voila 01_quickstart.ipynb" in started
    assert 'voila.url("01_quickstart.ipynb")' in (ROOT / "tests" / "ui" / "test_hosts.py").read_text()
    quickstart = (ROOT / "notebooks" / "01_quickstart.ipynb").read_text(encoding="utf-8")
    assert "studio = hfwidgets.Studio()" in quickstart


@pytest.mark.slow
def test_shell_examples_run_as_written_in_a_fresh_shell_without_a_key(tmp_path: Path) -> None:
    """The command-line block as it stands, with no key and a fresh home: the commands share the
    home's emulator, whose own counters say what was sent."""
    (examples,) = [code for code in blocks("bash") if "hfwidgets run" in code]
    from hfwidgets._home_emulator import find_emulator, stop_emulator

    work = workdir(tmp_path)
    home = tmp_path / "home"
    try:
        done = subprocess.run(
            ["bash", "--norc", "--noprofile", "-euo", "pipefail", "-c", examples],
            cwd=work,
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        emulator = find_emulator(home)
        assert emulator is not None  # the commands started it, in the background
        assert emulator.status()["counters"]["generate"] == 2  # run, submit: one POST each
    finally:
        stop_emulator(home)
    for produced in ("cat.mp4", "static.mp4", "tasks.csv"):
        assert (work / produced).stat().st_size > 0, produced
    assert len((work / "tasks.csv").read_text().splitlines()) == 3  # header and two tasks
