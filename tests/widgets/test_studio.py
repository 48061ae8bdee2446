"""Studio against a real emulator: one widget model; selection, uploads and settings flow into the
request; generate, cancel, double clicks, errors, budget, the emulator banner, copy as code,
history, resuming, media over the widget channel, saved-state size."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from hfwidgets._catalog import resolve_motion
from hfwidgets._errors import ValidationError
from hfwidgets._models import SIZE_PRESETS, Feed
from hfwidgets._requests import GenerateRequest
from hfwidgets.widgets import Studio
from hfwidgets.widgets._status import Busy, EntryStatus

from .widget_support import fast_client, from_view, png_bytes, sent_to_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer

GENERATE = "POST /higgsfield/generate"
STATE_BUDGET = 60 * 1024


async def make_studio(client: Client, photo: bytes | None = None, **kwargs: Any) -> Studio:
    """A Studio whose background work (catalogue, resuming) is done, with `photo` chosen in the view."""
    studio = Studio(client, **kwargs)
    await asyncio.gather(*studio._background)
    if photo is not None:
        from_view(
            studio, {"type": "upload", "frame": "first", "name": "cat.png", "mime": "image/png"}, [photo]
        )
    return studio


def posts(server: EmulatorServer) -> int:
    return int(server.counters.get(GENERATE, 0))


def click(studio: Studio, kind: str, **content: Any) -> None:
    from_view(studio, {"type": kind, **content})


async def test_generate_makes_a_video_from_the_chosen_settings(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    motion = resolve_motion("Face Punch")
    # The 4:3 image selected the matching preset.
    assert studio.size == "4:3"
    studio.model = "turbo"
    studio.seed = 4242  # typed: kept
    assert studio.keep_seed
    studio.prompt = "the cat waves"
    studio.enhance_prompt = False

    click(studio, "generate")
    assert studio.busy == "submitting"
    feed = await studio.wait()

    assert isinstance(feed, Feed)
    assert studio.result is feed and studio.results == [feed]
    assert feed.status == "completed" and feed.video_url
    sent = private_emulator.tasks[feed.id].params
    assert sent["motion_id"] == motion.id
    assert sent["model"] == "turbo"
    assert sent["seed"] == 4242
    assert (sent["width"], sent["height"]) == SIZE_PRESETS["4:3"]
    assert sent["prompt"] == "the cat waves"
    assert sent["enhance_prompt"] is False
    # The result is on show, the history has it, the buttons are back.
    assert studio.result_state["video_url"] == feed.video_url
    assert studio.result_state["video"].startswith("media:")  # the emulator is on 127.0.0.1
    assert [e.task_id for e in studio.entries] == [feed.id]
    assert studio.entries[0].thumbnail == studio._frames.thumbnails[0]
    assert studio.busy == ""
    assert studio.errors.message == ""
    assert private_client.spent == 7
    assert "spent so far: 7 pts" in studio.cost["text"]


async def test_an_explicit_size_wins_over_the_images_preset(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    studio = Studio(
        private_client, image=photo_bytes, motion="Face Punch", width=736, height=1312
    )  # a 4:3 image
    await asyncio.gather(*studio._background)
    assert (studio.width, studio.height, studio.size) == (736, 1312, "9:16")
    click(studio, "generate")
    feed = await studio.wait()
    assert feed is not None
    sent = private_emulator.tasks[feed.id].params
    assert (sent["width"], sent["height"]) == (736, 1312)
    # A size chosen in the view is kept too when another image comes.
    other = await make_studio(private_client)
    other.size = "1:1"
    from_view(other, {"type": "upload", "frame": "first", "name": "cat.png"}, [photo_bytes])
    assert (other.width, other.height, other.size) == (*SIZE_PRESETS["1:1"], "1:1")


async def test_unkept_seed_is_new_for_every_generate_and_history_grows(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    seeds = []
    for _ in range(2):
        assert studio.generate() is not None
        feed = await studio.wait()
        assert feed is not None
        seeds.append(private_emulator.tasks[feed.id].params["seed"])
        assert seeds[-1] == studio.seed  # the seed used is the one shown
    assert seeds[0] != seeds[1]
    assert len(studio.results) == 2 and len(studio.entries) == 2
    assert [item["n"] for item in studio.history] == [1, 2]
    assert all(
        re.search(r"Face Punch · lite · seed \d+ · completed", item["label"]) for item in studio.history
    )
    assert posts(private_emulator) == 2


async def test_new_seed_does_not_keep_it_but_a_typed_one_does(emulator_client: Client) -> None:
    studio = await make_studio(emulator_client)
    before = studio.seed
    click(studio, "new_seed")
    assert not studio.keep_seed
    studio.seed = 99
    assert studio.keep_seed and before != 0


async def test_a_double_click_submits_once(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    waiting = asyncio.Event()

    def on_busy(change: dict[str, Any]) -> None:
        if change["new"] == Busy.WAITING:
            waiting.set()

    studio.observe(on_busy, names=["busy"])
    click(studio, "generate")
    click(studio, "generate")  # before the first click's task even started
    await asyncio.wait_for(waiting.wait(), timeout=60)
    click(studio, "generate")  # while the first is waiting
    await studio.wait()
    assert posts(private_emulator) == 1
    assert len(studio.results) == 1


async def test_cancel_stops_waiting_and_the_task_lives_on(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    private_emulator.faults.delay("feed", 0.3)  # the first reads are slow: time to press Cancel
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    run = studio.generate()
    assert run is not None
    for _ in range(200):
        if studio.busy == "waiting":
            break
        await asyncio.sleep(0.02)
    assert studio.busy == "waiting", "Cancel never became available"
    for _ in range(100):  # the ticker shows elapsed time and an estimate while waiting
        if "elapsed" in studio.status:
            break
        await asyncio.sleep(0.02)
    assert re.search(r"#1 \w.* · \d+ s elapsed · (about \d+ s left|taking longer than usual)", studio.status)
    assert studio.progress["max"] >= 1  # the bar shows while waiting
    click(studio, "cancel")
    assert await run is None
    assert studio.progress == {}  # no video is coming: the bar went away

    entry = studio.entries[0]
    assert entry.status == "waiting stopped"
    assert entry.task_id is not None
    assert "continues on the server" in studio.status and entry.task_id in studio.status
    assert studio.results == [] and studio.busy == ""
    assert private_client.journal is not None
    assert [r.id for r in private_client.journal.pending(private_client.base_url)] == [entry.task_id]
    private_emulator.faults.clear()
    done = await private_client.wait(entry.task_id, timeout=30)
    assert done.status == "completed"
    assert posts(private_emulator) == 1


async def test_pending_tasks_of_an_earlier_kernel_are_resumed_into_the_history(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    earlier = fast_client(private_emulator)
    task = await earlier.generate(photo_bytes, "Face Punch", seed=11)  # submitted, never waited on
    await earlier.aclose()

    later = fast_client(private_emulator)
    try:
        studio = await make_studio(later)
        assert [e.task_id for e in studio.entries] == [task.id]
        assert [f.id for f in studio.results] == [task.id]
        assert studio.results[0].status == "completed"
        assert later.journal is not None and later.journal.pending(later.base_url) == []
    finally:
        await later.aclose()


async def test_resumed_tasks_show_their_end_as_a_status_of_the_enum(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    """The Studio resumes through `Client.resume`: each pending task is an entry as it starts, and
    ends completed, or "not resumed" when the service does not know it; the saved state and the
    view read plain strings."""
    earlier = fast_client(private_emulator)
    task = await earlier.generate(photo_bytes, "Face Punch", seed=11)  # submitted, never waited on
    await earlier.aclose()
    assert earlier.journal is not None
    gone = GenerateRequest(photo_bytes, "Bullet Time", seed=3, width=320, height=240).to_task("gone-1", 5)
    earlier.journal.record(gone, base_url=private_emulator.base_url)

    later = fast_client(private_emulator)
    try:
        studio = await make_studio(later)
        statuses = {entry.task_id: entry.status for entry in studio.entries}
        assert statuses == {task.id: EntryStatus.COMPLETED, "gone-1": EntryStatus.NOT_RESUMED}
        assert all(isinstance(status, EntryStatus) for status in statuses.values())
        unknown = next(entry for entry in studio.entries if entry.task_id == "gone-1")
        assert "does not know" in unknown.note and repr(unknown).endswith("status='not resumed')")
        shown = json.loads(json.dumps(studio.get_state()["history"]))
        assert {item["task_id"]: item["label"].rsplit(" · ", 1)[1] for item in shown} == {
            task.id: "completed",
            "gone-1": "not resumed",
        }
        assert [f.id for f in studio.results] == [task.id]
        assert studio.busy == Busy.IDLE and json.dumps(studio.get_state()["busy"]) == '""'
    finally:
        await later.aclose()


async def test_validation_errors_name_the_field_and_send_nothing(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    studio = await make_studio(private_client)
    click(studio, "generate")
    assert "ValidationError: image=" in studio.errors.message

    from_view(studio, {"type": "upload", "frame": "first", "name": "cat.png"}, [photo_bytes])
    click(studio, "generate")
    assert "ValidationError: motion=None" in studio.errors.message

    studio.motion = "Face Punch"
    with pytest.raises(ValidationError, match="multiple of 8") as caught:
        studio.width = 700  # refused as it is set, as the request would refuse it
    assert caught.value.field == "width" and studio.width == SIZE_PRESETS["4:3"][0]
    studio.set_state({"width": 700})  # the same from the view: shown in the Studio
    assert "width=700" in studio.errors.message and "multiple of 8" in studio.errors.message
    assert studio.size == "4:3"
    with pytest.raises(ValidationError, match="seed=0"):
        studio.seed = 0
    assert posts(private_emulator) == 0
    assert studio.busy == ""


async def test_api_errors_are_shown_inside_the_studio(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    private_emulator.faults.credits = 0
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    assert studio.generate() is not None
    await studio.wait()
    await asyncio.sleep(0)
    message = studio.errors.message
    assert "InsufficientCredits" in message and "402" in message
    assert "hk-emulator" not in message
    assert studio.result_state["error"]
    assert studio.entries[0].status == "not submitted"
    assert studio.busy == ""


async def test_a_failed_task_is_shown_with_its_status(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    private_emulator.faults.task_outcome("nsfw")
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    studio.generate()
    feed = await studio.wait()
    await asyncio.sleep(0)
    assert feed is not None and feed.status == "nsfw"
    assert "TaskFailed" in studio.errors.message and "nsfw" in studio.errors.message
    assert studio.result_state["status"] == "nsfw"


async def test_budget_refusal_is_shown_before_sending(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    client = fast_client(private_emulator, budget=6)
    try:
        studio = await make_studio(client, photo_bytes, motion="Face Punch")
        studio.model = "turbo"  # 7 points > 6
        assert "over budget" in studio.cost["warning"]
        click(studio, "generate")
        assert "BudgetExceeded" in studio.errors.message
        assert posts(private_emulator) == 0
        assert studio.entries == []
    finally:
        await client.aclose()


async def test_no_key_means_the_emulator_and_a_banner_without_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets import _session
    from hfwidgets._home_emulator import find_emulator

    monkeypatch.delenv("OPENAI_HK_API_KEY", raising=False)
    monkeypatch.setattr(_session, "_announced", False)
    studio = Studio(resume_pending=False)
    try:
        await asyncio.gather(*studio._background)
        assert studio.client.emulated and studio.emulated
        assert repr(studio).endswith("emulated=True)")
        assert "emulator" not in capsys.readouterr().err
        running = find_emulator()  # the home's emulator, in the background
        assert running is not None and studio.client.base_url == running.base_url
    finally:
        await studio.client.aclose()
        from hfwidgets._home_emulator import stop_emulator

        stop_emulator()


@pytest.mark.parametrize("panel", ["Studio", "AdsPanel", "Explorer"])
async def test_without_key_or_emulator_the_widget_shows_how_to_get_either(
    panel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hfwidgets.widgets
    from hfwidgets import _extras, _session
    from hfwidgets._home_emulator import find_emulator

    monkeypatch.delenv("OPENAI_HK_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_HK_BASE_URL", raising=False)
    installed = _extras.available
    # The emulator reported missing where the session asks for it (as a core-only install would).
    monkeypatch.setattr(_session, "available", lambda extra: extra != "emulator" and installed(extra))
    by_panel: dict[str, dict[str, Any]] = {
        "Studio": {"motion": "Face Punch"},
        "Explorer": {"motions": ["Face Punch", "Eyes In"]},
    }
    options = by_panel.get(panel, {})
    widget = getattr(hfwidgets.widgets, panel)(image=png_bytes(), **options)  # built, not raised
    assert widget.notice.startswith("⚠ No API key") and 'pip install "hfwidgets[emulator]"' in widget.notice
    assert not widget.emulated and widget.cost == {} and repr(widget).startswith(panel + "(")
    assert widget.generate() is None  # refused inside the widget, nothing started
    assert "MissingKeyError" in widget.error and 'pip install "hfwidgets[emulator]"' in widget.error
    assert _session.wants_emulator(None, None) and find_emulator() is None  # none was started


async def test_a_client_with_a_key_shows_no_banner(private_emulator: EmulatorServer) -> None:
    from hfwidgets._client import Client

    client = Client(
        api_key="hk-test-not-emulated",
        base_url=private_emulator.base_url,
        motions_url=private_emulator.motions_url,
    )
    try:
        studio = Studio(client, resume_pending=False)
        await asyncio.gather(*studio._background)
        assert studio.emulated is False
    finally:
        await client.aclose()


async def test_copy_as_code_saves_the_upload_once_and_follows_the_settings(
    emulator_client: Client, photo_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch")
    studio.seed = 777
    studio.prompt = 'it\'s "fine"'
    click(studio, "copy")
    code = studio.code
    assert code == studio.copy_as_code()
    call = next(
        n
        for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "hfwidgets.run"
    )
    (image,) = [ast.literal_eval(a) for a in call.args]
    assert re.fullmatch(r"hfwidgets-inputs/[0-9a-f]{16}\.png", image)
    assert (tmp_path / image).read_bytes() == photo_bytes
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert kwargs["motion"] == resolve_motion("Face Punch").id
    assert kwargs["seed"] == 777 and kwargs["prompt"] == 'it\'s "fine"'
    assert (kwargs["width"], kwargs["height"]) == SIZE_PRESETS["4:3"]
    # The code box follows new settings; the image is saved once.
    studio.model = "standard"
    studio.seed = 778
    assert "model='standard'" in studio.code and "seed=778" in studio.code
    assert len(list((tmp_path / "hfwidgets-inputs").iterdir())) == 1


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 140, 200)).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]  # the header is whole, the pixels are cut off


async def test_a_refused_upload_leaves_the_previous_frame_in_the_view_and_in_python(
    emulator_client: Client, photo_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch")
    shown = dict(studio.frames[0])
    before = studio.images
    from_view(
        studio,
        {"type": "upload", "frame": "first", "name": "broken.jpg", "mime": "image/jpeg"},
        [truncated_jpeg()],
    )
    assert "ValidationError" in studio.errors.message and "first frame" in studio.errors.message
    assert studio.frames[0] == shown  # the view still shows cat.png
    assert studio.images == before and studio.images[0].format == "PNG"
    code = studio.copy_as_code()
    assert "broken" not in code
    saved = [path.read_bytes() for path in (tmp_path / "hfwidgets-inputs").iterdir()]
    assert saved == [photo_bytes]


async def test_copied_code_reproduces_the_video_in_a_fresh_process(
    private_client: Client,
    private_emulator: EmulatorServer,
    photo_bytes: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    studio = await make_studio(private_client, photo_bytes, motion="Face Punch", seed=31337)
    studio.generate()
    feed = await studio.wait()
    assert feed is not None
    script = tmp_path / "again.py"
    script.write_text(studio.copy_as_code() + "print(feed.params.seed, feed.params.width, feed.status)\n")
    env = {**os.environ, "OPENAI_HK_API_KEY": "hk-emulator", "OPENAI_HK_BASE_URL": private_emulator.base_url,
           "HFWIDGETS_MOTIONS_URL": private_emulator.motions_url}  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["31337", str(feed.params.width), "completed"]


async def test_history_show_and_reuse_restore_parameters(emulator_client: Client, photo_bytes: bytes) -> None:
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch")
    studio.seed = 1234
    studio.prompt = "first"
    studio.generate()
    first = await studio.wait()
    studio.motion = studio.motions[3]
    studio.model, studio.seed, studio.width, studio.height = "standard", 99, 1024, 1024
    studio.prompt, studio.enhance_prompt = "second", False
    studio.generate()
    second = await studio.wait()
    assert first is not None and second is not None
    assert studio.result_state["feed_json"]["id"] == second.id

    click(studio, "show", n=1)
    assert studio.result_state["feed_json"]["id"] == first.id and studio.shown_entry == 1
    click(studio, "reuse", n=1)
    assert studio.motion is not None and studio.motion.name == "Face Punch"
    values = studio.values
    assert (values.model, values.seed, values.prompt, values.enhance_prompt) == ("lite", 1234, "first", True)
    assert (values.width, values.height) == SIZE_PRESETS["4:3"]
    assert studio.keep_seed is True


async def test_media_go_over_the_channel_never_into_the_state(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch")
    studio.generate()
    feed = await studio.wait()
    assert feed is not None and feed.video_url
    sent = sent_to_view(studio)
    video_ref = studio.result_state["video"]
    preview_ref = studio.frames[0]["preview"]
    for ref in (video_ref, preview_ref):
        click(studio, "media", key=ref.removeprefix("media:"))
    for _ in range(200):
        if len(sent) == 2:
            break
        await asyncio.sleep(0.02)
    answers = {content["key"]: (content, buffers) for content, buffers in sent}
    video, video_bytes = answers[video_ref.removeprefix("media:")]
    assert video["mime"] == "video/mp4" and video_bytes[0][4:8] == b"ftyp"
    image, image_bytes = answers[preview_ref.removeprefix("media:")]
    assert image["mime"] == "image/jpeg" and image_bytes[0][:2] == b"\xff\xd8"
    # A key the kernel did not hand out is refused: a view cannot make it read arbitrary URLs.
    click(studio, "media", key="u-not-registered")
    assert sent[-1][0] == {"type": "media", "key": "u-not-registered", "error": "unknown media"}


async def test_saved_state_of_a_studio_and_three_results_is_small(
    emulator_client: Client, photo_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # "Copy as code" saves the upload next to the notebook
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch")
    for _ in range(3):
        studio.generate()
        await studio.wait()
    click(studio, "copy")
    click(studio, "compare", n=[1, 2, 3])
    assert len(studio.comparison["items"]) == 3
    state = {k: v for k, v in studio.get_state().items()}
    text = json.dumps(state, ensure_ascii=False)
    size = len(text.encode())
    print(
        f"\nsaved state, Studio + 3 results + a comparison: {size} bytes "
        f"(ESM {len(studio._esm)}, CSS {len(studio._css)}, comparison {len(json.dumps(studio.comparison))})"
    )
    assert size <= STATE_BUDGET
    assert "hk-emulator" not in text
    assert "base64" not in text and "data:image" not in text and "data:video" not in text


async def test_chinese_ui(emulator_client: Client, photo_bytes: bytes) -> None:
    studio = await make_studio(emulator_client, photo_bytes, motion="Face Punch", lang="zh")
    assert studio.lang == "zh"
    assert "本次调用" in studio.cost["text"]
    studio.generate()
    await studio.wait()
    assert "已完成" in studio.history[0]["label"] and "种子" in studio.history[0]["label"]
    assert studio.result_state["params"][1][0] == "模型"
    studio.lang = "en"
    assert "completed" in studio.history[0]["label"] and studio.cost["text"].startswith("This call")


async def test_repr_is_stable(emulator_client: Client) -> None:
    studio = await make_studio(emulator_client, motion="Face Punch")
    assert repr(studio) == "Studio(model='lite', motion='Face Punch', images=0, results=0, emulated=True)"
    studio.upload(png_bytes(), "cat.png")
    assert repr(studio) == "Studio(model='lite', motion='Face Punch', images=1, results=0, emulated=True)"


def test_unknown_keywords_raise_type_error() -> None:
    with pytest.raises(TypeError):
        Studio(modle="lite")  # type: ignore[call-arg]


def test_outside_an_event_loop_generate_says_what_to_do(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    client = fast_client(private_emulator)
    studio = Studio(
        client, image=photo_bytes, motion="Face Punch"
    )  # no loop: nothing starts in the background
    assert studio._background == []
    assert studio.generate() is None
    assert "NoEventLoop" in studio.errors.message and "hfwidgets.run" in studio.errors.message
    assert not studio.submitting
    assert posts(private_emulator) == 0


def test_public_names() -> None:
    import hfwidgets
    from hfwidgets.widgets import AdsPanel, Explorer, ImageInput, MotionGrid, ResultView

    assert hfwidgets.Studio is Studio and hfwidgets.ImageInput is ImageInput
    assert hfwidgets.MotionGrid is MotionGrid and hfwidgets.ResultView is ResultView
    assert hfwidgets.Explorer is Explorer and hfwidgets.AdsPanel is AdsPanel


async def test_emulated_studio_shows_no_cdn_previews_until_the_emulator_listing_arrives(
    private_client: Client, private_emulator: EmulatorServer
) -> None:
    studio = Studio(private_client)
    assert studio.items
    assert all(item["preview"] == "" for item in studio.items)
    await asyncio.gather(*studio._background)
    previews = [item["preview"] for item in studio.items]
    assert previews and all(ref.startswith("media:") for ref in previews)


async def test_history_plays_and_saves_the_kept_copy_once_the_link_expired(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes, tmp_path: Path
) -> None:
    from hfwidgets._journal import Journal

    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    studio.generate()
    first = await studio.wait()
    studio.generate()
    assert first is not None and await studio.wait() is not None
    await private_client.wait_kept()  # kept in the background, on the kernel's loop
    record = Journal().get(first.id)
    assert record is not None and record.video_path is not None
    private_emulator.faults.expire_links(0)  # every link is dead now

    sent = sent_to_view(studio)
    click(studio, "show", n=1)  # the first result, from the history
    ref = studio.result_state["video"]
    assert ref.startswith("media:") and studio.result_state["feed_json"]["id"] == first.id
    click(studio, "media", key=ref.removeprefix("media:"))
    while not sent or "kept" not in studio.result_state["status_text"]:  # noqa: ASYNC110 - a worker thread answers
        await asyncio.sleep(0.02)
    [(answer, buffers)] = sent
    assert answer["mime"] == "video/mp4" and buffers[0] == record.video_path.read_bytes()
    assert studio.result_state["status_text"].count("copy kept on this machine") == 1

    studio._result.download_dir = tmp_path
    click(studio, "download")
    while not studio.result_state["download_path"] and not studio.result_state["error"]:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert studio.result_state["error"] == ""
    saved = Path(studio.result_state["download_path"])
    assert saved.read_bytes() == record.video_path.read_bytes()  # noqa: ASYNC240 - a small file


async def test_an_image_url_picks_its_own_ratio_as_the_command_line_does(
    private_client: Client, private_emulator: EmulatorServer
) -> None:
    studio = await make_studio(private_client, motion="Static")
    assert studio.size == "9:16"
    studio.set_image(f"{private_emulator.base_url}/samples/landscape.jpg")  # 1280x720
    await studio.wait()
    assert studio.size == "16:9" and (studio.width, studio.height) == SIZE_PRESETS["16:9"]
    assert studio.errors.message == ""


async def test_an_image_url_that_answers_404_says_so_in_the_studio(
    private_client: Client, private_emulator: EmulatorServer
) -> None:
    studio = await make_studio(private_client, motion="Static")
    studio.set_image(f"{private_emulator.base_url}/samples/missing.jpg")
    await studio.wait()
    assert "answered HTTP 404" in studio.errors.message
    assert "under Size" in studio.errors.message and "width=" not in studio.errors.message
    assert studio.size == "9:16"
