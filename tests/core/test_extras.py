"""One rule for the embedded default, and missing extras named in the errors.

Each scenario runs in a fresh interpreter: the embedded emulator is process-wide,
and a missing library is simulated by `sys.modules[name] = None`, which makes both
`importlib.util.find_spec` and `import` report it absent. The packaging tests prove
the same messages with a real core-only install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hfwidgets
from hfwidgets._errors import MissingExtra
from hfwidgets._extras import EXTRAS, available, require


def run_python(
    code: str, tmp_path: Path, *, hide: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    prelude = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in hide)
    environment = {
        k: v for k, v in os.environ.items() if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL")
    }
    environment["HFWIDGETS_HOME"] = str(tmp_path / "home")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_client_without_key_or_base_url_is_the_same_embedded_emulator_as_run(tmp_path: Path) -> None:
    done = run_python(
        """
        import asyncio
        import hfwidgets
        from hfwidgets._default_client import default_client

        async def main():
            async with hfwidgets.Client(journal=False) as client:
                task = await client.generate("https://example.com/cat.jpg", "Static", width=64, height=64)
                feed = await client.wait(task)
            return client, feed

        client, feed = asyncio.run(main())
        other = default_client(journal=False)   # what run(), resume() and the Studio use
        assert client.emulated and other.emulated, (client, other)
        assert client.base_url == other.base_url and client.base_url.startswith("http://127.0.0.1:")
        print(feed.status)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["completed"]
    assert done.stderr.count("synthetic") == 1  # one notice per process


def test_a_base_url_without_a_key_is_refused_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_HK_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(hfwidgets.MissingKeyError) as caught:
        hfwidgets.Client()
    message = str(caught.value)
    assert "OPENAI_HK_API_KEY" in message and "OPENAI_HK_BASE_URL" in message


def test_with_a_key_the_client_never_starts_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import _session

    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-some-key")
    client = hfwidgets.Client(journal=False)
    assert not client.emulated and client.base_url == "https://api.openai-hk.com"
    assert _session.wants_emulator(None, None) is False
    assert _session.wants_emulator(None, "http://127.0.0.1:9") is False


@pytest.mark.parametrize("entry", ["client", "run", "studio"])
def test_no_key_and_no_emulator_says_how_to_get_either(entry: str, tmp_path: Path) -> None:
    calls = {
        "client": "hfwidgets.Client()",
        "run": "hfwidgets.run('https://example.com/cat.jpg', 'Static', progress=False)",
        "studio": "hfwidgets.Studio()",
    }
    done = run_python(
        f"""
        import hfwidgets
        try:
            made = {calls[entry]}
        except hfwidgets.MissingKeyError as error:
            print("RAISED", error)
        else:  # the Studio shows it inside itself, in its notice, instead of raising
            print("SHOWN", made.notice)
        """,
        tmp_path,
        hide=("starlette", "uvicorn"),
    )
    assert done.returncode == 0, done.stderr
    # The Studio is built and shows the error inside itself; the others raise it.
    assert done.stdout.startswith("SHOWN" if entry == "studio" else "RAISED"), done.stdout
    assert "OPENAI_HK_API_KEY" in done.stdout
    assert 'pip install "hfwidgets[emulator]"' in done.stdout


def test_the_emulator_module_names_its_extra(tmp_path: Path) -> None:
    done = run_python(
        """
        try:
            import hfwidgets.emulator
        except ImportError as error:   # MissingExtra is an ImportError too
            import hfwidgets
            assert isinstance(error, hfwidgets.MissingExtra) and error.extra == "emulator"
            print(error)
        """,
        tmp_path,
        hide=("uvicorn",),
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "hfwidgets[emulator]"' in done.stdout and "'uvicorn'" in done.stdout


def test_frames_and_dataframes_name_their_extras(tmp_path: Path) -> None:
    done = run_python(
        """
        import hfwidgets
        from hfwidgets._video import decode_frames
        for call in (lambda: decode_frames("x.mp4"), lambda: hfwidgets.history().to_dataframe()):
            try:
                call()
            except hfwidgets.MissingExtra as error:
                print(error.extra, "|", error)
        """,
        tmp_path,
        hide=("av", "pandas"),
    )
    assert done.returncode == 0, done.stderr
    video, analysis = done.stdout.splitlines()
    assert video.startswith("video |") and 'pip install "hfwidgets[video]"' in video
    assert analysis.startswith("analysis |") and 'pip install "hfwidgets[analysis]"' in analysis


def test_the_core_imports_none_of_the_optional_libraries(tmp_path: Path) -> None:
    done = run_python(
        """
        import asyncio, io
        import hfwidgets
        from hfwidgets import _client, _journal, _video, _images, _cli
        from PIL import Image
        buffer = io.BytesIO(); Image.new("RGB", (80, 60)).save(buffer, "PNG")
        asyncio.run(asyncio.to_thread(_images.load_image, buffer.getvalue()))
        optional = {"numpy", "av", "pandas", "starlette", "uvicorn", "pillow_heif"}
        print(sorted(optional & set(sys.modules)))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_require_and_available() -> None:
    assert available("video") and available("emulator")
    require("analysis", "anything")  # installed here: no error
    error = MissingExtra("video", "Feed.frames()", "av")
    assert isinstance(error, ImportError) and isinstance(error, hfwidgets.HiggsfieldError)
    assert str(error) == (
        "Feed.frames() needs the \"video\" extra (module 'av' is not installed): "
        'pip install "hfwidgets[video]"'
    )
    assert set(EXTRAS) == {"emulator", "video", "analysis", "aiohttp", "heic", "tutorials"}
