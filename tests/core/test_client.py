"""Client behaviour on httpx.MockTransport: validation first, money, keys, waiting rules."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from hfwidgets import (
    APIError,
    BudgetExceeded,
    Client,
    Feed,
    MissingKeyError,
    PollPolicy,
    SubmissionUncertain,
    Task,
    TaskFailed,
    TaskTimeout,
    ValidationError,
)
from hfwidgets._journal import Journal

MOTIONS_SNAPSHOT = Path(__file__).parent.parent.parent / "hfwidgets" / "data" / "motions.json"

KEY = "hk-unit-secret-abcdef0123"
BASE = "https://api.example.test"
MOTIONS = "https://motions.example.test/motions"
FACE_PUNCH = "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"
IMAGE_URL = "https://images.example.test/cat.png"

FAST = PollPolicy(
    priors={"lite": (0.0, 5.0), "turbo": (0.0, 5.0), "standard": (0.0, 5.0), "ads": (0.0, 5.0)},
    first_delay=0.01,
    window_interval=0.02,
    cap=0.05,
)


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def feed_json(task_id: str, *statuses: str) -> dict[str, Any]:
    jobs = []
    for index, status in enumerate(statuses):
        job: dict[str, Any] = {"id": f"job{index}", "status": status}
        if status == "completed":
            job["result"] = {"type": "video", "url": f"https://cdn.example.test/{task_id}-{index}.mp4"}
        jobs.append(job)
    return {"id": task_id, "type": "image2video", "params": {"model": "lite"}, "jobs": jobs}


class FakeApi:
    """A tiny scripted API: records requests; feeds follow a per-task list of status tuples."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.feeds: dict[str, list[Any]] = {}
        self.post_answer: Callable[[httpx.Request], httpx.Response] | None = None
        self.next_id = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.url.host == "images.example.test":
            return httpx.Response(200, content=png(400, 300), headers={"content-type": "image/png"})
        if request.url.host == "motions.example.test":
            return httpx.Response(200, json=json.loads((MOTIONS_SNAPSHOT).read_text()))
        if request.method == "POST":
            if self.post_answer is not None:
                return self.post_answer(request)
            self.next_id += 1
            return httpx.Response(200, json={"id": f"task-{self.next_id}"})
        if path.startswith("/higgsfield/feed/"):
            task_id = path.rsplit("/", 1)[1]
            script = self.feeds.get(task_id, [("completed",)])
            step = script.pop(0) if len(script) > 1 else script[0]
            if isinstance(step, httpx.Response):
                return step
            return httpx.Response(200, json=feed_json(task_id, *step))
        return httpx.Response(404, json={"detail": "not found"})

    def posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.posts()]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fake_client(api: FakeApi, sleeps: list[float], tmp_path: Path) -> Client:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return Client(
        KEY,
        BASE,
        motions_url=MOTIONS,
        transport=httpx.MockTransport(api),
        poll=FAST,
        journal=Journal(tmp_path / "journal.sqlite3"),
        sleep=fake_sleep,
    )


# --------------------------------------------------------------------------- construction


def test_a_base_url_without_a_key_names_the_variable_and_the_emulator() -> None:
    with pytest.raises(MissingKeyError, match="OPENAI_HK_API_KEY") as caught:
        Client(base_url="http://127.0.0.1:9")
    assert "emulator" in str(caught.value)


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_HK_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_HK_BASE_URL", "http://127.0.0.1:9/")
    client = Client()
    assert client.base_url == "http://127.0.0.1:9"
    assert repr(client) == "Client(base_url='http://127.0.0.1:9', key='***', spent=0)"


def test_repr_hides_the_key(fake_client: Client) -> None:
    shown = repr(fake_client)
    assert KEY not in shown and "key='***'" in shown
    budgeted = Client(KEY, "http://127.0.0.1:8123", budget=100, emulated=True)
    assert (
        repr(budgeted)
        == "Client(base_url='http://127.0.0.1:8123', key='***', spent=0, budget=100, emulated=True)"
    )
    assert KEY not in str(vars(budgeted))


