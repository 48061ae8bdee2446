"""The package as users get it: the wheel and sdist built from this checkout, installed into fresh
venvs (core only, and [all]), each smoke-tested; the core venv talks to an emulator started from
the [all] venv. The lowest and highest supported CPython versions are smoke-tested when present."""

from __future__ import annotations

import json
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from .packaging_support import SUPPORTED, Venv, find_python

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

OPTIONAL = {"av", "numpy", "starlette", "uvicorn", "pandas", "aiohttp", "httpx-aiohttp", "orjson"}


def test_wheel_and_sdist_hold_what_users_need(dist: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    for expected in (
        "hfwidgets/py.typed",
        "hfwidgets/data/motions.json",
        "hfwidgets/_cli.py",
        "hfwidgets/__main__.py",
        "hfwidgets/widgets/static/motion_grid.js",
    ):
        assert expected in names, expected
    info = next(name for name in names if name.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(dist["wheel"]).read(info).decode()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    core = [
        re.split(r"[<>=!~ ;\[]", line.removeprefix("Requires-Dist:").strip())[0].lower()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert "httpx" in core and not set(core) & OPTIONAL, core
    for extra in ("emulator", "video", "analysis", "aiohttp", "heic", "all", "tutorials", "notebooks"):
        assert f"Provides-Extra: {extra}" in metadata
    # Every tutorial and its images travel in the wheel (`hfwidgets tutorials` copies them out).
    for path in [
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
        *sorted((ROOT / "notebooks" / "images").iterdir()),
    ]:
        assert f"hfwidgets/tutorials/{path.relative_to(ROOT / 'notebooks').as_posix()}" in names, path.name
    assert "Project-URL: Source, https://github.com/hfwidgets/hfwidgets" in metadata
    entry_points = zipfile.ZipFile(dist["wheel"]).read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "hfwidgets = hfwidgets._cli:main" in entry_points
    assert "hfwidgets-emulator = hfwidgets._cli:emulator_main" in entry_points
    with tarfile.open(dist["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for expected in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "hfwidgets/_cli.py"):
        assert expected in members, expected


# --------------------------------------------------------------------------- core only


def test_core_install_has_none_of_the_optional_libraries(core_venv: Venv) -> None:
    assert not core_venv.distributions() & OPTIONAL
    done = core_venv.run("python", "-c", "import hfwidgets, hfwidgets.widgets; print(hfwidgets.__version__)")
    assert done.returncode == 0, done.stderr


def test_core_without_key_says_how_to_get_a_key_or_the_emulator(core_venv: Venv) -> None:
    done = core_venv.run("hfwidgets", "run", "cat.jpg", "--motion", "Static")
    assert done.returncode == 2
    assert "OPENAI_HK_API_KEY" in done.stderr and 'pip install "hfwidgets[emulator]"' in done.stderr
    code = (
        "import hfwidgets\n"
        "try:\n    hfwidgets.run('cat.jpg', 'Static', progress=False)\n"
        "except hfwidgets.MissingKeyError as error:\n    print(error)\n"
    )
    done = core_venv.run("python", "-c", code)
    assert 'pip install "hfwidgets[emulator]"' in done.stdout, done.stderr
    # A widget is built all the same and says it inside itself.
    done = core_venv.run("python", "-c", "import hfwidgets; print(hfwidgets.Studio().notice)")
    assert done.returncode == 0, done.stderr
    assert 'pip install "hfwidgets[emulator]"' in done.stdout, done.stdout


def test_core_emulator_help_shows_the_options_then_names_the_extra(core_venv: Venv) -> None:
    done = core_venv.run("hfwidgets", "emulator", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: hfwidgets emulator") and "--port" in done.stdout
    assert 'pip install "hfwidgets[emulator]"' in done.stdout


def test_core_copies_the_tutorials_out_of_the_wheel(core_venv: Venv) -> None:
    done = core_venv.run("hfwidgets", "tutorials", "tutorials")
    assert done.returncode == 0, done.stderr
    copied = sorted(path.name for path in (core_venv.work / "tutorials").glob("*.ipynb"))
    assert copied == sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert 'pip install "hfwidgets[tutorials]"' in done.stderr  # no Jupyter in a core install


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["hfwidgets", "emulator"], "emulator"),
        (["hfwidgets-emulator", "--port", "0"], "emulator"),
        (["python", "-m", "hfwidgets.emulator"], "emulator"),
        (["python", "-c", "import hfwidgets; hfwidgets.history().to_dataframe()"], "analysis"),
        (["python", "-c", "from hfwidgets._video import decode_frames; decode_frames('x.mp4')"], "video"),
        (["python", "-c", "import hfwidgets; hfwidgets.Client('hk-x', transport='aiohttp')"], "aiohttp"),
        (
            ["python", "-c", "from hfwidgets._notebook_html import export_html; export_html('x.ipynb')"],
            "tutorials",
        ),
    ],
)
def test_core_names_the_missing_extra(core_venv: Venv, argv: list[str], extra: str) -> None:
    done = core_venv.run(*argv)
    assert done.returncode != 0
    assert f'pip install "hfwidgets[{extra}]"' in done.stderr, done.stderr


def test_core_talks_to_an_emulator_from_the_all_venv(core_venv: Venv, emulator_from_all_venv: str) -> None:
    service = {
        "OPENAI_HK_BASE_URL": emulator_from_all_venv,
        "OPENAI_HK_API_KEY": "anything",
        "HFWIDGETS_MOTIONS_URL": f"{emulator_from_all_venv}/motions",
    }
    done = core_venv.run(
        "hfwidgets", "run", "cat.jpg", "-m", "Face Punch", "--out", "cli.mp4", "--json", env=service
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["feed"]["status"] == "completed" and (core_venv.work / "cli.mp4").stat().st_size > 0
    task_id = core_venv.run("hfwidgets", "submit", "cat.jpg", "-m", "Static", env=service).stdout.strip()
    assert core_venv.run("hfwidgets", "wait", task_id, env=service).returncode == 0
    history = json.loads(core_venv.run("hfwidgets", "history", "--json").stdout)
    assert {row["id"] for row in history} == {result["task"]["id"], task_id}
    code = (
        "import hfwidgets\n"
        "feed = hfwidgets.run('cat.jpg', 'Arc Left', seed=3, progress=False)\n"
        "print(feed.status, feed.download('api.mp4').stat().st_size > 0)\n"
    )
    done = core_venv.run("python", "-c", code, env=service)
    assert done.stdout.split() == ["completed", "True"], done.stderr


# --------------------------------------------------------------------------- everything


SMOKE = (
    "import hfwidgets\n"
    "feed = hfwidgets.run('cat.jpg', 'Face Punch', 'the cat eats', seed=1, progress=False)\n"
    "print(feed.status, feed.frames().ndim, len(hfwidgets.history()))\n"
)


def smoke_test_emulated(venv: Venv) -> None:
    """No key: the embedded emulator from Python (frames included) and from the command line."""
    done = venv.run("python", "-c", SMOKE)
    assert done.stdout.split() == ["completed", "4", "1"], done.stderr
    done = venv.run("hfwidgets", "run", "cat.jpg", "-m", "Static", "--json")
    assert done.returncode == 0, done.stderr
    assert Path(json.loads(done.stdout)["file"]).stat().st_size > 0


def test_all_works_end_to_end_without_a_key(all_venv: Venv) -> None:
    assert all_venv.distributions() >= OPTIONAL
    smoke_test_emulated(all_venv)
    table = all_venv.run("python", "-c", "import hfwidgets; print(len(hfwidgets.history().to_dataframe()))")
    assert table.stdout.strip() == "2", table.stderr


@pytest.mark.parametrize("which", ["lowest", "highest"])
def test_supported_python_versions(which: str, dist: dict[str, Path], tmp_path: Path) -> None:
    version = min(SUPPORTED) if which == "lowest" else max(SUPPORTED)
    shown = ".".join(map(str, version))
    python = find_python(version)
    if python is None:
        print(f"skipped: CPython {shown} not found (pyenv, uv, python{shown} on PATH)")
        pytest.skip(f"CPython {shown} ({which} supported) is not installed here")
    # [emulator] rather than [all]: the parts with compiled wheels per version (PyAV, numpy), quicker.
    venv = Venv.create(tmp_path / "venv", python, dist["wheel"], extras="emulator")
    assert venv.run("python", "-c", "import sys; print(sys.version_info[:2])").stdout.strip() == str(version)
    smoke_test_emulated(venv)
