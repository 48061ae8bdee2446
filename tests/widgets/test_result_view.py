"""ResultView, Python side: what a feed turns into, the download round trip, the static fallback."""

from __future__ import annotations

import copy
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from hfwidgets import HiggsfieldError
from hfwidgets._models import Feed
from hfwidgets.widgets._assets import unpack
from hfwidgets.widgets._result_view import ResultView

STATIC = Path(__file__).resolve().parents[2] / "hfwidgets" / "widgets" / "static"
FIXTURE = Path(__file__).resolve().parent / "data" / "feed_completed.json"
CLIP_FRAMES = 8


@pytest.fixture
def completed_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return data


def _with_status(data: dict[str, Any], status: str) -> dict[str, Any]:
    """The fixture as it looks while pending or after a failure: no result URLs."""
    changed = copy.deepcopy(data)
    for job in changed["jobs"]:
        job["status"] = status
        job.pop("result", None)
        job.pop("results", None)
    return changed


def _sent_messages(view: ResultView) -> list[dict[str, Any]]:
    """Record custom messages the widget sends to the front end."""
    sent: list[dict[str, Any]] = []
    original = view.send

    def record(content: dict[str, Any], buffers: Any = None) -> None:
        sent.append(content)
        original(content, buffers)

    view.send = record
    return sent


# --------------------------------------------------------------------------- from feeds


def test_completed_feed(completed_json: dict[str, Any]) -> None:
    feed = Feed.from_json(completed_json)
    view = ResultView(feed)
    assert view.feed is feed
    assert view.status == "completed"
    assert view.video_url == completed_json["jobs"][0]["result"]["url"]
    assert view.prompt == completed_json["params"]["prompt"]
    assert view.feed_json == completed_json
    assert view.error == ""
    assert view.status_text == "Completed: 5 s video."
    rows = dict(view.params)
    assert rows["Model"] == "standard"
    assert rows["Motion"] == "Face Punch"
    assert rows["Seed"] == "374487"
    assert rows["Size"] == "736×1312"
    assert rows["Frames"] == "81"
    assert rows["Steps"] == "20"
    assert rows["Guide scale"] == "6"
    assert rows["Strength"] == "1"
    assert rows["Enhance prompt"] == "yes"
    assert rows["Duration"] == "5 s"
    assert rows["Created"] == "2025-05-21 01:19:50 UTC"


@pytest.mark.parametrize("status", ["queued", "in_progress"])
def test_pending_feed_shows_status_and_no_video(completed_json: dict[str, Any], status: str) -> None:
    view = ResultView(Feed.from_json(_with_status(completed_json, status)))
    assert view.status == status
    assert view.video_url == ""
    assert view.error == ""
    assert view.status_text in {"Queued: waiting for a free worker…", "Generating the video…"}
    assert dict(view.params)["Duration"] == "5 s"  # what the feed says is still shown
    assert "<video" not in view.static_html()


@pytest.mark.parametrize(
    ("status", "reason"),
    [("failed", "failed on the server"), ("nsfw", "refused by the content filter"), ("canceled", "canceled")],
)
def test_failed_feed_shows_a_clear_message(completed_json: dict[str, Any], status: str, reason: str) -> None:
    view = ResultView(Feed.from_json(_with_status(completed_json, status)))
    assert view.status == status
    assert view.video_url == ""
    assert reason in view.error
    assert completed_json["id"] in view.error
    assert view.status_text == view.error


def test_setting_the_feed_updates_the_view_and_none_clears_it(completed_json: dict[str, Any]) -> None:
    view = ResultView()
    assert view.status == "" and view.video_url == "" and view.feed_json == {} and view.params == []
    assert view.status_text == "No task yet."
    changes: list[str] = []
    view.observe(lambda change: changes.append(change["new"]), names="status")
    view.feed = Feed.from_json(_with_status(completed_json, "in_progress"))
    view.feed = Feed.from_json(completed_json)
    assert changes == ["in_progress", "completed"]
    view.feed = None
    assert view.status == "" and view.video_url == "" and view.prompt == "" and view.feed_json == {}