@pytest.mark.parametrize(
    ("name", "value"), [("budget", -1), ("budget", True), ("max_retries", -1), ("timeout", 0)]
)
def test_bad_client_options_are_refused(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Client(KEY, BASE, **{name: value})
    assert caught.value.field == name


# --------------------------------------------------------------------------- generate


async def test_generate_sends_one_validated_body(fake_client: Client, api: FakeApi) -> None:
    task = await fake_client.generate(
        IMAGE_URL, "Face Punch", "eating", model="turbo", seed=42, width=736, height=1312
    )
    assert isinstance(task, Task) and task.id == "task-1"
    assert (task.model, task.seed, task.cost, task.width, task.height) == ("turbo", 42, 7, 736, 1312)
    assert api.bodies() == [
        {
            "model": "turbo",
            "motion_id": FACE_PUNCH,
            "prompt": "eating",
            "enhance_prompt": True,
            "seed": 42,
            "width": 736,
            "height": 1312,
            "image": [IMAGE_URL],
        }
    ]
    assert fake_client.spent == 7


async def test_generate_draws_a_seed_and_records_it(fake_client: Client, api: FakeApi) -> None:
    task = await fake_client.generate(IMAGE_URL, FACE_PUNCH, width=1024, height=1024)
    assert task.seed is not None and 1 <= task.seed <= 1_000_000
    assert api.bodies()[0]["seed"] == task.seed


async def test_size_defaults_from_the_local_image_aspect(fake_client: Client, api: FakeApi) -> None:
    task = await fake_client.generate(png(300, 600), "Face Punch", seed=1)
    assert (task.width, task.height) == (736, 1312)  # 9:16 is the closest preset to 1:2
    sent = api.bodies()[0]["image"][0]
    assert sent.startswith("data:image/jpeg;base64,")


async def test_size_defaults_from_a_probed_url_without_sending_the_key(
    fake_client: Client, api: FakeApi
) -> None:
    task = await fake_client.generate(IMAGE_URL, "Face Punch", seed=1)
    assert (task.width, task.height) == (1152, 864)  # 400x300 is 4:3
    probe = [r for r in api.requests if r.url.host == "images.example.test"]
    assert probe and all("authorization" not in r.headers for r in probe)


async def test_unreadable_url_size_asks_for_width_and_height(fake_client: Client, api: FakeApi) -> None:
    with pytest.raises(ValidationError, match="pass width= and height="):
        await fake_client.generate(
            "https://images.example.test/missing.png".replace("images", "nowhere"), "Face Punch"
        )
    assert api.posts() == []


async def test_two_images_are_first_and_last_frame(fake_client: Client, api: FakeApi) -> None:
    await fake_client.generate([png(300, 600), IMAGE_URL], "Face Punch", seed=5)
    images = api.bodies()[0]["image"]
    assert len(images) == 2 and images[1] == IMAGE_URL


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model": "ultra"}, "model"),
        ({"seed": 0}, "seed"),
        ({"seed": True}, "seed"),
        ({"width": 730, "height": 1312}, "width"),
        ({"width": 736}, "height"),
        ({"prompt": 5}, "prompt"),
        ({"enhance_prompt": "yes"}, "enhance_prompt"),
        ({"image": []}, "image"),
        ({"image": [IMAGE_URL] * 3}, "image"),
        ({"image": "ftp://x/y.png"}, "image"),
        ({"motion": "No Such Motion"}, "motion"),
        ({"motion": "Melting"}, "motion"),
    ],
)
async def test_every_bad_field_is_refused_before_anything_is_sent(
    fake_client: Client, api: FakeApi, kwargs: dict[str, Any], field: str
) -> None:
    args = {"image": IMAGE_URL, "motion": "Face Punch", "width": 736, "height": 1312, **kwargs}
    if "width" in kwargs and "height" not in kwargs:
        del args["height"]
    with pytest.raises(ValidationError) as caught:
        await fake_client.generate(args.pop("image"), args.pop("motion"), **args)
    assert caught.value.field == field
    assert api.requests == []


