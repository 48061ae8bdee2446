"""Studio against a real emulator: selection, uploads and controls flow into the request; generate,
cancel, double clicks, errors, budget, the emulator banner, copy as code, history, resuming."""

from __future__ import annotations

import ast
import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

import ipywidgets
import pytest
from widget_support import fast_client, png_bytes, upload_value, widget_tree

from hfwidgets._catalog import resolve_motion
from hfwidgets._models import SIZE_PRESETS, Feed
from hfwidgets.widgets import Studio

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer

GENERATE = "POST /higgsfield/generate"


async def make_studio(client: Client, photo: bytes | None = None, **kwargs: Any) -> Studio:
    """A Studio whose background work (catalogue, resuming) is done, with `photo` uploaded."""
    studio = Studio(client, **kwargs)
    await asyncio.gather(*studio._background)
    if photo is not None:
        studio.image_input._frames["first"].upload.value = upload_value("cat.png", photo)
    return studio


def posts(server: EmulatorServer) -> int:
    return int(server.counters.get(GENERATE, 0))


async def test_generate_makes_a_video_from_the_chosen_settings(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    motion = resolve_motion("Face Punch")
    # The 4:3 upload selected the matching preset.
    assert studio.controls.size_preset.value == "4:3"
    studio.controls.model.value = "turbo"
    studio.controls.seed.value = 4242  # typed: locked
    studio.controls.prompt.value = "the cat waves"
    studio.controls.enhance.value = False

    studio.generate_button.click()
    assert studio.generate_button.disabled
    feed = await studio.wait()

    assert isinstance(feed, Feed)
    assert studio.result is feed and studio.results == [feed]
    assert feed.status == "completed" and feed.video_url
    sent = fresh_emulator.tasks[feed.id].params
    assert sent["motion_id"] == motion.id
    assert sent["model"] == "turbo"
    assert sent["seed"] == 4242
    assert (sent["width"], sent["height"]) == SIZE_PRESETS["4:3"]
    assert sent["prompt"] == "the cat waves"
    assert sent["enhance_prompt"] is False
    assert feed.params.seed == 4242 and feed.params.motion_id == motion.id
    # The result is on show, the history has it, the buttons are back.
    assert studio.result_view.video_url == feed.video_url
    assert [e.task_id for e in studio.history.entries] == [feed.id]
    assert studio.history.entries[0].thumbnail == studio.image_input.thumbnails[0]
    assert not studio.generate_button.disabled and studio.cancel_button.disabled
    assert studio.errors.message == ""
    assert client.spent == 7
    assert "spent so far: 7 pts" in studio.cost.value


async def test_unlocked_seed_is_new_for_every_generate_and_history_grows(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    seeds = []
    for _ in range(2):
        assert studio.generate() is not None
        feed = await studio.wait()
        assert feed is not None
        seeds.append(fresh_emulator.tasks[feed.id].params["seed"])
        assert seeds[-1] == studio.controls.seed.value  # the seed used is the one shown
    assert seeds[0] != seeds[1]
    assert len(studio.results) == 2 and len(studio.history.entries) == 2
    assert posts(fresh_emulator) == 2


async def test_a_double_click_submits_once(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    studio.generate_button.click()
    studio.generate_button.click()  # before the first click's task even started
    await asyncio.sleep(0.05)
    studio.generate_button.click()  # while the first is submitting or waiting
    await studio.wait()
    assert posts(fresh_emulator) == 1
    assert len(studio.results) == 1


async def test_cancel_stops_waiting_and_the_task_lives_on(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    fresh_emulator.faults.delay("feed", 0.3)  # the first reads are slow: time to press Cancel
    studio = await make_studio(client, photo, motion="Face Punch")
    run = studio.generate()
    assert run is not None
    for _ in range(200):
        if not studio.cancel_button.disabled:
            break
        await asyncio.sleep(0.02)
    assert not studio.cancel_button.disabled, "Cancel never became available"
    for _ in range(100):  # the ticker shows elapsed time and an estimate while waiting
        if "elapsed" in studio.result_view.status_text:
            break
        await asyncio.sleep(0.02)
    assert re.search(r"#1 \w.* · \d+ s elapsed · ~\d+% \(usually", studio.result_view.status_text)
    assert "elapsed" in studio.status.value
    studio.cancel_button.click()
    assert await run is None

    entry = studio.history.entries[0]
    assert entry.status == "waiting stopped"
    assert "continues on the server" in studio.status.value
    assert studio.results == [] and not studio.generate_button.disabled
    assert client.journal is not None
    assert [r.id for r in client.journal.pending(client.base_url)] == [entry.task_id]
    # The emulator still completes it: a plain wait picks it up.
    fresh_emulator.faults.clear()
    done = await client.wait(entry.task_id, timeout=30)
    assert done.status == "completed"
    assert posts(fresh_emulator) == 1


async def test_pending_tasks_of_an_earlier_kernel_are_resumed_into_the_history(
    fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    earlier = fast_client(fresh_emulator)
    task = await earlier.generate(photo, "Face Punch", seed=11)  # submitted, never waited on
    await earlier.aclose()

    later = fast_client(fresh_emulator)
    try:
        studio = await make_studio(later)
        assert [e.task_id for e in studio.history.entries] == [task.id]
        assert [f.id for f in studio.results] == [task.id]
        assert studio.results[0].status == "completed"
        assert later.journal is not None and later.journal.pending(later.base_url) == []
    finally:
        await later.aclose()


async def test_validation_errors_name_the_field_and_send_nothing(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    studio = await make_studio(client)
    studio.generate_button.click()
    assert "ValidationError: image=" in studio.errors.message

    studio.image_input._frames["first"].upload.value = upload_value("cat.png", photo)
    studio.generate_button.click()
    assert "ValidationError: motion=None" in studio.errors.message

    studio.motion_grid.value = "Face Punch"
    studio.controls.width.value = 700  # not a multiple of 8
    studio.generate_button.click()
    assert "width=700" in studio.errors.message and "multiple of 8" in studio.errors.message

    studio.controls.width.value = 736
    studio.controls.seed.value = 0
    studio.generate_button.click()
    assert "seed=0" in studio.errors.message
    assert posts(fresh_emulator) == 0
    assert not studio.generate_button.disabled


async def test_api_errors_are_shown_inside_the_studio(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    fresh_emulator.faults.credits = 0
    studio = await make_studio(client, photo, motion="Face Punch")
    run = studio.generate()
    assert run is not None
    await studio.wait()
    await asyncio.sleep(0)
    message = studio.errors.message
    assert "InsufficientCredits" in message and "402" in message
    assert "hk-emulator" not in message
    assert studio.result_view.error
    assert studio.history.entries[0].status == "not submitted"
    assert not studio.generate_button.disabled


async def test_a_failed_task_is_shown_with_its_status(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    fresh_emulator.faults.task_outcome("nsfw")
    studio = await make_studio(client, photo, motion="Face Punch")
    studio.generate()
    feed = await studio.wait()
    await asyncio.sleep(0)
    assert feed is not None and feed.status == "nsfw"
    assert "TaskFailed" in studio.errors.message and "nsfw" in studio.errors.message
    assert studio.result_view.status == "nsfw"


async def test_budget_refusal_is_shown_before_sending(fresh_emulator: EmulatorServer, photo: bytes) -> None:
    client = fast_client(fresh_emulator, budget=6)
    try:
        studio = await make_studio(client, photo, motion="Face Punch")
        studio.controls.model.value = "turbo"  # 7 points > 6
        assert "over budget" in studio.cost.value
        studio.generate_button.click()
        assert "BudgetExceeded" in studio.errors.message
        assert posts(fresh_emulator) == 0
        assert studio.history.entries == []
    finally:
        await client.aclose()


async def test_no_key_means_the_emulator_and_a_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import _session

    monkeypatch.delenv("OPENAI_HK_API_KEY", raising=False)
    client = _session.default_client()
    try:
        studio = Studio(client, resume_pending=False)
        await asyncio.gather(*studio._background)
        assert client.emulated
        banners = [w for w in widget_tree(studio) if "hfw-banner-emulated" in getattr(w, "_dom_classes", ())]
        assert len(banners) == 1
        assert "synthetic" in banners[0].value and "OPENAI_HK_API_KEY" in banners[0].value
        assert repr(studio).endswith("emulated=True)")
    finally:
        await client.aclose()


async def test_a_client_with_a_key_shows_no_banner(fresh_emulator: EmulatorServer) -> None:
    from hfwidgets._client import Client

    client = Client(
        api_key="hk-test-not-emulated",
        base_url=fresh_emulator.base_url,
        motions_url=fresh_emulator.motions_url,
    )
    try:
        studio = Studio(client, resume_pending=False)
        await asyncio.gather(*studio._background)
        assert not any("hfw-banner-emulated" in getattr(w, "_dom_classes", ()) for w in widget_tree(studio))
    finally:
        await client.aclose()


async def test_copy_as_code_reproduces_the_settings(client: Client, photo: bytes) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    studio.controls.seed.value = 777
    studio.controls.prompt.value = 'it\'s "fine"'
    studio.copy_button.click()
    code = studio.code.value
    assert code == studio.copy_as_code()
    call = next(
        n
        for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "hfwidgets.run"
    )
    assert [ast.literal_eval(a) for a in call.args] == ["cat.png"]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert kwargs["motion"] == resolve_motion("Face Punch").id
    assert kwargs["seed"] == 777 and kwargs["prompt"] == 'it\'s "fine"'
    assert (kwargs["width"], kwargs["height"]) == SIZE_PRESETS["4:3"]
    assert "# Face Punch" in code


async def test_history_click_shows_a_result_and_reuse_restores_parameters(
    client: Client, photo: bytes
) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    studio.controls.seed.value = 1234
    studio.controls.prompt.value = "first"
    studio.generate()
    first = await studio.wait()
    studio.motion_grid.value = studio.motion_grid.motions[3]
    studio.controls.apply(studio.controls.values.__class__("standard", 99, 1024, 1024, "second", False))
    studio.generate()
    second = await studio.wait()
    assert first is not None and second is not None
    assert studio.result_view.feed is second

    studio.history.entries[0].widgets["button"].click()
    assert studio.result_view.feed is first
    assert not studio.history.reuse_button.disabled
    studio.history.reuse_button.click()
    assert studio.motion is not None and studio.motion.name == "Face Punch"
    values = studio.controls.values
    assert (values.model, values.seed, values.prompt, values.enhance_prompt) == ("lite", 1234, "first", True)
    assert (values.width, values.height) == SIZE_PRESETS["4:3"]
    assert studio.controls.seed_lock.value is True


async def test_state_holds_no_key_and_no_inline_media(client: Client, photo: bytes) -> None:
    studio = await make_studio(client, photo, motion="Face Punch")
    studio.generate()
    await studio.wait()
    studio.copy_button.click()
    for widget in widget_tree(studio):
        state = widget.get_state()
        text = json.dumps(
            {k: v for k, v in state.items() if not isinstance(v, (bytes, memoryview))}, default=str
        )
        assert "hk-emulator" not in text, type(widget).__name__
        assert "base64" not in text and "data:" not in text, (type(widget).__name__, text[:200])
        for value in state.values():
            if isinstance(value, (bytes, memoryview)):
                assert b"hk-emulator" not in bytes(value)
                assert b"base64," not in bytes(value)
    uploads = [w for w in widget_tree(studio) if isinstance(w, ipywidgets.FileUpload)]
    assert uploads and all(w.get_state()["value"] == [] for w in uploads)


async def test_repr_is_stable(client: Client, photo: bytes) -> None:
    studio = await make_studio(client, motion="Face Punch")
    assert repr(studio) == "Studio(model='lite', motion='Face Punch', images=0, results=0, emulated=True)"
    studio.image_input._frames["first"].upload.value = upload_value("cat.png", png_bytes())
    assert repr(studio) == "Studio(model='lite', motion='Face Punch', images=1, results=0, emulated=True)"


def test_unknown_keywords_raise_type_error() -> None:
    with pytest.raises(TypeError):
        Studio(modle="lite")  # type: ignore[call-arg]


async def test_dom_hooks_are_present(client: Client) -> None:
    studio = await make_studio(client)
    classes = {c for w in widget_tree(studio) for c in getattr(w, "_dom_classes", ())}
    hooks = {
        "hfw-studio",
        "hfw-banner-emulated",
        "hfw-error",
        "hfw-status",
        "hfw-cost",
        "hfw-generate",
        "hfw-cancel",
        "hfw-copy-code",
        "hfw-reuse",
        "hfw-image-input",
        "hfw-upload-first",
        "hfw-upload-last",
        "hfw-url-first",
        "hfw-url-last",
        "hfw-thumb-first",
        "hfw-thumb-last",
        "hfw-clear-first",
        "hfw-clear-last",
        "hfw-model",
        "hfw-seed",
        "hfw-seed-dice",
        "hfw-seed-lock",
        "hfw-width",
        "hfw-height",
        "hfw-size-preset",
        "hfw-prompt",
        "hfw-enhance",
    }
    assert hooks <= classes, hooks - classes


def test_outside_an_event_loop_generate_says_what_to_do(fresh_emulator: EmulatorServer, photo: bytes) -> None:
    client = fast_client(fresh_emulator)
    studio = Studio(client, image=photo, motion="Face Punch")  # no loop: nothing starts in the background
    assert studio._background == []
    assert studio.generate() is None
    assert "NoEventLoop" in studio.errors.message and "hfwidgets.run" in studio.errors.message
    assert not studio.submitting
    assert posts(fresh_emulator) == 0


def test_public_names() -> None:
    import hfwidgets
    from hfwidgets.widgets import AdsPanel, Explorer, ImageInput, MotionGrid, ResultView

    assert hfwidgets.Studio is Studio and hfwidgets.ImageInput is ImageInput
    assert hfwidgets.MotionGrid is MotionGrid and hfwidgets.ResultView is ResultView
    assert hfwidgets.Explorer is Explorer and hfwidgets.AdsPanel is AdsPanel


async def test_emulated_studio_shows_no_cdn_previews_until_the_emulator_listing_arrives(
    client: Client, fresh_emulator: EmulatorServer
) -> None:
    studio = Studio(client)
    assert studio.motion_grid.items
    assert all(item["preview_url"] is None for item in studio.motion_grid.items)
    await asyncio.gather(*studio._background)
    previews = [item["preview_url"] for item in studio.motion_grid.items]
    assert previews
    assert all(url.startswith(fresh_emulator.base_url + "/previews/") for url in previews)