def test_status_text_can_be_set_while_waiting(completed_json: dict[str, Any]) -> None:
    view = ResultView(Feed.from_json(_with_status(completed_json, "queued")))
    view.status_text = "Waiting… 12 s"
    assert view.get_state()["status_text"] == "Waiting… 12 s"


def test_a_non_http_video_url_is_not_embedded(completed_json: dict[str, Any]) -> None:
    data = copy.deepcopy(completed_json)
    data["jobs"][0]["result"]["url"] = "javascript:alert(1)"
    view = ResultView(Feed.from_json(data))
    assert view.video_url == ""
    assert "javascript:" not in view.static_html()


# --------------------------------------------------------------------------- reprs and state


def test_text_repr_is_stable(completed_json: dict[str, Any]) -> None:
    feed = Feed.from_json(completed_json)
    view = ResultView(feed)
    assert repr(view) == f"ResultView({feed!r})"
    assert repr(view).startswith("ResultView(Feed('aca6c73e-aa4c-47bb-aa62-a100a0f7dd22', status='completed'")
    assert repr(ResultView()) == "ResultView(None)"
    data, _metadata = view._repr_mimebundle_()
    assert data["text/plain"] == repr(view)
    assert "application/vnd.jupyter.widget-view+json" in data


def test_static_html_fallback_escapes_every_string(completed_json: dict[str, Any]) -> None:
    data = copy.deepcopy(completed_json)
    data["params"]["prompt"] = "<script>alert('prompt')</script> & more"
    data["jobs"][0]["result"]["url"] = 'https://example.invalid/v.mp4?a=1&b="><script>alert(1)</script>'
    view = ResultView(Feed.from_json(data))
    bundle, _ = view._repr_mimebundle_()
    page = bundle["text/html"]
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;prompt&#x27;)&lt;/script&gt; &amp; more" in page
    assert 'src="https://example.invalid/v.mp4?a=1&amp;b=&quot;&gt;&lt;script&gt;' in page
    assert page.count("<video") == 1 and 'preload="none"' in page
    assert 'class="hfw-static-status"><b>Completed: 5 s video.</b>' in page


