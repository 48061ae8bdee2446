"""`within` keeps a cancellation that arrives as the awaited answer completes (what lets Ctrl-C
stop a wait at any moment), and still times out."""

from __future__ import annotations

import asyncio

import pytest

from hfwidgets._timeouts import within


async def test_a_cancellation_arriving_with_the_answer_is_not_lost() -> None:
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(within(answer, 30))
    await asyncio.sleep(0)  # the task now awaits the answer
    answer.set_result("feed")  # the answer and the cancellation in the same turn of the loop
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting  # asyncio.wait_for on Python 3.11 returned "feed" here


async def test_the_answer_in_time_and_the_deadline() -> None:
    assert await within(asyncio.sleep(0, result="feed"), 30) == "feed"
    with pytest.raises(TimeoutError):
        await within(asyncio.Event().wait(), 0.01)
