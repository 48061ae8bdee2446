"""The journal and a waiter keep the truth about a task, whatever a lagging or confused service answers.

A small scripted server (raw asyncio TCP on 127.0.0.1, one request per connection)
accepts one submission and answers each feed read with the next answer of a script:
a finished task read again through a lagging replica ("in_progress" after
"completed"), an answer about another task, statuses spelt differently, a
completed task whose video URL arrives one read late.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hfwidgets import APIError, Client, MalformedResponse, SubmissionUncertain, TaskTimeout, _waiting
from hfwidgets._journal import Journal
from hfwidgets._models import Feed
from hfwidgets._polling import PollPolicy

pytestmark = [pytest.mark.usefixtures("both_transports"), pytest.mark.timeout(60)]

KEY = "hk-feed-truth-0123456789abcdef"
MINE = "t-mine"
VIDEO = "https://cdn.example.test/t-mine.mp4"
QUICK = PollPolicy(
    priors={"lite": (0.0, 1.0)}, first_delay=0.05, sparse_cap=0.1, window_interval=0.05, cap=0.1
)
"""Reads every ~0.1 s: the scripts are a few reads long."""


def feed(status: str, *, task_id: str = MINE, url: str | None = None) -> dict[str, Any]:
    job: dict[str, Any] = {"id": "job-1", "status": status}
    if url is not None:
        job["result"] = {"type": "video", "url": url}
    return {"id": task_id, "type": "image2video", "params": {"model": "lite"}, "jobs": [job]}


@dataclass
class FeedScript:
    """Answers a POST with MINE, and the n-th feed read with answers[n] (the last one repeats)."""

    answers: list[dict[str, Any]]
    refusals: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(status, body) answers to the first POSTs, before one is accepted."""
    posts: int = 0
    reads: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def then(self, *answers: dict[str, Any]) -> None:
        """From the next read on, answer `answers` in turn."""
        self.answers = [*self.answers[: len(self.reads)], *answers]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            lines = head.split("\r\n")
            length = next(
                (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")),
                0,
            )
            await reader.readexactly(length)
            method, path = lines[0].split()[:2]
            status = "200 OK"
            if method == "POST":
                self.posts += 1
                body: dict[str, Any] = {"id": MINE}
                if self.refusals:
                    code, body = self.refusals.pop(0)
                    status = f"{code} Refused"
            else:
                self.reads.append(path)
                body = self.answers[min(len(self.reads), len(self.answers)) - 1]
            data = json.dumps(body, ensure_ascii=False).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\n".encode()
                + b"Content-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def script() -> AsyncIterator[FeedScript]:
    served = FeedScript([feed("queued")])
    server = await asyncio.start_server(served.handle, "127.0.0.1", 0)
    served.port = server.sockets[0].getsockname()[1]
    yield served
    server.close()
    await server.wait_closed()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.sqlite3")


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 96), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def submit(script: FeedScript, journal: Journal) -> tuple[Client, Any]:
    client = Client(KEY, script.base_url, journal=journal, poll=QUICK, max_retries=1)
    task = await client.generate(picture(), "Face Punch", "a cat", seed=1, width=64, height=96)
    return client, task


async def test_a_stale_read_after_completion_never_unfinishes_the_journalled_task(
    script: FeedScript, journal: Journal
) -> None:
    script.then(feed("in_progress"), feed("completed", url=VIDEO))
    client, task = await submit(script, journal)
    done = await client.wait(task, timeout=30)
    assert done.status == "completed" and done.video_url == VIDEO
    # A second waiter (another kernel, a resume) reads the task through a lagging replica.
    script.then(feed("in_progress"), feed("in_progress"), feed("completed", url=VIDEO))
    seen: list[tuple[str, str, list[str]]] = []

    def look(update: Feed) -> None:
        record = journal.get(MINE)
        assert record is not None
        seen.append((update.status, record.status, [r.id for r in journal.pending()]))

    again = await client.wait(MINE, timeout=30, on_update=look)
    assert again.status == "completed" and again.video_url == VIDEO
    # The stale reads were shown as such to this waiter (it never held the finished feed), but the
    # journal kept the truth throughout: completed, with its URL, and nothing pending.
    assert [journalled for _, journalled, _ in seen] == ["completed"] * len(seen)
    assert all(pending == [] for _, _, pending in seen)
    record = journal.get(MINE)
    assert record is not None and record.status == "completed" and record.video_url == VIDEO
    assert await client.resume(timeout=5) == []
    await client.aclose()