async def test_ambiguous_motion_name_lists_the_ids(fake_client: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        await fake_client.generate(IMAGE_URL, "melting", width=736, height=1312)
    assert str(caught.value).count("id=") == 2


async def test_budget_refuses_before_sending(api: FakeApi, tmp_path: Path) -> None:
    client = Client(KEY, BASE, budget=12, transport=httpx.MockTransport(api), journal=False)
    await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert client.spent == 10
    with pytest.raises(BudgetExceeded, match="costs 5 points, 10 already spent, budget is 12"):
        await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    with pytest.raises(BudgetExceeded):
        await client.ads(IMAGE_URL, "abc")
    assert len(api.posts()) == 2
    assert client.price("ads") == 13 and client.price("standard") == 10


async def test_concurrent_submissions_cannot_overspend(api: FakeApi) -> None:
    client = Client(KEY, BASE, budget=10, transport=httpx.MockTransport(api), journal=False)
    results = await asyncio.gather(
        *(client.generate(IMAGE_URL, "Face Punch", width=736, height=1312) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Task) for r in results) == 2
    assert sum(isinstance(r, BudgetExceeded) for r in results) == 2
    assert client.spent == 10 and len(api.posts()) == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.Response(503, text="busy")],
)
async def test_uncertain_submission_is_sent_once_and_counted_against_the_budget(
    api: FakeApi, failure: Any
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(failure, Exception):
            raise failure
        response: httpx.Response = failure
        return response

    api.post_answer = answer
    client = Client(KEY, BASE, budget=9, transport=httpx.MockTransport(api), journal=False)
    with pytest.raises(SubmissionUncertain, match="may have been charged"):
        await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert len(api.posts()) == 1
    assert client.spent == 0 and client.uncertain == 5
    with pytest.raises(BudgetExceeded):
        await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert len(api.posts()) == 1


async def test_connect_refused_submission_is_sent_twice_then_succeeds(
    api: FakeApi, sleeps: list[float]
) -> None:
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"id": "task-after-refusal"})

    api.post_answer = answer

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = Client(KEY, BASE, transport=httpx.MockTransport(api), journal=False, sleep=fake_sleep)
    task = await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert task.id == "task-after-refusal"
    assert len(api.posts()) == 2 and len(sleeps) == 1


async def test_errors_never_show_the_key(api: FakeApi) -> None:
    api.post_answer = lambda request: httpx.Response(400, json={"error": f"bad key {KEY}"})
    client = Client(KEY, BASE, transport=httpx.MockTransport(api), journal=False)
    with pytest.raises(APIError, match="bad key") as caught:
        await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert KEY not in getattr(caught.value, "body", "")


async def test_key_goes_to_the_base_url_only(fake_client: Client, api: FakeApi) -> None:
    await fake_client.generate(IMAGE_URL, "Face Punch", seed=3)
    await fake_client.fetch_motions()
    await fake_client.feed("task-1")
    for request in api.requests:
        to_api = request.url.host == "api.example.test"
        assert ("authorization" in request.headers) == to_api, request.url
        if to_api:
            assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_ads_sends_one_validated_body(fake_client: Client, api: FakeApi) -> None:
    task = await fake_client.ads(IMAGE_URL, "3hpZ2HB0xS688KnzMIwU16", size="1024x1024")
    assert task.kind == "ads" and task.cost == 13 and task.template_id == "3hpZ2HB0xS688KnzMIwU16"
    assert api.bodies() == [
        {"product_placement_sample_id": "3hpZ2HB0xS688KnzMIwU16", "image": [IMAGE_URL], "size": "1024x1024"}
    ]
    assert api.posts()[0].url.path == "/higgsfield/ads"


async def test_ads_refuse_bad_fields_before_sending(fake_client: Client, api: FakeApi) -> None:
    for call in (
        fake_client.ads(IMAGE_URL, ""),
        fake_client.ads(IMAGE_URL, "abc", size="big"),
        fake_client.ads([], "abc"),
    ):
        with pytest.raises(ValidationError):
            await call
    assert api.requests == []


async def test_accepted_tasks_are_journalled_before_waiting(fake_client: Client, api: FakeApi) -> None:
    task = await fake_client.generate(png(300, 600), "Face Punch", seed=9)
    assert fake_client.journal is not None
    record = fake_client.journal.get(task.id)
    assert record is not None and record.status == "queued" and record.base_url == BASE
    assert record.seed == 9 and record.thumbnail is not None and record.image_digest
    feed = await fake_client.wait(task, timeout=5)
    record = fake_client.journal.get(task.id)
    assert record is not None and record.status == "completed" and record.video_url == feed.video_url


async def test_journal_false_writes_nothing(api: FakeApi, tmp_path: Path) -> None:
    client = Client(KEY, BASE, transport=httpx.MockTransport(api), journal=False)
    await client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    assert client.journal is None
    assert not (tmp_path / "hfwidgets-home").exists()


# --------------------------------------------------------------------------- feed and wait


async def test_feed_parses_and_names_the_task(fake_client: Client, api: FakeApi) -> None:
    api.feeds["t1"] = [httpx.Response(200, json={"jobs": "nope"})]
    from hfwidgets import MalformedResponse

    with pytest.raises(MalformedResponse) as caught:
        await fake_client.feed("t1")
    assert caught.value.task_id == "t1"
    api.feeds["t2"] = [("in_progress",)]
    feed = await fake_client.feed("t2")
    assert isinstance(feed, Feed) and feed.status == "in_progress"


