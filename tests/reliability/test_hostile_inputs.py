"""Bad data in, clear answers out: the checks behind the hostile rows of the fault matrix.

Gray images of 16 and 32 bits keep their tones, the journal's failures are typed
wherever they surface (history(), resume(), the widgets), and the emulator
answers absurd request bodies with 4xx, not a 500 with a traceback.
"""

from __future__ import annotations

import base64
import io
import itertools
from pathlib import Path
from typing import cast

import httpx
import pytest
from PIL import Image

import hfwidgets
from hfwidgets._client import Client
from hfwidgets._errors import JournalError
from hfwidgets._images import load_image, prepare_image
from hfwidgets._journal import Journal
from hfwidgets.emulator import EmulatorServer

from .reliability_scenarios import corrupt_journal, gray_ramp, small_png

GENERATE = "POST /higgsfield/generate"


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_wide_gray_images_keep_their_tones(mode: str) -> None:
    ramp = gray_ramp(mode)
    assert ramp.mode == mode
    prepared = prepare_image(load_image(ramp), (256, 96))
    sent = Image.open(io.BytesIO(base64.b64decode(prepared.value.split(",", 1)[1]))).convert("L")
    row = [cast(int, sent.getpixel((x, 48))) for x in range(sent.width)]  # one band: ints
    mean = sum(row) / len(row)
    assert 110 <= mean <= 145, f"{mode}: mean {mean:.0f} (a clipped conversion is nearly white)"
    assert row[0] <= 10 and row[-1] >= 245  # the ends of the ramp: black to white
    assert all(b >= a - 3 for a, b in itertools.pairwise(row))  # still a ramp


def test_sixteen_bit_png_file_keeps_its_tones(tmp_path: Path) -> None:
    path = tmp_path / "ramp16.png"
    gray_ramp("I;16").save(path)
    prepared = prepare_image(load_image(str(path)), (256, 96))
    sent = Image.open(io.BytesIO(base64.b64decode(prepared.value.split(",", 1)[1]))).convert("L")
    assert 110 <= sum(sent.histogram()[v] * v for v in range(256)) / (sent.width * sent.height) <= 145


async def test_history_and_resume_raise_journal_errors_not_sqlite_errors(
    quick_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFWIDGETS_HOME", str(tmp_path))
    corrupt_journal(tmp_path / "journal.sqlite3")
    with pytest.raises(JournalError, match="rename it") as caught:
        hfwidgets.history()
    assert caught.value.path == tmp_path / "journal.sqlite3"
    client = Client(api_key="hk-emulator", base_url=quick_emulator.base_url)
    try:
        with pytest.raises(JournalError, match=r"journal\.sqlite3"):
            await client.resume(timeout=5)
        assert client.journal_problem and str(tmp_path) in client.journal_problem
    finally:
        await client.aclose()


async def test_the_widgets_show_that_tasks_are_not_journalled(
    quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    from hfwidgets.widgets import AdsPanel, Studio

    journal_path = tmp_path / "journal.sqlite3"
    journal_path.mkdir()
    client = Client(api_key="hk-emulator", base_url=quick_emulator.base_url, journal=Journal(journal_path))
    studio = Studio(client=client, resume_pending=False)
    panel = AdsPanel(client=client)
    for widget in (studio, panel):
        assert widget.notice.startswith("⚠") and "not being journalled" in widget.notice, widget.notice
        assert str(journal_path) in widget.notice
    task = await client.generate(small_png(), "Face Punch", seed=3, width=128, height=224)
    assert task.id in quick_emulator.tasks and client.spent == 5  # generating still works
    await client.aclose()

    healthy = Client(
        api_key="hk-emulator", base_url=quick_emulator.base_url, journal=Journal(tmp_path / "ok.sqlite3")
    )
    assert Studio(client=healthy, resume_pending=False).notice == ""


def test_the_emulator_answers_deep_json_with_400_and_huge_bodies_with_413(
    quick_emulator: EmulatorServer,
) -> None:
    headers = {"Authorization": "Bearer hk-emulator", "Content-Type": "application/json"}
    url = quick_emulator.base_url + "/higgsfield/generate"
    before, tasks = quick_emulator.counters[GENERATE], len(quick_emulator.tasks)
    deep = httpx.post(url, content=b"[" * 100_000, headers=headers, timeout=30)
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["detail"]

    def endless() -> object:
        chunk = b" " * (1024 * 1024)
        for _ in range(64):  # 64 MB, sent without a length: refused once 32 MB arrived
            yield chunk

    huge = httpx.post(url, content=endless(), headers=headers, timeout=60)  # type: ignore[arg-type]
    assert huge.status_code == 413 and "over 32 MB" in huge.json()["detail"]
    assert quick_emulator.counters[GENERATE] == before + 2
    assert len(quick_emulator.tasks) == tasks
