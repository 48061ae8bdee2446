"""The fault matrix, against the emulator as a real server: one test per row of `SCENARIOS`.

Each asserts the outcome (a completed feed, or the right typed error), how many
billable POSTs the emulator received and turned into (charged) tasks (a POST
that may have reached the service is never sent twice), how the client booked
the points (`spent`/`uncertain`), the journal row, and that the key (a canary)
appears nowhere: not in the error (its chain, attributes or attached requests), the repr
and str of what the run made, the client's attributes, the journal file or the DEBUG logs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from hfwidgets._errors import APIError
from hfwidgets._journal import LOCAL_ID_PREFIX

from .key_walk import CANARY, assert_no_key, fragments, leaks
from .reliability_scenarios import SCENARIOS, Run, Scenario, run_scenario, serve_for

pytestmark = pytest.mark.timeout(120)


LOGGERS = ("", "httpx", "httpcore", "aiohttp", "hfwidgets", "hfwidgets.emulator", "uvicorn", "uvicorn.error")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_fault(scenario: Scenario, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    with serve_for(scenario) as server:
        run = await run_scenario(scenario, server, api_key=CANARY, home=tmp_path)

        if scenario.raises is None:
            assert run.error is None, f"unexpected {run.error!r}"
            if scenario.booked in ("spent", "unjournalled"):
                assert run.feed is not None and run.feed.status == "completed" and run.feed.video_url
        else:
            assert isinstance(run.error, scenario.raises), (
                f"expected {scenario.raises.__name__}, got {run.error!r}"
            )
        assert_no_key(run.error)
        assert_nothing_else_shows_the_key(run, scenario, tmp_path, caplog.text)

        # Money: the exact number of POSTs, and of tasks created (charged) from them.
        assert server.counters["POST /higgsfield/generate"] == scenario.posts
        if scenario.billed is None:
            server.wait_idle()  # a POST the client gave up on may still be being processed
            assert len(server.tasks) <= 1
        else:
            assert len(server.tasks) == scenario.billed
        assert_booked(run, scenario.booked)

        if scenario.check is not None:
            scenario.check(run)


def assert_nothing_else_shows_the_key(run: Run, scenario: Scenario, home: Path, logs: str) -> None:
    records = [] if scenario.booked == "unjournalled" else run.journal.records()
    shown = {
        f"repr of {value!r}"[:80]: repr(value) + str(value) for value in (run.client, run.task, run.feed)
    }
    shown |= {f"update or record {n}": repr(v) + str(v) for n, v in enumerate([*run.updates, *records])}
    shown["the client's attributes"] = repr(vars(run.client))
    shown["the DEBUG logs"] = logs
    assert [where for where, text in shown.items() if any(f in text for f in fragments(CANARY))] == []
    for path in home.glob("journal.sqlite3*"):
        assert not path.is_file() or not any(f.encode() in path.read_bytes() for f in fragments(CANARY)), (
            f"{path.name} holds the key"
        )
    if scenario.posts:
        assert "POST" in logs  # the logs were captured at DEBUG (the request's trace at least)


def assert_booked(run: Run, booked: str) -> None:
    """The session tally and the journal agree with what became of the one submission."""
    client = run.client
    records = [] if booked == "unjournalled" else run.journal.records()
    if booked == "spent":
        assert (client.spent, client.uncertain) == (5, 0)
        assert run.task is not None and run.task.id in run.server.tasks
        (record,) = records
        assert record.id == run.task.id and record.status != "uncertain"
        assert record.submission_id is not None and record.submission_id.startswith(LOCAL_ID_PREFIX)
        if run.feed is not None:
            assert record.status == run.feed.status
    elif booked == "uncertain":
        assert (client.spent, client.uncertain) == (0, 5)
        assert run.task is None
        (record,) = records
        assert record.status == "uncertain" and record.uncertain and not record.confirmed
        assert record.id == record.submission_id and record.id.startswith(LOCAL_ID_PREFIX)
        assert (record.model, record.motion_name, record.seed, record.cost) == ("lite", "Face Punch", 7, 5)
        assert (record.width, record.height) == (128, 224) and record.image_digest
        assert record.note
    elif booked == "unjournalled":  # the journal is unusable: paid for, and the client says it is not kept
        assert (client.spent, client.uncertain) == (5, 0)
        assert run.task is not None and run.task.id in run.server.tasks
        assert client.journal_problem
    else:
        assert booked == "nothing"
        assert (client.spent, client.uncertain) == (0, 0)
        assert run.task is None and records == []
    client.check_budget(0)  # raises BudgetExceeded if anything were still held "in flight"
    assert client.in_flight == 0


def test_the_matrix_covers_the_listed_cases() -> None:
    """Guard against a row silently dropping out of the table."""
    names = " | ".join(s.name for s in SCENARIOS)
    for case in (
        "feed 429 with Retry-After",
        "feed 429 without Retry-After",
        "generate 429 with Retry-After",
        "feed 500",
        "feed 502",
        "feed 503",
        "feed 504",
        "generate 500",
        "generate 502",
        "generate 503",
        "generate 504",
        "connection reset",
        "feed read timeout",
        "generate read timeout",
        "slow answers",
        "malformed JSON",
        "HTML error page",
        "401",
        "insufficient credits",
        "failed",
        "nsfw",
        "canceled",
        "unknown status",
        "never finishes",
        "waiting again",
        "several jobs",
        "key with a trailing line feed",
        "key with CR LF",
        "key with a zero-width space",
        "key with a non-ASCII letter",
        "from OPENAI_HK_API_KEY",
        "image URL on a host sending 1 byte/s",
        "image javascript: URL",
        "image /dev/zero",
        "I;16 gray image",
        "video download from a host sending 1 byte/s",
        "video larger than max_bytes",
        "claiming 2**31 frames",
        "generate answer slash_id",
        "generate answer dot_id",
        "feed answer slash_id",
        "motions listing with wrong-typed fields",
        "journal: a corrupt file",
        "journal: a directory in its place",
        "journal: a foreign tasks table",
        "journal: an unwritable home",
        "generate answer gzip_lie",
        "generate answer invalid_utf8",
        "generate answer deep_json",
        "generate answer no_id",
        "generate answer numeric_id",
        "generate answer slow_loris",
        "feed answer gzip_lie",
        "deadline holds: a feed read that stalls",
        "deadline holds: a slow-loris feed answer",
        "deadline holds: a Retry-After of 40 s",
        "cancelled after the POST was sent",
        "cancelled while a refused POST waits",
        "connection reset before the task was created",
    ):
        assert case in names, case


def test_the_key_walk_finds_a_key_hidden_anywhere_in_an_error() -> None:
    """The walk must see a key in a chained cause, in an attribute and in an attached request's headers."""
    request = httpx.Request("POST", "http://127.0.0.1/x", headers={"Authorization": f"Bearer {CANARY}"})
    cause = httpx.ConnectError("refused", request=request)
    chained = APIError("network error")
    chained.__cause__ = cause
    assert any(".__cause__._request.headers" in where for where in leaks(chained))
    carried = APIError("fine")
    carried.extra = {"kept": ("x", CANARY[5:30])}  # type: ignore[attr-defined]
    assert leaks(carried)
    assert leaks(APIError("clean")) == []
