"""The task journal: round trips, pending vs finished, durations, concurrent writers, reprs."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import hfwidgets
from hfwidgets._errors import JournalError
from hfwidgets._journal import (
    MAX_THUMBNAIL_BYTES,
    SCHEMA_VERSION,
    History,
    Journal,
    TaskRecord,
    default_journal_path,
    history,
)
from hfwidgets._models import Feed, Motion, Task

BASE = "http://127.0.0.1:9"
FACE_PUNCH = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch")


def make_task(task_id: str, *, model: str = "lite", created_at: datetime | None = None, **kw: Any) -> Task:
    return Task(
        id=task_id,
        kind="image2video",
        cost={"lite": 5, "turbo": 7, "standard": 10}[model],
        model=model,
        motion=FACE_PUNCH,
        seed=374487,
        width=736,
        height=1312,
        prompt=kw.pop("prompt", "a cat eats"),
        created_at=created_at or datetime.now(timezone.utc),
        **kw,
    )


def make_feed(task_id: str, *statuses: str, url: str | None = None) -> Feed:
    jobs = []
    for i, status in enumerate(statuses):
        job: dict[str, Any] = {"id": f"job-{i}", "status": status}
        if status == "completed" and url:
            job["result"] = {"type": "video", "url": url}
            job["results"] = {
                "raw": {"type": "video", "url": url},
                "min": {"type": "video", "url": url + "?min"},
            }
            job["meta"] = {"duration": 5}
        jobs.append(job)
    return Feed.from_json(
        {"id": task_id, "type": "image2video", "params": {"model": "lite", "seed": 7}, "jobs": jobs}
    )


# --------------------------------------------------------------------------- round trip


def test_record_round_trip_keeps_every_field(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    task = make_task("t-1", model="standard", created_at=created, prompt="正在吃饭 <b>")
    journal.record(task, base_url=BASE + "/", image_digest="sha256:abc", thumbnail=b"\xff\xd8jpeg")

    record = journal.get("t-1")
    assert record == TaskRecord(
        id="t-1",
        kind="image2video",
        model="standard",
        motion_id=FACE_PUNCH.id,
        motion_name="Face Punch",
        seed=374487,
        width=736,
        height=1312,
        prompt="正在吃饭 <b>",
        cost=10,
        created_at=created,
        base_url=BASE,  # trailing slash normalised
        status="queued",
        image_digest="sha256:abc",
    )
    assert record is not None and record.thumbnail == b"\xff\xd8jpeg"
    assert not record.done and record.elapsed is None
    assert journal.get("missing") is None


def test_ads_task_round_trip(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    ad = Task(id="ad-1", kind="ads", cost=13, template_id="3hpZ2HB0xS688KnzMIwU16", size="1024x1024")
    journal.record(ad, base_url=BASE)
    record = journal.get("ad-1")
    assert record is not None
    assert (record.kind, record.cost, record.template_id, record.size, record.model) == (
        "ads",
        13,
        "3hpZ2HB0xS688KnzMIwU16",
        "1024x1024",
        None,
    )
    assert "template='3hpZ2HB0xS688KnzMIwU16'" in repr(record)


def test_update_stores_urls_duration_and_first_finish_time(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("t-1"), base_url=BASE)

    journal.update("t-1", make_feed("t-1", "in_progress"))
    record = journal.get("t-1")
    assert record is not None and record.status == "in_progress" and record.finished_at is None

    journal.update("t-1", make_feed("t-1", "completed", url="http://127.0.0.1:9/v.mp4"))
    first = journal.get("t-1")
    assert first is not None and first.done
    assert first.video_url == "http://127.0.0.1:9/v.mp4"
    assert first.min_url == "http://127.0.0.1:9/v.mp4?min"
    assert first.duration == 5.0
    assert first.finished_at is not None and first.elapsed is not None and first.elapsed >= 0

    # A later read of the same finished task keeps the first finish time and the URLs.
    journal.update("t-1", make_feed("t-1", "completed"))
    again = journal.get("t-1")
    assert again is not None
    assert again.finished_at == first.finished_at and again.video_url == first.video_url


def test_recording_again_keeps_the_status_seen(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    task = make_task("t-1")
    journal.record(task, base_url=BASE)
    journal.update("t-1", make_feed("t-1", "completed", url="http://x/v.mp4"))
    journal.record(task, base_url=BASE, image_digest="d2")
    record = journal.get("t-1")
    assert record is not None and record.status == "completed" and record.image_digest == "d2"
    assert len(journal.records()) == 1


def test_update_of_an_unrecorded_task(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.update("stranger", make_feed("stranger", "in_progress"))
    assert journal.get("stranger") is None  # no base URL: nothing to resume against, nothing stored

    journal.update("stranger", make_feed("stranger", "in_progress"), base_url=BASE)
    record = journal.get("stranger")
    assert record is not None
    assert (record.status, record.model, record.seed, record.cost, record.base_url) == (
        "in_progress",
        "lite",
        7,
        5,
        BASE,
    )
    assert [r.id for r in journal.pending(BASE)] == ["stranger"]


def test_oversized_thumbnail_is_not_stored_but_the_task_is(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("t-1"), base_url=BASE, thumbnail=b"x" * (MAX_THUMBNAIL_BYTES + 1))
    record = journal.get("t-1")
    assert record is not None and record.thumbnail is None


# --------------------------------------------------------------------------- pending, records, durations


def test_pending_versus_finished_and_per_base_url(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    now = datetime.now(timezone.utc)
    for i, status in enumerate(
        ["queued", "in_progress", "completed", "failed", "nsfw", "canceled", "melting"]
    ):
        journal.record(make_task(f"t-{i}", created_at=now + timedelta(seconds=i)), base_url=BASE)
        if status != "queued":
            journal.update(f"t-{i}", make_feed(f"t-{i}", status))
    journal.record(make_task("other", created_at=now), base_url="http://127.0.0.1:10")

    # An unknown status is not terminal: the task stays resumable.
    assert [r.id for r in journal.pending(BASE)] == ["t-0", "t-1", "t-6"]
    assert {r.id for r in journal.pending()} == {"t-0", "t-1", "t-6", "other"}
    assert [r.id for r in journal.records(BASE)] == [f"t-{i}" for i in reversed(range(7))]
    assert len(journal.records()) == 8


def test_a_forgotten_task_is_abandoned_never_pending_nor_uncertain_and_stays_in_history(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("stuck"), base_url=BASE)
    journal.record(make_task("done"), base_url=BASE)
    journal.update("done", make_feed("done", "completed", url=f"{BASE}/files/done.mp4"))
    unsure = journal.begin_submission(make_task("draft"), base_url=BASE)
    journal.mark_uncertain(unsure, "no answer")

    assert journal.forget("stuck").status == "abandoned"
    assert journal.forget(unsure).status == "abandoned"  # by its local id: no longer uncertain money
    assert journal.forget("done").status == "completed"  # a finished task is left as it is
    with pytest.raises(hfwidgets.ValidationError, match="task_id"):
        journal.forget("never-journalled")

    assert journal.pending() == []
    records = History(journal.records())
    assert {r.id: r.status for r in records} == {
        "stuck": "abandoned",
        unsure: "abandoned",
        "done": "completed",
    }
    assert "uncertain" not in repr(records)
    journal.update("stuck", make_feed("stuck", "in_progress"))  # a late read does not revive it
    assert journal.get("stuck") is not None and journal.get("stuck").status == "abandoned"  # type: ignore[union-attr]
    journal.update("stuck", make_feed("stuck", "completed", url=f"{BASE}/files/stuck.mp4"))  # but an end does
    assert journal.pending() == [] and journal.get("stuck").status == "completed"  # type: ignore[union-attr]


def test_move_base_url_moves_the_tasks_and_their_video_urls(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("moved"), base_url=BASE)
    journal.update("moved", make_feed("moved", "completed", url=f"{BASE}/files/moved.mp4"))
    journal.record(make_task("stays"), base_url="http://127.0.0.1:90")
    assert journal.move_base_url(BASE, "http://127.0.0.1:7000") == 1
    moved = journal.get("moved")
    assert moved is not None and moved.base_url == "http://127.0.0.1:7000"
    assert moved.video_url == "http://127.0.0.1:7000/files/moved.mp4"
    assert [r.id for r in journal.records("http://127.0.0.1:90")] == ["stays"]


def test_a_feed_with_several_jobs_is_pending_until_all_finish(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("t-1"), base_url=BASE)
    journal.update("t-1", make_feed("t-1", "completed", "in_progress", url="http://x/a.mp4"))
    assert [r.id for r in journal.pending()] == ["t-1"]
    journal.update("t-1", make_feed("t-1", "completed", "completed", url="http://x/a.mp4"))
    assert journal.pending() == []


def test_durations_are_per_model_and_base_url(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    now = datetime.now(timezone.utc)
    journal.record(make_task("lite-a", created_at=now - timedelta(seconds=40)), base_url=BASE)
    journal.record(make_task("lite-b", created_at=now - timedelta(seconds=20)), base_url=BASE)
    journal.record(make_task("turbo", model="turbo", created_at=now - timedelta(seconds=30)), base_url=BASE)
    journal.record(make_task("elsewhere", created_at=now - timedelta(seconds=90)), base_url="http://h:1")
    journal.record(make_task("failed", created_at=now - timedelta(seconds=70)), base_url=BASE)
    journal.record(make_task("running", created_at=now - timedelta(seconds=60)), base_url=BASE)
    for task_id in ("lite-a", "lite-b", "turbo", "elsewhere"):
        journal.update(task_id, make_feed(task_id, "completed", url="http://x/v.mp4"))
    journal.update("failed", make_feed("failed", "failed"))
    journal.update("running", make_feed("running", "in_progress"))

    lite = journal.durations("lite", BASE)
    assert len(lite) == 2
    assert sorted(round(d) for d in lite) == [20, 40]
    assert [round(d) for d in journal.durations("turbo", BASE)] == [30]
    assert [round(d) for d in journal.durations("lite", "http://h:1")] == [90]
    assert journal.durations("standard", BASE) == []


def test_completions_are_the_most_recently_submitted_and_say_when(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    now = datetime.now(timezone.utc)
    # Submitted 90, 60 and 30 s ago; the oldest finished last.
    for name, age in (("old", 90), ("mid", 60), ("new", 30)):
        journal.record(make_task(name, created_at=now - timedelta(seconds=age)), base_url=BASE)
    for name in ("new", "mid", "old"):
        journal.update(name, make_feed(name, "completed", url="http://x/v.mp4"))
    completions = journal.completions("lite", BASE)
    assert [round(now.timestamp() - submitted) for submitted, _ in completions] == [30, 60, 90]
    assert [round(seconds) for _, seconds in completions] == [30, 60, 90]
    assert journal.durations("lite", BASE) == [seconds for _, seconds in completions]


def test_durations_of_ads_tasks_are_found_by_kind(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    created = datetime.now(timezone.utc) - timedelta(seconds=50)
    ad = Task(id="ad-1", kind="ads", cost=13, template_id="t", size="1024x1024", created_at=created)
    journal.record(ad, base_url=BASE)
    journal.record(make_task("lite-a", created_at=created), base_url=BASE)
    journal.update("ad-1", make_feed("ad-1", "completed", url="http://x/ad.mp4"))
    journal.update("lite-a", make_feed("lite-a", "completed", url="http://x/v.mp4"))
    assert [round(d) for d in journal.durations("ads", BASE)] == [50]
    assert len(journal.durations("lite", BASE)) == 1


# --------------------------------------------------------------------------- location


def test_hfwidgets_home_is_respected_and_created_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "custom-home"
    monkeypatch.setenv("HFWIDGETS_HOME", str(home))
    journal = Journal()
    assert journal.path == home / "journal.sqlite3" == default_journal_path()
    assert journal.records() == [] and journal.pending() == [] and journal.durations("lite", BASE) == []
    assert not home.exists()  # reading never creates the file

    journal.record(make_task("t-1"), base_url=BASE)
    assert (home / "journal.sqlite3").is_file()
    assert [r.id for r in history()] == ["t-1"]
    assert [r.id for r in hfwidgets.history(BASE)] == ["t-1"]
    assert hfwidgets.history("http://elsewhere:1") == []


def test_default_path_without_home_is_the_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("HFWIDGETS_HOME")
    assert default_journal_path() == Path(platformdirs.user_data_dir("hfwidgets")) / "journal.sqlite3"


def test_schema_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).record(make_task("t-1"), base_url=BASE)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_journal_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="upgrade hfwidgets"):
        Journal(path).records()


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make `folder` read-only for this process: its mode for a user, the immutable flag for root
    (whom modes do not stop); skips when neither works here."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], check=False).returncode != 0:
        pytest.skip("running as root without a way to make a folder read-only (chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_history_reads_a_journal_in_a_read_only_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    journal = Journal(home / "journal.sqlite3")
    journal.record(make_task("t-done"), base_url=BASE)
    journal.update("t-done", make_feed("t-done", "completed", url="https://cdn.example.test/v.mp4"))
    journal.record(make_task("t-running"), base_url=BASE)
    journal.close()
    script = (
        "import hfwidgets; print(repr(hfwidgets.history())); print(hfwidgets._journal.Journal().pending())"
    )
    env = {**os.environ, "HFWIDGETS_HOME": str(home)}
    with read_only_folder(home):
        with pytest.raises(PermissionError):  # it really is read-only to this process
            (home / "probe").touch()
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        # Writing is refused as before, with the folder named.
        with pytest.raises(JournalError, match="make its folder writable"):
            Journal(home / "journal.sqlite3").record(make_task("t-new"), base_url=BASE)
    assert done.returncode == 0, done.stderr
    assert "History(2 tasks: 1 completed, 1 queued" in done.stdout
    assert "TaskRecord('t-running'" in done.stdout.splitlines()[-1]
    assert "t-done" not in done.stdout.splitlines()[-1]


def test_nothing_secret_or_bulky_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    journal.record(make_task("t-1"), base_url=BASE, image_digest="sha256:0f", thumbnail=b"\xff\xd8small")
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    assert not any("key" in c or "auth" in c or c == "image" for c in columns)


# --------------------------------------------------------------------------- concurrency


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    shared = Journal(path)
    threads_count, per_thread = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def work(n: int) -> None:
        # Half the threads share one Journal, half have their own: both must be safe.
        journal = shared if n % 2 else Journal(path)
        try:
            start.wait()
            for i in range(per_thread):
                task_id = f"th{n}-{i}"
                journal.record(make_task(task_id), base_url=BASE)
                journal.update(task_id, make_feed(task_id, "in_progress"))
                if i % 2:
                    journal.update(task_id, make_feed(task_id, "completed", url=f"http://x/{task_id}.mp4"))
                journal.pending(BASE)  # readers interleaved with writers
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    records = Journal(path).records()
    assert len(records) == threads_count * per_thread
    assert len(Journal(path).pending()) == threads_count * per_thread // 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from hfwidgets._journal import Journal
    from hfwidgets._models import Feed, Task

    path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    journal = Journal(path)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()  # both processes start together
    for i in range(count):
        task_id = f"{prefix}-{i}"
        journal.record(Task(id=task_id, kind="image2video", cost=5, model="lite"), base_url="http://h:1")
        journal.update(task_id, Feed.from_json({"id": task_id, "jobs": [{"status": "completed"}]}))
        journal.records()
    print("done", len(journal.records()))
    """
)


