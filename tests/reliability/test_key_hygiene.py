"""The API key never shows and never travels anywhere but the configured base URL.

A distinctive canary key is used throughout; every place it could leak is scanned
for it: DEBUG logs (root, httpx, httpcore, aiohttp, hfwidgets), the repr and str of every
public object, widget state, the journal file, and tutorial notebooks executed with the key
and saved (every run of the fault matrix is scanned in test_fault_matrix.py). A second
local HTTP server stands in for the motions host, the video file host and a host an
answer redirects to; it must never see an Authorization header.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import hfwidgets
from hfwidgets._catalog import bundled_motions
from hfwidgets._client import Client
from hfwidgets._config import ApiKey
from hfwidgets._errors import APIError, HiggsfieldError
from hfwidgets._journal import History, Journal
from hfwidgets._models import Feed
from hfwidgets.emulator import EmulatorServer

from .reliability_scenarios import (
    FAST_POLL,
    small_png,
)

CANARY = "hk-CANARY-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
FEED_COMPLETED = (Path(__file__).resolve().parents[1] / "data" / "feed_completed.json").read_bytes()
LOGGERS = ("", "httpx", "httpcore", "aiohttp", "hfwidgets", "hfwidgets.emulator", "uvicorn", "uvicorn.error")


def assert_clean(text: str, where: str) -> None:
    """No trace of the key: not whole, and not its distinctive middle either."""
    assert CANARY not in text, f"the key appears in {where}"
    assert "5f1e2d3c4b5a6978" not in text, f"part of the key appears in {where}"


def error_texts(error: BaseException) -> str:
    """Everything an error shows: str, repr, attributes, the formatted traceback, its causes."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    parts += [f"{name}={value!r}" for name, value in vars(error).items()]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            parts.append(error_texts(linked))
    return "\n".join(parts)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


# --------------------------------------------------------------------------- a second host


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Recorder:
    """A plain HTTP server that records every request (with its headers) and serves canned answers."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""

    def authorizations(self) -> list[str]:
        return [s.path for s in self.seen if any(k.lower() == "authorization" for k in s.headers)]


@contextmanager
def recording_server() -> Iterator[Recorder]:
    """Start a Recorder on a free localhost port; stop it on exit."""
    record = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.seen.append(Seen("GET", self.path, dict(self.headers.items())))
            status, headers, body = record.routes.get(self.path.split("?")[0], (404, {}, b"not here"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Stands in for the motions host and the video file host."""
    with recording_server() as record:
        yield record


@pytest.fixture
def other_host() -> Iterator[Recorder]:
    """A third host, the target of a redirect."""
    with recording_server() as record:
        yield record


# --------------------------------------------------------------------------- where the key goes


