"""The client against the real emulator: a real HTTP server on localhost making real mp4s."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image

from hfwidgets import (
    BudgetExceeded,
    Client,
    Feed,
    InsufficientCredits,
    PollPolicy,
    SubmissionUncertain,
    TaskFailed,
    TaskTimeout,
)
from hfwidgets._errors import ImageSizeUnknown
from hfwidgets._journal import Journal, TaskRecord
from hfwidgets._models import SIZE_PRESETS
from hfwidgets._requests import GenerateRequest

if TYPE_CHECKING:
    from hfwidgets.emulator import EmulatorServer

pytestmark = pytest.mark.usefixtures("both_transports")  # every test on httpx and on aiohttp

# Emulator tasks take about a second: poll often so the tests stay short.
QUICK = PollPolicy(
    priors={"lite": (0.5, 5.0), "turbo": (0.5, 5.0), "standard": (0.5, 5.0), "ads": (0.5, 5.0)},
    first_delay=0.2,
    window_interval=0.1,
    cap=0.5,
)


def picture(width: int = 320, height: int = 480, colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def client_of(server: EmulatorServer, tmp_path: Path, **kwargs: Any) -> Client:
    kwargs.setdefault("journal", Journal(tmp_path / "journal.sqlite3"))
    kwargs.setdefault("poll", QUICK)
    return server.client(**kwargs)


async def test_generate_wait_feed_has_a_video(emulator: EmulatorServer, tmp_path: Path) -> None:
    async with client_of(emulator, tmp_path) as client:
        assert client.emulated and client.base_url == emulator.base_url
        task = await client.generate(picture(), "Face Punch", "a cat eats", seed=1234)
        statuses: list[str] = []
        feed = await client.wait(task, timeout=60, on_update=lambda f: statuses.append(f.status))
        assert isinstance(feed, Feed) and feed.status == "completed"
        assert feed.video_url and feed.video_url.endswith(".mp4")
        assert feed.params.seed == 1234 and feed.params.model == "lite"
        assert (feed.params.width, feed.params.height) == (task.width, task.height) == (864, 1152)
        assert statuses[-1] == "completed"
        again = await client.feed(task)
        assert again.video_url == feed.video_url
        async with httpx.AsyncClient() as http:
            video = await http.get(feed.video_url)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"


async def test_two_images_make_first_and_last_frame(quick_emulator: EmulatorServer, tmp_path: Path) -> None:
    async with client_of(quick_emulator, tmp_path) as client:
        first, last = picture(colour=(250, 20, 20)), picture(colour=(20, 20, 250))
        task = await client.generate([first, last], "Face Punch", model="turbo", width=736, height=1312)
        feed = await client.wait(task, timeout=60)
        assert feed.status == "completed" and feed.params.input_image_end_url
        assert client.spent == 7


async def test_ads_task_completes(quick_emulator: EmulatorServer, tmp_path: Path) -> None:
    async with client_of(quick_emulator, tmp_path) as client:
        task = await client.ads(picture(512, 512), "3hpZ2HB0xS688KnzMIwU16", size="1024x1024")
        feed = await client.wait(task, timeout=60)
        assert feed.status == "completed" and feed.video_url
        assert task.cost == 13 and client.spent == 13


async def test_a_tiny_image_is_upscaled_with_a_warning_naming_the_sizes(
    quick_emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_of(quick_emulator, tmp_path) as client:
        with caplog.at_level(logging.WARNING, logger="hfwidgets"):
            task = await client.generate(picture(32, 32), "Static", width=1024, height=1024)
        assert task.id
        (warning,) = [r.getMessage() for r in caplog.records if "upscaled" in r.getMessage()]
        assert "32×32" in warning and "1024×1024" in warning and "32×" in warning
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="hfwidgets"):
            await client.generate(picture(320, 480), "Static")  # about 2.7×: no warning
        assert not [r for r in caplog.records if "upscaled" in r.getMessage()]


async def test_an_image_urls_size_picks_the_preset_or_says_why_it_cannot(
    quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    before = quick_emulator.counters["generate"]
    async with client_of(quick_emulator, tmp_path) as client:
        assert await client.image_size(f"{quick_emulator.base_url}/samples/landscape.jpg") == (1280, 720)
        task = await client.generate(f"{quick_emulator.base_url}/samples/landscape.jpg", "Static")
        assert (task.width, task.height) == SIZE_PRESETS["16:9"]
        with pytest.raises(ImageSizeUnknown, match="answered HTTP 404"):
            await client.generate(f"{quick_emulator.base_url}/samples/none.jpg", "Static")
    assert quick_emulator.counters["generate"] == before + 1


async def test_motions_search_reads_the_live_listing(quick_emulator: EmulatorServer, tmp_path: Path) -> None:
    async with client_of(quick_emulator, tmp_path) as client:
        before = quick_emulator.counters["motions"]
        found = await client.fetch_motions("punch")
        assert quick_emulator.counters["motions"] == before + 1
        assert [m.name for m in found] == ["Face Punch"]
        everything = await client.fetch_motions()
        assert len(everything) >= 30
        with pytest.warns(DeprecationWarning, match="fetch_motions"):
            assert await client.motions("punch") == found  # the old name still answers


@pytest.mark.parametrize("outcome", ["failed", "nsfw", "canceled"])
async def test_failure_outcomes_raise_task_failed(
    private_quick_emulator: EmulatorServer, tmp_path: Path, outcome: str
) -> None:
    private_quick_emulator.faults.task_outcome(outcome)
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch", seed=7)
        with pytest.raises(TaskFailed) as caught:
            await client.wait(task, timeout=60)
        assert caught.value.status == outcome and caught.value.task_id == task.id
        record = client.journal.get(task.id) if client.journal else None
        assert record is not None and record.status == outcome


async def test_never_finishing_task_times_out_and_can_be_waited_again(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.stall_tasks()
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch")
        with pytest.raises(TaskTimeout) as caught:
            await client.wait(task, timeout=1.5)
        assert caught.value.task_id == task.id and caught.value.last_status == "in_progress"
        assert client.journal is not None and [r.id for r in client.journal.pending(client.base_url)] == [
            task.id
        ]
        with pytest.raises(TaskTimeout):
            await client.wait(task.id, timeout=0.5)


async def test_unknown_status_is_shown_and_ends_at_the_deadline(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.task_outcome("postprocessing")
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch")
        seen: list[str] = []
        polls_before = private_quick_emulator.counters["feed"]
        with pytest.raises(TaskTimeout) as caught:
            await client.wait(task, timeout=3, on_update=lambda f: seen.append(f.status))
        assert "postprocessing" in seen and caught.value.last_status == "postprocessing"
        # Paced polling: at most one poll per window interval (0.1 s) plus the early ones.
        assert private_quick_emulator.counters["feed"] - polls_before <= 3 / QUICK.window_interval + 5


async def test_several_jobs_finish_only_when_all_are_done(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.jobs_per_task(3)
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch")
        feed = await client.wait(task, timeout=60)
        assert len(feed.jobs) == 3 and all(job.status == "completed" for job in feed.jobs)
        completed_at = private_quick_emulator.tasks[task.id].completed_at
        assert completed_at is not None


async def test_budget_refusal_sends_nothing(private_quick_emulator: EmulatorServer, tmp_path: Path) -> None:
    async with client_of(private_quick_emulator, tmp_path, budget=12) as client:
        await client.generate(picture(), "Face Punch", model="standard")
        with pytest.raises(BudgetExceeded):
            await client.generate(picture(), "Face Punch", model="lite")
        with pytest.raises(BudgetExceeded):
            await client.ads(picture(), "3hpZ2HB0xS688KnzMIwU16")
        assert (
            private_quick_emulator.counters["generate"] == 1 and private_quick_emulator.counters["ads"] == 0
        )
        assert client.spent == 10


async def test_out_of_credits_is_insufficient_credits(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.credits = 6
    async with client_of(private_quick_emulator, tmp_path) as client:
        await client.generate(picture(), "Face Punch")
        with pytest.raises(InsufficientCredits):
            await client.generate(picture(), "Face Punch")
        assert private_quick_emulator.counters["generate"] == 2 and client.spent == 5


async def test_transient_faults_while_polling_are_absorbed(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch")
        private_quick_emulator.faults.rate_limit("feed", 1, retry_after=0.1)
        private_quick_emulator.faults.server_error("feed", 2)
        private_quick_emulator.faults.html_error("feed", 1)
        private_quick_emulator.faults.malformed_json("feed", 1)
        private_quick_emulator.faults.drop_connection("feed", 1)
        feed = await client.wait(task, timeout=60)
        assert feed.status == "completed"


async def test_dropped_submission_is_uncertain_and_never_resent(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.drop_connection("generate", 1, processed=True)
    async with client_of(private_quick_emulator, tmp_path) as client:
        with pytest.raises(SubmissionUncertain):
            await client.generate(picture(), "Face Punch")
        assert private_quick_emulator.counters["generate"] == 1
        assert len(private_quick_emulator.tasks) == 1  # it was created (and billed) on the server


async def test_rate_limited_submission_is_resent_once_refused(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    private_quick_emulator.faults.rate_limit("generate", 1, retry_after=0.1)
    async with client_of(private_quick_emulator, tmp_path) as client:
        task = await client.generate(picture(), "Face Punch")
        assert private_quick_emulator.counters["generate"] == 2
        assert list(private_quick_emulator.tasks) == [task.id]


async def test_a_task_is_as_old_as_its_accepted_request_not_its_draft(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    from datetime import datetime, timedelta, timezone

    # Refused first with Retry-After: 1 s: the request that created the task left a second later.
    private_quick_emulator.faults.rate_limit("generate", 1, retry_after=1.0)
    async with client_of(private_quick_emulator, tmp_path) as client:
        drafted = datetime.now(timezone.utc)
        task = await client.generate(picture(), "Face Punch")
        answered = datetime.now(timezone.utc)
        assert drafted + timedelta(seconds=0.9) <= task.created_at <= answered
        server_side = private_quick_emulator.tasks[task.id].created_at
        assert abs(task.created_at.timestamp() - server_side) < 0.5
        record = client.journal.get(task.id) if client.journal else None
        assert record is not None and record.created_at == task.created_at


async def test_journal_records_tasks_and_resume_finishes_them(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "shared.sqlite3")
    async with client_of(private_quick_emulator, tmp_path, journal=journal) as first:
        one = await first.generate(picture(), "Face Punch")
        two = await first.ads(picture(), "3hpZ2HB0xS688KnzMIwU16")
    pending = {r.id for r in journal.pending(private_quick_emulator.base_url)}
    assert pending == {one.id, two.id}
    async with client_of(private_quick_emulator, tmp_path, journal=journal) as second:
        feeds = await second.resume(timeout=60)
    assert {f.id for f in feeds} == {one.id, two.id}
    assert all(f.status == "completed" for f in feeds)
    assert journal.pending(private_quick_emulator.base_url) == []
    assert all(r.video_url for r in journal.records(private_quick_emulator.base_url))


async def test_resume_reports_each_task_as_it_starts_and_ends(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """`on_start` sees every journal row before waiting begins; `on_done` each row with its final feed,
    or None for a task the service does not know (what a Studio shows in its History)."""
    journal = Journal(tmp_path / "shared.sqlite3")
    async with client_of(private_quick_emulator, tmp_path, journal=journal) as first:
        known = await first.generate(picture(), "Face Punch")
    gone = GenerateRequest(picture(), "Bullet Time", seed=3, width=320, height=480).to_task("gone-1", 5)
    journal.record(gone, base_url=private_quick_emulator.base_url)
    started: list[str] = []
    ended: dict[str, str | None] = {}

    def on_start(record: TaskRecord) -> None:
        assert not ended, "a task ended before every row was announced"
        started.append(record.id)

    def on_done(record: TaskRecord, feed: Feed | None) -> None:
        assert feed is None or feed.id == record.id
        ended[record.id] = feed.status if feed is not None else None

    async with client_of(private_quick_emulator, tmp_path, journal=journal) as second:
        feeds = await second.resume(timeout=60, on_start=on_start, on_done=on_done)
    assert sorted(started) == sorted([known.id, "gone-1"])
    assert ended == {known.id: "completed", "gone-1": None}
    assert [f.id for f in feeds] == [known.id]


async def test_client_from_environment_talks_to_the_emulator(
    quick_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-emulator")
    monkeypatch.setenv("OPENAI_HK_BASE_URL", quick_emulator.base_url)
    async with Client(poll=QUICK, journal=False) as client:
        feed = await client.wait(await client.generate(picture(), "Face Punch"), timeout=60)
    assert feed.status == "completed"


async def test_the_chosen_transport_carries_the_requests(
    quick_emulator: EmulatorServer, tmp_path: Path, both_transports: str
) -> None:
    async with client_of(quick_emulator, tmp_path) as client:
        assert client.transport == both_transports
        task = await client.generate(picture(), "Face Punch", width=320, height=480)
        assert (await client.feed(task)).id == task.id
        uses_aiohttp = type(client._connections.http(billable=True)).__module__.startswith("httpx_aiohttp")
        assert uses_aiohttp == (both_transports == "aiohttp")


def test_an_unknown_transport_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import ValidationError

    with pytest.raises(ValidationError, match="transport"):
        Client(api_key="hk-x", base_url="http://127.0.0.1:9", transport="curl")
    monkeypatch.setenv("HFWIDGETS_TRANSPORT", "urllib")
    with pytest.raises(ValidationError, match="HFWIDGETS_TRANSPORT"):
        Client(api_key="hk-x", base_url="http://127.0.0.1:9")


def test_an_emulator_client_polls_on_the_emulators_own_timings(quick_emulator: EmulatorServer) -> None:
    client = quick_emulator.client(journal=False)
    low, high = client.poll.window("lite")
    assert low <= 1.2 <= high <= 3.0  # the default Timing: queued 0.2 s, then in progress 1.0 s
    times = client.poll.poll_times("lite", until=1.3)
    assert times[-1] <= 1.45  # a task finished at 1.3 s is seen within about 0.1 s


async def test_a_task_still_running_keeps_the_learned_window_open(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    import asyncio
    import dataclasses
    from datetime import timedelta

    async with client_of(private_quick_emulator, tmp_path) as client:
        quick = [
            await client.generate(picture(), "Face Punch", seed=s, width=736, height=1312)
            for s in range(1, 6)
        ]
        await asyncio.gather(*(client.wait(task, timeout=60) for task in quick))
        learned = client.expected_window("lite")
        assert learned[1] < 5.0  # five ~1.2 s tasks observed: their quantiles replace the prior (0.5-5 s)
        private_quick_emulator.faults.stall_tasks(1)
        stalled = await client.generate(picture(), "Face Punch", seed=9, width=736, height=1312)
        # Submitted 30 s ago as far as the client knows: it outlived every finished lite task.
        stalled = dataclasses.replace(stalled, created_at=stalled.created_at - timedelta(seconds=30))
        waiting = asyncio.ensure_future(client.wait(stalled, timeout=60))
        widened = (learned[0], QUICK.priors["lite"][1])
        deadline = asyncio.get_running_loop().time() + 30
        while client.expected_window("lite") != widened:  # once the waiter has read its feed
            assert asyncio.get_running_loop().time() < deadline, client.expected_window("lite")
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert client.expected_window("lite") == learned