def test_two_processes_hammering_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "journal.sqlite3"
    count = 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), prefix, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("kernel-a", "kernel-b")
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outcomes = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err

    records = Journal(path).records()
    ids = {r.id for r in records}
    assert len(records) == len(ids) == 2 * count
    assert ids == {f"{p}-{i}" for p in ("kernel-a", "kernel-b") for i in range(count)}
    assert all(r.status == "completed" and r.finished_at is not None for r in records)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_forked_child_gets_its_own_connection(tmp_path: Path) -> None:
    import multiprocessing

    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(make_task("parent"), base_url=BASE)
    context = multiprocessing.get_context("fork")
    child = context.Process(target=journal.record, args=(make_task("child"),), kwargs={"base_url": BASE})
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert {r.id for r in journal.records()} == {"parent", "child"}


# --------------------------------------------------------------------------- history and reprs


def filled_history(tmp_path: Path) -> History:
    journal = Journal(tmp_path / "j.sqlite3")
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    journal.record(
        make_task("t-old", created_at=base, prompt="<script>alert(1)</script>"),
        base_url=BASE,
        thumbnail=b"\xff\xd8tiny",
    )
    journal.update("t-old", make_feed("t-old", "completed", url="https://cdn.example/v.mp4?a=1&b=<2>"))
    evil = Motion(id="m", name='<img src=x onerror="alert(1)">')
    journal.record(
        Task(
            id="t-<new>",
            kind="image2video",
            cost=7,
            model="turbo",
            motion=evil,
            seed=3,
            width=1024,
            height=1024,
            created_at=base + timedelta(minutes=1),
        ),
        base_url=BASE,
    )
    journal.update("t-<new>", make_feed("t-<new>", "completed", url="javascript:alert(1)"))
    return History(journal.records())