async def test_wait_reports_every_poll_and_returns_when_all_jobs_are_terminal(
    fake_client: Client, api: FakeApi
) -> None:
    api.feeds["multi"] = [
        ("queued", "queued"),
        ("completed", "in_progress"),
        ("completed", "in_progress"),
        ("completed", "completed"),
    ]
    seen: list[str] = []
    feed = await fake_client.wait("multi", timeout=5, on_update=lambda f: seen.append(f.status))
    assert feed.done and feed.status == "completed" and len(feed.jobs) == 2
    assert seen == ["queued", "in_progress", "in_progress", "completed"]


async def test_wait_accepts_an_async_callback(fake_client: Client, api: FakeApi) -> None:
    api.feeds["a"] = [("queued",), ("completed",)]
    seen: list[str] = []

    async def note(feed: Feed) -> None:
        await asyncio.sleep(0)
        seen.append(feed.status)

    await fake_client.wait("a", timeout=5, on_update=note)
    assert seen == ["queued", "completed"]


@pytest.mark.parametrize("status", ["failed", "nsfw", "canceled"])
async def test_failure_statuses_raise_task_failed(fake_client: Client, api: FakeApi, status: str) -> None:
    api.feeds["bad"] = [("in_progress",), (status,)]
    with pytest.raises(TaskFailed) as caught:
        await fake_client.wait("bad", timeout=5)
    assert caught.value.status == status and caught.value.feed.id == "bad"


async def test_one_failed_job_among_several_fails_only_when_all_are_terminal(
    fake_client: Client, api: FakeApi
) -> None:
    api.feeds["mix"] = [("failed", "in_progress"), ("failed", "completed")]
    seen: list[str] = []
    with pytest.raises(TaskFailed):
        await fake_client.wait("mix", timeout=5, on_update=lambda f: seen.append(f.status))
    assert seen == ["in_progress", "failed"]


async def test_unknown_status_stays_visible_and_times_out_without_spinning(
    fake_client: Client, api: FakeApi
) -> None:
    api.feeds["odd"] = [("rendering_on_mars",)]
    seen: list[str] = []
    with pytest.raises(TaskTimeout) as caught:
        await fake_client.wait("odd", timeout=0.4, on_update=lambda f: seen.append(f.status))
    assert caught.value.task_id == "odd" and caught.value.last_status == "rendering_on_mars"
    assert set(seen) == {"rendering_on_mars"}
    # Polls are paced by the policy (cap 0.05 s here): a handful, not thousands.
    assert 2 <= len(seen) <= 0.4 / FAST.first_delay + 2


async def test_timed_out_task_can_be_waited_on_again(fake_client: Client, api: FakeApi) -> None:
    api.feeds["slow"] = [("in_progress",)] * 30 + [("completed",)]
    with pytest.raises(TaskTimeout, match="wait\\('slow'\\) again"):
        await fake_client.wait("slow", timeout=0.1)
    feed = await fake_client.wait("slow", timeout=10)
    assert feed.status == "completed"


async def test_transient_errors_while_waiting_never_lose_the_task(fake_client: Client, api: FakeApi) -> None:
    api.feeds["flaky"] = [
        ("queued",),
        httpx.Response(
            502, text="<html><title>Bad Gateway</title></html>", headers={"content-type": "text/html"}
        ),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, text="<html>maintenance</html>"),
        ("in_progress",),
        ("completed",),
    ]
    feed = await fake_client.wait("flaky", timeout=10)
    assert feed.status == "completed"


async def test_auth_errors_while_waiting_are_raised(fake_client: Client, api: FakeApi) -> None:
    from hfwidgets import AuthError

    api.feeds["denied"] = [httpx.Response(401, json={"error": "bad key"})]
    with pytest.raises(AuthError):
        await fake_client.wait("denied", timeout=5)


