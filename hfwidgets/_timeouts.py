"""`within(awaitable, seconds)`: a deadline on one await that never loses a cancellation.

`asyncio.wait_for` before Python 3.12 runs the awaitable as a task of its own and,
when a cancellation reaches it in the same turn of the loop as that task's result,
returns the result and drops the cancellation: a Ctrl-C (`asyncio.run` cancels the
main task once) could then go unheard while a wait kept polling. `asyncio.timeout`
(3.11+) awaits in the caller's own task and cannot drop it; on 3.10 only
`wait_for` exists. Both raise `TimeoutError` at the deadline (`asyncio.TimeoutError`
on 3.10, the same class from 3.11).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["within"]

T = TypeVar("T")

if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[T], seconds: float) -> T:
        """`await awaitable`, or TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def within(awaitable: Awaitable[T], seconds: float) -> T:
        """`await awaitable`, or TimeoutError after `seconds`."""
        return await asyncio.wait_for(awaitable, seconds)