def test_to_dataframe(tmp_path: Path) -> None:
    frame = filled_history(tmp_path).to_dataframe()
    assert list(frame["id"]) == ["t-<new>", "t-old"]
    assert list(frame["cost"]) == [7, 5]
    assert "thumbnail" not in frame.columns
    assert {"model", "status", "video_url", "created_at", "finished_at", "base_url"} <= set(frame.columns)
    assert History().to_dataframe().empty


def test_to_dataframe_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install \"hfwidgets\[analysis\]\""):
        History().to_dataframe()


def test_text_repr_is_stable_and_readable(tmp_path: Path) -> None:
    text = repr(filled_history(tmp_path))
    assert text.splitlines() == [
        "History(2 tasks: 2 completed; 12 points)",
        "  TaskRecord('t-<new>', model='turbo', motion='<img src=x onerror=\"alert(1)\">', seed=3, "
        "status='completed', cost=7, created=2026-05-01T12:01:00+00:00)",
        "  TaskRecord('t-old', model='lite', motion='Face Punch', seed=374487, status='completed', "
        "cost=5, created=2026-05-01T12:00:00+00:00)",
    ]
    assert repr(History()) == "History(empty)"
    assert "0x" not in repr(Journal(tmp_path / "x.sqlite3"))


def test_record_repr_leaves_out_thumbnail_bytes(tmp_path: Path) -> None:
    record = filled_history(tmp_path)[1]
    assert record.thumbnail == b"\xff\xd8tiny"
    assert "tiny" not in repr(record) and "thumbnail" not in repr(record)


def test_html_repr_escapes_remote_strings_and_refuses_script_links(tmp_path: Path) -> None:
    page = filled_history(tmp_path)._repr_html_()
    assert "<script>" not in page and "<img src=x" not in page and "t-<new>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "t-&lt;new&gt;" in page
    assert "javascript:" not in page
    assert 'href="https://cdn.example/v.mp4?a=1&amp;b=&lt;2&gt;"' in page
    assert 'src="data:image/jpeg;base64,' in page  # the thumbnail, inline
    assert "History(2 tasks" in page