async def test_cancelling_the_wait_stops_it_cleanly(fake_client: Client, api: FakeApi) -> None:
    api.feeds["forever"] = [("in_progress",)]
    waiting = asyncio.create_task(fake_client.wait("forever", timeout=60))
    await asyncio.sleep(0.1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    polls = len(api.requests)
    await asyncio.sleep(0.1)
    assert len(api.requests) == polls


async def test_resume_waits_for_every_unfinished_journalled_task(fake_client: Client, api: FakeApi) -> None:
    first = await fake_client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    second = await fake_client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    api.feeds[first.id] = [("in_progress",), ("completed",)]
    api.feeds[second.id] = [("nsfw",)]
    feeds = await fake_client.resume(timeout=5)
    assert sorted((f.id, f.status) for f in feeds) == [(first.id, "completed"), (second.id, "nsfw")]
    assert fake_client.journal is not None and fake_client.journal.pending(BASE) == []
    assert await fake_client.resume(timeout=5) == []


# --------------------------------------------------------------------------- motions


async def test_motions_come_from_the_listing_without_the_key(fake_client: Client, api: FakeApi) -> None:
    items = await fake_client.fetch_motions("punch")
    request = api.requests[-1]
    assert request.url.host == "motions.example.test"
    assert request.url.params["search"] == "punch" and int(request.url.params["size"]) > 0
    assert "authorization" not in request.headers
    assert len(items) == 30  # the listing as served (this mock ignores the search)


async def test_motions_fall_back_to_the_bundled_snapshot(caplog: pytest.LogCaptureFixture) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route")

    client = Client(KEY, BASE, motions_url=MOTIONS, transport=httpx.MockTransport(down), journal=False)
    with caplog.at_level(logging.INFO, logger="hfwidgets"):
        items = await client.fetch_motions("punch")
    assert [m.name for m in items] == ["Face Punch"]
    assert "bundled snapshot" in caplog.text


async def test_one_client_serves_two_event_loops(api: FakeApi) -> None:
    import threading

    client = Client(KEY, BASE, transport=httpx.MockTransport(api), journal=False)
    await client.feed("here")
    result: dict[str, Any] = {}

    def other_thread() -> None:
        result["feed"] = asyncio.run(client.feed("there"))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert result["feed"].id == "there"
    await client.feed("here-again")
    await client.aclose()


async def test_persistently_malformed_feed_times_out_explaining_why(
    fake_client: Client, api: FakeApi
) -> None:
    from hfwidgets import MalformedResponse

    api.feeds["garbled"] = [httpx.Response(200, json={"id": "garbled", "jobs": "not a list"})]
    with pytest.raises(TaskTimeout) as caught:
        await fake_client.wait("garbled", timeout=0.2)
    assert isinstance(caught.value.__cause__, MalformedResponse)
    assert caught.value.__cause__.task_id == "garbled"


class ConcurrencyCounter(httpx.AsyncBaseTransport):
    """Answers every feed read after a short pause, noting how many requests were in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
        finally:
            self.in_flight -= 1
        self.served += 1
        task_id = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json=feed_json(task_id, "in_progress"))


async def test_requests_in_flight_are_bounded_per_event_loop() -> None:
    from hfwidgets._http import MAX_IN_FLIGHT

    transport = ConcurrencyCounter()
    client = Client(KEY, BASE, transport=transport, journal=False)
    feeds = await asyncio.gather(*(client.feed(f"t{index}") for index in range(4 * MAX_IN_FLIGHT)))
    await client.aclose()
    # Every read was answered, never more than the bound at once, and the bound was actually reached.
    assert [feed.id for feed in feeds] == [f"t{index}" for index in range(4 * MAX_IN_FLIGHT)]
    assert transport.served == 4 * MAX_IN_FLIGHT
    assert transport.most == MAX_IN_FLIGHT


async def test_journal_is_written_only_when_the_task_changes(fake_client: Client, api: FakeApi) -> None:
    journal = fake_client.journal
    assert journal is not None
    written: list[str] = []
    update = journal.update

    def counting_update(task_id: str, feed: Feed, **kwargs: Any) -> None:
        written.append(feed.status)
        update(task_id, feed, **kwargs)

    journal.update = counting_update  # type: ignore[method-assign]
    task = await fake_client.generate(IMAGE_URL, "Face Punch", width=736, height=1312)
    api.feeds[task.id] = [
        ("queued",),
        ("queued",),
        ("in_progress",),
        ("in_progress",),
        ("in_progress",),
        ("completed",),
    ]
    seen: list[str] = []
    feed = await fake_client.wait(task, timeout=10, on_update=lambda f: seen.append(f.status))
    assert feed.status == "completed"
    assert len(seen) == 6  # every poll still reaches the caller
    # ... but the journal is written once per state change, and keeps the final URL.
    assert written == ["queued", "in_progress", "completed"]
    (record,) = [r for r in journal.records() if r.id == task.id]
    assert record.status == "completed" and record.video_url == f"https://cdn.example.test/{task.id}-0.mp4"
