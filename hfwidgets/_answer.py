"""What one attempt got back, whichever library sent it (`Answer`), and its Retry-After.

Below both transports: `_http` (the request loop, httpx) and `_aiohttp` (reads on
aiohttp's own session) build and read answers through this module, so neither
imports the other for it.
"""

from __future__ import annotations

import email.utils
import functools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

__all__ = ["MAX_RETRY_AFTER", "Answer", "parse_retry_after"]

MAX_RETRY_AFTER = 60.0
"""A Retry-After longer than this is capped: a notebook user should not wait minutes silently."""


@dataclass(frozen=True)
class Answer:
    """What one attempt got back, whichever library sent it: status, headers, the decoded body."""

    status_code: int
    headers: Mapping[str, str]
    """Case-insensitive (`httpx.Headers`, aiohttp's `CIMultiDictProxy`)."""
    content: bytes
    reason: str = ""
    original: httpx.Response | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        return cls(response.status_code, response.headers, response.content, response.reason_phrase, response)

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @functools.cached_property
    def retry_after(self) -> float | None:
        """Its Retry-After in seconds (`parse_retry_after`), read once: the pacer and the error agree."""
        return parse_retry_after(self.headers.get("retry-after"))

    @functools.cached_property
    def response(self) -> httpx.Response:
        """As an httpx.Response, for the error mapping (built only when the answer is an error)."""
        if self.original is not None:
            return self.original
        # The body is decoded already: drop the headers that would make httpx decode it again.
        headers = [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        extensions = {"reason_phrase": self.reason.encode()} if self.reason else {}
        return httpx.Response(self.status_code, headers=headers, content=self.content, extensions=extensions)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (math.inf, -math.inf):  # NaN, inf
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