async def test_a_waiter_holding_a_finished_feed_never_goes_back(script: FeedScript, journal: Journal) -> None:
    # Completed without its URL, then a stale read, then the URL.
    script.then(feed("in_progress"), feed("completed"), feed("in_progress"), feed("completed", url=VIDEO))
    client, task = await submit(script, journal)
    statuses: list[str] = []
    done = await client.wait(task, timeout=30, on_update=lambda update: statuses.append(update.status))
    assert done.status == "completed" and done.video_url == VIDEO
    assert statuses[statuses.index("completed") :] == ["completed"] * (
        len(statuses) - statuses.index("completed")
    )
    assert len(script.reads) == 4  # it did read the stale answer, and held on to what it knew
    record = journal.get(MINE)
    assert record is not None and record.status == "completed" and record.video_url == VIDEO
    await client.aclose()


async def test_a_completed_feed_without_url_is_read_again_then_returned_as_it_is(
    script: FeedScript, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_waiting, "MISSING_URL_GRACE", 0.6)
    monkeypatch.setattr(_waiting, "MISSING_URL_GAP", 0.1)
    script.then(feed("completed"))
    client, task = await submit(script, journal)
    done = await client.wait(task, timeout=30)
    assert done.status == "completed" and done.video_url is None
    assert len(script.reads) > 1  # read again for the URL before giving up on it
    await client.aclose()


async def test_a_completed_feed_without_url_at_the_deadline_is_returned_not_a_timeout(
    script: FeedScript, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_waiting, "MISSING_URL_GRACE", 3600.0)  # the deadline comes first
    script.then(feed("completed"))
    client, task = await submit(script, journal)
    # The deadline only bounds the first local read (it answers "completed" without a URL).
    done = await client.wait(task, timeout=8)
    assert done.status == "completed" and done.video_url is None
    assert len(script.reads) > 1
    await client.aclose()


async def test_an_answer_about_another_task_is_malformed_and_never_taken(
    script: FeedScript, journal: Journal
) -> None:
    stranger = feed("completed", task_id="t-someone-else", url="https://cdn.example.test/theirs.mp4")
    script.then(stranger)
    client, task = await submit(script, journal)
    with pytest.raises(MalformedResponse) as caught:
        await client.feed(task)
    assert "t-mine" in str(caught.value) and "t-someone-else" in str(caught.value)
    assert caught.value.task_id == MINE
    # Waiting reads again (a proxy's mix-up may pass), but never takes the other task's answer.
    shown: list[Feed] = []
    with pytest.raises(TaskTimeout) as timed_out:
        await client.wait(task, timeout=1.0, on_update=shown.append)
    assert shown == []
    assert isinstance(timed_out.value.__cause__, MalformedResponse)
    assert "t-someone-else" in str(timed_out.value.__cause__)
    record = journal.get(MINE)
    assert record is not None and record.status != "completed" and record.video_url is None
    assert journal.get("t-someone-else") is None
    # Once the right answer comes, it is the one taken.
    script.then(feed("completed", url=VIDEO))
    done = await client.wait(task, timeout=30, on_update=shown.append)
    assert done.id == MINE and done.video_url == VIDEO
    assert {update.id for update in shown} == {MINE}
    await client.aclose()


@pytest.mark.parametrize("spelt", ["Completed", "COMPLETED ", " completed\t"])
async def test_statuses_are_read_whatever_their_case_and_spaces(
    script: FeedScript, journal: Journal, spelt: str
) -> None:
    script.then(feed("In_Progress "), feed(spelt, url=VIDEO))
    client, task = await submit(script, journal)
    done = await client.wait(task, timeout=30)
    assert done.status == "completed" and done.done and done.video_url == VIDEO
    assert journal.pending() == []
    await client.aclose()


SATURATED = {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "new_api_error"}}


async def test_a_saturated_gateway_refusing_a_submission_charges_nothing_and_is_resent(
    script: FeedScript, journal: Journal
) -> None:
    script.refusals = [(503, SATURATED)]
    script.then(feed("completed", url=VIDEO))
    client, task = await submit(script, journal)
    assert task.id == MINE and script.posts == 2
    assert (client.spent, client.uncertain) == (5, 0)
    # Saturated every time: refused in the end, booked as nothing (no uncertain points, no row).
    script.refusals = [(503, SATURATED)] * 10
    with pytest.raises(APIError, match="nothing was charged") as caught:
        await client.generate(picture(), "Face Punch", "again", seed=2, width=64, height=96)
    assert not isinstance(caught.value, SubmissionUncertain) and caught.value.status == 503
    assert "上游负载已饱和" in str(caught.value)
    assert (client.spent, client.uncertain) == (5, 0)
    assert [record.id for record in journal.records()] == [MINE]
    # A 503 that does not say so may have been forwarded: uncertain, sent once.
    script.refusals = [(503, {"error": "service unavailable"})]
    posts = script.posts
    with pytest.raises(SubmissionUncertain):
        await client.generate(picture(), "Face Punch", "third", seed=3, width=64, height=96)
    assert script.posts == posts + 1 and client.uncertain == 5
    await client.aclose()
