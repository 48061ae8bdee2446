"""The fault matrix, against the emulator as a real server: one test per row of `SCENARIOS`.

Each asserts the outcome (a completed feed, or the right typed error) and how many
billable POSTs the emulator received and turned into (charged) tasks: a POST that
may have reached the service is never sent twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from reliability_scenarios import SCENARIOS, Scenario, run_scenario, serve_for

from hfwidgets._errors import SubmissionUncertain

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_fault(scenario: Scenario, tmp_path: Path) -> None:
    with serve_for(scenario) as server:
        run = await run_scenario(scenario, server, api_key="hk-emulator", home=tmp_path)

        if scenario.raises is None:
            assert run.error is None, f"unexpected {run.error!r}"
            assert run.feed is not None and run.feed.status == "completed" and run.feed.video_url
        else:
            assert isinstance(run.error, scenario.raises), (
                f"expected {scenario.raises.__name__}, got {run.error!r}"
            )

        # Money: the exact number of POSTs, and of tasks created (charged) from them.
        assert server.counters["POST /higgsfield/generate"] == scenario.posts
        if scenario.billed is None:
            _settle(server)  # a POST the client gave up on may still be processed a moment later
            assert len(server.tasks) <= 1
        else:
            assert len(server.tasks) == scenario.billed
        if isinstance(run.error, SubmissionUncertain):
            assert run.client.uncertain == 5 and run.client.spent == 0
        elif run.task is not None:
            assert run.client.spent == 5

        # The journal holds every task the client learnt the id of, with its last status.
        records = run.journal.records()
        if run.task is not None:
            assert [r.id for r in records] == [run.task.id]
            assert run.task.id in server.tasks
            if run.feed is not None:
                assert records[0].status == run.feed.status
        else:
            assert records == []

        if scenario.check is not None:
            scenario.check(run)


def _settle(server: object, seconds: float = 2.0) -> None:
    time.sleep(seconds)


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
    ):
        assert case in names, case
