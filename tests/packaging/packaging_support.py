"""Building the distributions, making venvs from them, and finding other CPython versions."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "notebooks" / "images"
SUPPORTED: list[tuple[int, int]] = [
    (int(major), int(minor))
    for major, minor in re.findall(
        r'"Programming Language :: Python :: (3)\.(\d+)"', (ROOT / "pyproject.toml").read_text("utf-8")
    )
]
"""The CPython versions pyproject.toml declares, from its classifiers."""


def build_distributions(out: Path) -> dict[str, Path]:
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = out.glob("hfwidgets-*.whl")
    (sdist,) = out.glob("hfwidgets-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def clean_environment(home: Path) -> dict[str, str]:
    """No key, no base URL, a private journal; nothing of this checkout on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL", "PYTHONPATH")
        and not k.startswith("VIRTUAL_ENV")
    }
    env["HFWIDGETS_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Venv:
    """A venv holding the wheel: run its python and its console scripts from a scratch directory."""

    path: Path

    @classmethod
    def create(cls, path: Path, python: str, wheel: Path, *, extras: str) -> Venv:
        subprocess.run([python, "-m", "venv", str(path)], check=True, capture_output=True, timeout=300)
        requirement = f"hfwidgets[{extras}] @ {wheel.as_uri()}" if extras else str(wheel)
        done = subprocess.run(
            # --no-compile: byte-compiling numpy and pandas would take longer than installing them.
            [str(path / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-compile", requirement],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        venv = cls(path)
        (venv.work / "home").mkdir(parents=True, exist_ok=True)
        for image in IMAGES.iterdir():
            shutil.copy(image, venv.work / image.name)
        return venv

    @property
    def work(self) -> Path:
        return self.path.parent / "work"

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def env(self, **extra: str) -> dict[str, str]:
        env = clean_environment(self.work / "home")
        env["PATH"] = f"{self.path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env

    def run(
        self, *argv: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A console script of this venv (`hfwidgets`, ...) or `python`, in its work directory."""
        program = self.python if argv[0] == "python" else str(self.path / "bin" / argv[0])
        return subprocess.run(
            [program, *argv[1:]],
            cwd=self.work,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def distributions(self) -> set[str]:
        listed = self.run("python", "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check")
        return {
            line.split("==")[0].lower().replace("_", "-")
            for line in listed.stdout.splitlines()
            if "==" in line
        }


def start_emulator(venv: Venv) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [str(venv.path / "bin" / "hfwidgets"), "emulator", "--port", "0"],
        cwd=venv.work, env=venv.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    if match is None:
        process.kill()
        raise AssertionError(f"the emulator did not start: {first}{process.stdout.read()}")
    return process, match.group(1)


def find_python(version: tuple[int, int]) -> str | None:
    """A CPython `version` from pyenv, uv, or a versioned python3.x on PATH; None when absent."""
    name = f"python{version[0]}.{version[1]}"
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        glob.glob(str(pyenv_root / "versions" / f"{version[0]}.{version[1]}.*" / "bin" / name))
    )
    if shutil.which("uv"):
        found = subprocess.run(
            ["uv", "python", "find", f"{version[0]}.{version[1]}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(found.stdout.strip())
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys, venv, ensurepip; print(sys.version_info[:2])"],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == str(version):
            return candidate
    return None