@pytest.mark.usefixtures("both_transports")
async def test_the_key_goes_only_to_the_base_url(
    quick_emulator: EmulatorServer, recorder: Recorder, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    listing = json.dumps([m.to_json() for m in bundled_motions()[:5]]).encode()
    clip = quick_emulator.state.shared_clip().result(timeout=60).raw.read_bytes()
    recorder.routes.update(
        {
            "/motions": (200, {"Content-Type": "application/json"}, listing),
            "/video.mp4": (200, {"Content-Type": "video/mp4"}, clip),
            "/picture.png": (200, {"Content-Type": "image/png"}, small_png((120, 200))),
        }
    )
    client = Client(
        api_key=CANARY,
        base_url=quick_emulator.base_url,
        motions_url=recorder.base_url + "/motions",
        poll=FAST_POLL,
        journal=Journal(tmp_path / "journal.sqlite3"),
    )
    try:
        # The motions host: a different host, no key.
        motions = await client.fetch_motions()
        assert [m.id for m in motions] == [m.id for m in bundled_motions()[:5]]
        # An image given by URL on another host: its size is probed there, without the key.
        task = await client.generate(recorder.base_url + "/picture.png", "Face Punch", seed=3)
        feed = await client.wait(task, timeout=30)
        assert feed.status == "completed"
        # The video file host: the real feed, its URL moved to the other host.
        moved = dict(feed.raw)
        moved["jobs"] = [
            {**job, "result": {"type": "video", "url": recorder.base_url + "/video.mp4"}}
            for job in feed.raw["jobs"]
        ]
        saved = await Feed.from_json(moved).adownload(tmp_path / "video.mp4")
        assert saved.read_bytes() == clip
        # The video on the emulator's own file route is fetched without the key as well.
        await feed.adownload(tmp_path / "direct.mp4")
    finally:
        await client.aclose()

    paths = [s.path.split("?")[0] for s in recorder.seen]
    assert "/motions" in paths and "/video.mp4" in paths and "/picture.png" in paths
    assert recorder.authorizations() == []
    assert_clean(debug_logs.text, "the DEBUG logs")


@pytest.mark.usefixtures("both_transports")
async def test_the_key_stays_under_the_base_path_and_never_follows_a_redirect(
    recorder: Recorder, other_host: Recorder, debug_logs: pytest.LogCaptureFixture
) -> None:
    feed_json = FEED_COMPLETED
    task_id = json.loads(feed_json)["id"]  # a feed answers about the task asked for
    feed_path = f"/api/higgsfield/feed/{task_id}"
    recorder.routes.update(
        {
            feed_path: (200, {"Content-Type": "application/json"}, feed_json),
            "/api/higgsfield/feed/moved": (
                302,
                {"Location": other_host.base_url + feed_path},
                b"",
            ),
            "/motions": (200, {"Content-Type": "application/json"}, b"[]"),
        }
    )
    other_host.routes[feed_path] = recorder.routes[feed_path]
    client = Client(
        api_key=CANARY,
        base_url=recorder.base_url + "/api",
        motions_url=recorder.base_url + "/motions",
        journal=False,
    )
    try:
        feed = await client.feed(task_id)
        assert feed.status == "completed"
        with pytest.raises(HiggsfieldError) as redirected:
            await client.feed("moved")
        assert_clean(error_texts(redirected.value), "the error of a redirect")
        await client.fetch_motions()
    finally:
        await client.aclose()

    # The base URL does get the key (so the recorder would have seen it elsewhere) ...
    sent = {s.path: s.headers for s in recorder.seen}
    assert sent[feed_path].get("Authorization") == f"Bearer {CANARY}"
    # ... but not a path outside the base path on the same host, nor the redirect target.
    assert "Authorization" not in sent["/motions?size=500&search="]
    assert other_host.seen == []
    assert_clean(debug_logs.text, "the DEBUG logs")


async def test_keeping_a_finished_video_never_sends_the_key_to_its_host(
    recorder: Recorder, other_host: Recorder, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    clip = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64
    completed = json.loads(FEED_COMPLETED)
    for job in completed["jobs"]:
        job["result"]["url"] = job["results"]["raw"]["url"] = other_host.base_url + "/video.mp4"
    task_id = completed["id"]
    recorder.routes[f"/api/higgsfield/feed/{task_id}"] = (
        200,
        {"Content-Type": "application/json"},
        json.dumps(completed).encode(),
    )
    other_host.routes["/video.mp4"] = (200, {"Content-Type": "video/mp4"}, clip)
    journal = Journal(tmp_path / "journal.sqlite3")
    client = Client(api_key=CANARY, base_url=recorder.base_url + "/api", poll=FAST_POLL, journal=journal)
    try:
        feed = await client.wait(task_id, timeout=30)
        await client.wait_kept()
    finally:
        await client.aclose()
    kept = journal.kept_video(feed.id)
    assert kept is not None and kept.path.read_bytes() == clip
    assert [s.path for s in other_host.seen] == ["/video.mp4"]
    assert other_host.authorizations() == []
    assert_clean(debug_logs.text, "the DEBUG logs")


# --------------------------------------------------------------------------- what shows


def test_reprs_of_public_objects_never_show_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    monkeypatch.setenv("OPENAI_HK_API_KEY", CANARY)
    key = ApiKey(CANARY)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    client = Client(base_url="http://127.0.0.1:9")  # the key from the environment
    feed = Feed.from_json(json.loads(FEED_COMPLETED))
    journal = Journal(tmp_path / "j.sqlite3")
    objects: list[Any] = [
        key,
        client,
        client._requester,
        client.poll,
        feed,
        feed.params,
        *feed.jobs,
        bundled_motions()[0],
        journal,
        History(journal.records()),
        APIError("boom", status=500, body="x", task_id="t", endpoint="GET /x"),
        hfwidgets.MissingKeyError(),
        hfwidgets.BudgetExceeded(5, 0, 1),
    ]
    for value in objects:
        assert_clean(repr(value) + str(value) + format(value, ""), f"repr of {type(value).__name__}")
    assert_clean(repr(vars(client)), "the client's attributes")


def test_widget_state_never_holds_the_key(
    quick_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    widgets = pytest.importorskip("hfwidgets.widgets", reason="the widgets are not written yet")
    from ipywidgets.widgets.widget import _instances

    client = Client(api_key=CANARY, base_url=quick_emulator.base_url, journal=False)
    studio = widgets.Studio(client=client, resume_pending=False)
    views = [studio, widgets.MotionGrid(), widgets.ResultView()]
    state = json.dumps({wid: w.get_state() for wid, w in list(_instances.items())}, default=repr)
    assert_clean(state, "the synced state of the widgets")
    for view in views:
        assert_clean(repr(view), f"repr of {type(view).__name__}")


# --------------------------------------------------------------------------- tutorial notebooks


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", _notebooks() or [None], ids=lambda p: p.name if p else "none")
def test_a_notebook_run_with_the_key_saves_no_trace_of_it(
    notebook: Path | None,
    recorder: Recorder,
    quick_emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if notebook is None:
        pytest.skip("no tutorial notebooks in notebooks/ yet")
    import nbformat
    from nbclient import NotebookClient

    listing = json.dumps([m.to_json() for m in bundled_motions()]).encode()
    recorder.routes["/motions"] = (200, {"Content-Type": "application/json"}, listing)
    # Run in a copy of the folder, so relative paths (images/...) work and the tree stays untouched.
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.mp4"))
    home = tmp_path / "home"
    monkeypatch.setenv("OPENAI_HK_API_KEY", CANARY)
    monkeypatch.setenv("OPENAI_HK_BASE_URL", quick_emulator.base_url)  # never the real service
    monkeypatch.setenv("HFWIDGETS_MOTIONS_URL", recorder.base_url + "/motions")
    monkeypatch.setenv("HFWIDGETS_HOME", str(home))

    document = nbformat.read(work / notebook.name, as_version=4)  # type: ignore[no-untyped-call]
    uses_default_client = any("hfwidgets.run(" in cell.source for cell in document.cells)
    generated_before = quick_emulator.counters["generate"]
    NotebookClient(
        document, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    saved = tmp_path / f"executed-{notebook.name}"
    nbformat.write(document, saved)  # type: ignore[no-untyped-call]

    assert_clean(saved.read_text("utf-8"), f"the saved {notebook.name}")
    for path in home.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), f"{path} holds the key"
    for path in work.rglob("*"):
        if path.is_file() and path.suffix != ".mp4":
            assert CANARY.encode() not in path.read_bytes(), f"{path} holds the key"
    assert recorder.authorizations() == []
    if uses_default_client:  # it really ran with the key, against the emulator standing in for the service
        assert quick_emulator.counters["generate"] > generated_before