def test_state_holds_urls_only_never_base64_or_a_key(
    completed_json: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "hk-test-secret-0123456789"
    monkeypatch.setenv("OPENAI_HK_API_KEY", key)
    data = copy.deepcopy(completed_json)
    data["params"]["input_image"]["url"] = "data:image/jpeg;base64," + "QUJD" * 20_000
    data["params"]["input_image_end"] = {"type": "media_input", "url": "data:image/png;base64," + "A" * 5000}
    view = ResultView(Feed.from_json(data))
    state = json.dumps(view.get_state(), ensure_ascii=False)
    assert "base64,Q" not in state and "QUJDQUJD" not in state and "AAAA" not in state
    assert key not in state
    assert len(state) < 40_000  # the 80 kB image is not in it
    shown = view.feed_json["params"]["input_image"]["url"]
    assert shown.startswith("data:image/jpeg;base64,…") and "80023 characters" in shown
    page = view._repr_mimebundle_()[0]["text/html"]
    assert "base64" not in page and key not in page


# --------------------------------------------------------------------------- download


def _encode_clip(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("h264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(CLIP_FRAMES):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), n * 30, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def video_server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server holding one real mp4; yields its base URL."""
    served = tmp_path / "served"
    served.mkdir()
    _encode_clip(served / "clip.mp4")
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _feed_at(data: dict[str, Any], url: str) -> Feed:
    served = copy.deepcopy(data)
    job = served["jobs"][0]
    job["result"]["url"] = job["results"]["raw"]["url"] = url
    job["results"]["min"]["url"] = url
    return Feed.from_json(served)


def _wait_for_download(view: ResultView) -> None:
    finished = threading.Event()
    view.observe(lambda change: finished.set() if not change["new"] else None, names="downloading")
    if view.downloading:
        assert finished.wait(60), "the download never finished"


def _frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_download_message_saves_the_mp4_in_the_current_directory(
    completed_json: dict[str, Any], video_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("hfwidgets._video", reason="Feed.download needs hfwidgets._video")
    workdir = tmp_path / "notebook-dir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    view = ResultView(_feed_at(completed_json, f"{video_server}/clip.mp4"))
    sent = _sent_messages(view)

    view._handle_custom_msg({"type": "download"}, [])  # what the Download button sends
    _wait_for_download(view)

    saved = Path(view.download_path)
    assert view.error == ""
    assert saved.parent.resolve() == workdir.resolve()
    assert saved.suffix == ".mp4"
    assert _frame_count(saved) == CLIP_FRAMES
    assert sent == []  # the answer is in the traits; no message goes back to the view


@pytest.mark.slow
def test_download_from_the_emulator(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    pytest.importorskip("hfwidgets._video", reason="Feed.download needs hfwidgets._video")
    emulator_module = pytest.importorskip("hfwidgets.emulator", reason="the emulator is not available")
    if not hasattr(emulator_module, "serve"):
        pytest.skip("the emulator has no serve() yet")
    import asyncio

    from PIL import Image

    server = request.getfixturevalue("emulator")  # the shared session server (tests/conftest.py)
    image = Image.new("RGB", (96, 160), (200, 80, 40))

    async def make_video() -> Feed:
        async with server.client() as client:
            task = await client.generate(image, "Face Punch", model="lite", width=96, height=160)
            feed: Feed = await client.wait(task, timeout=120)
            return feed

    view = ResultView(asyncio.run(make_video()))
    assert view.status == "completed"
    assert view.video_url.startswith(server.base_url)
    view.download_dir = tmp_path
    view._handle_custom_msg({"type": "download"}, [])
    _wait_for_download(view)
    saved = Path(view.download_path)
    assert view.error == ""
    assert saved.parent.resolve() == tmp_path.resolve()
    assert _frame_count(saved) > 0


def test_a_failed_download_is_shown_in_the_widget(
    completed_json: dict[str, Any], video_server: str, tmp_path: Path
) -> None:
    pytest.importorskip("hfwidgets._video", reason="Feed.download needs hfwidgets._video")
    view = ResultView(_feed_at(completed_json, f"{video_server}/missing.mp4"))
    view.download_dir = tmp_path
    sent = _sent_messages(view)
    outcome = view.download()
    _wait_for_download(view)
    assert view.error.startswith("Download failed: ")
    assert view.download_path == ""
    assert not view.downloading
    assert sent == []
    with pytest.raises(HiggsfieldError):  # the error Feed.download raised, for code that waits on it
        outcome.result(timeout=10)


def test_download_before_the_video_exists_says_so(completed_json: dict[str, Any]) -> None:
    view = ResultView(Feed.from_json(_with_status(completed_json, "in_progress")))
    sent = _sent_messages(view)
    view._handle_custom_msg({"type": "download"}, [])
    assert view.error == "Nothing to download yet: the video is not ready."
    assert not view.downloading
    assert sent == []
    with pytest.raises(HiggsfieldError, match="not ready"):
        view.download().result(timeout=10)


def test_unknown_messages_are_ignored(completed_json: dict[str, Any]) -> None:
    view = ResultView(Feed.from_json(completed_json))
    view._handle_custom_msg({"type": "something else"}, [])
    view._handle_custom_msg("not even a dict", [])
    assert not view.downloading and view.error == "" and view.download_path == ""


# --------------------------------------------------------------------------- front end


def test_front_end_hooks_are_present() -> None:
    source = unpack(ResultView._esm)
    for hook in (
        "hfw-result",
        "hfw-video",
        "hfw-result-status",
        "hfw-prompt-text",
        "hfw-params",
        "hfw-json-tree",
        "hfw-download",
        "hfw-error",
        "model.send",
        "section",
    ):
        assert hook in source
