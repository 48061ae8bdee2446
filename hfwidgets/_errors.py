"""Every error hfwidgets raises, in one place. All derive from HiggsfieldError:

    HiggsfieldError
    ├── ValidationError (also ValueError)   a bad argument; nothing was sent
    │   └── ImageSizeUnknown                an image URL's size could not be read (why: `reason`)
    ├── MissingKeyError                     no API key given or in the environment
    ├── MissingExtra (also ImportError)     a feature needs an optional dependency (names the extra)
    ├── BudgetExceeded                      the call would pass Client(budget=...); nothing was sent
    ├── APIError                            the service answered with an error, or unusably
    │   ├── AuthError                       401/403: the key was refused
    │   ├── InsufficientCredits             402: the account is short of credits
    │   ├── RateLimited                     429 and retries exhausted
    │   ├── NetworkError                    no answer arrived: the connection failed or timed out
    │   │   └── DownloadTimeout (also TimeoutError)  a video download passed its overall deadline
    │   ├── LimitExceeded                   a video (bytes) or its frames (memory) over a set limit
    │   ├── MalformedResponse               2xx, but not the documented JSON
    │   │   └── MalformedSubmission         ... to a billable POST (also SubmissionUncertain)
    │   └── SubmissionUncertain             a billable POST may have been charged; not resent
    │       └── MalformedSubmission
    ├── TaskFailed                          the task ended failed, nsfw or canceled
    ├── TaskTimeout                         wait() reached its deadline; the task lives on
    ├── JournalError                        the journal file cannot be used
    ├── NoEventLoop (also RuntimeError)     a widget needs the kernel's running event loop
    ├── BlockingCallError (also RuntimeError)  run()/resume() called from the loop they block on
    └── EmulatorError (also RuntimeError)   the local emulator is not running (or did not start)

No error ever carries the API key: messages are built from what the server said,
and `redact` scrubs the key out of anything the server might have echoed back.

Every error pickles to an equal one (type, message, attributes such as `task_id`),
so it crosses a process pool intact: `HiggsfieldError.__reduce__` rebuilds it from
its message and attributes without calling the subclass's constructor.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from ._models import Feed

__all__ = [
    "DEAD_LINK_STATUSES",
    "APIError",
    "AuthError",
    "BlockingCallError",
    "BudgetExceeded",
    "DownloadTimeout",
    "EmulatorError",
    "HiggsfieldError",
    "ImageSizeUnknown",
    "InsufficientCredits",
    "JournalError",
    "LimitExceeded",
    "MalformedResponse",
    "MalformedSubmission",
    "MissingExtra",
    "MissingKeyError",
    "NetworkError",
    "NoEventLoop",
    "RateLimited",
    "SubmissionUncertain",
    "TaskFailed",
    "TaskTimeout",
    "ValidationError",
    "is_dead_link",
]


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


class HiggsfieldError(Exception):
    """Base class of every error raised by hfwidgets."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds an exception by calling its class with `args` (the message alone),
        # which the constructors of most subclasses do not take: rebuild from the message and the
        # attributes instead, whatever the constructor's signature.
        state = dict(vars(self))
        if isinstance(self, ImportError):  # its name and path live outside __dict__
            state.update(name=self.name, path=self.path)
        return (_rebuild, (type(self), self.args), state)


def _rebuild(cls: type[HiggsfieldError], args: tuple[Any, ...]) -> HiggsfieldError:
    """An error of `cls` with `args`, its constructor not called (pickle sets the attributes next)."""
    error = cls.__new__(cls)
    error.args = args
    return error


class ValidationError(HiggsfieldError, ValueError):
    """A request field holds a value the service would refuse; nothing was sent.

    `field` names the field, `value` is what was given, `allowed` says what is accepted.
    """

    def __init__(self, field: str, value: Any, allowed: str, *, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = _SHORT_REPR.repr(value)  # bounded: a 100 MB value never becomes a 100 MB message
        message = f"{field}={shown} is not allowed: {allowed}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class ImageSizeUnknown(ValidationError):
    """No size was given and the image URL's could not be read, so no video size can be chosen.

    `url` is the image URL, `reason` what happened ("it answered HTTP 404", "it could not be
    reached (ConnectError)", ...). The message says to pass width= and height=; the command
    line and the Studio say the same with their own words (--size, the Size field).
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__("width", None, "width and height in pixels")
        self.args = (f"{self.problem()}; pass width= and height=",)

    def problem(self) -> str:
        """What went wrong, without the advice: "the size of the image URL ... could not be read: ..."."""
        return f"the size of the image URL {_SHORT_REPR.repr(self.url)} could not be read: {self.reason}"

    def __str__(self) -> str:
        return str(self.args[0])


class MissingKeyError(HiggsfieldError):
    """No API key was given and OPENAI_HK_API_KEY is not set, where one is needed.

    Without a key and without a base URL, hfwidgets uses its local emulator
    instead; this is raised when a base URL was set but no key, or when the
    emulator is not installed (`emulator_installed=False`, the message then says
    how to get either).
    """

    def __init__(self, *, emulator_installed: bool = True) -> None:
        self.emulator_installed = emulator_installed
        if emulator_installed:
            alternative = (
                "Any value works for a local emulator; to use the one hfwidgets starts by itself, "
                "set neither the key nor OPENAI_HK_BASE_URL."
            )
        else:
            alternative = (
                "To try everything without a key, install the local emulator: "
                'pip install "hfwidgets[emulator]".'
            )
        super().__init__(
            "No API key: pass Client(api_key=...) or set the OPENAI_HK_API_KEY environment variable "
            f"(the service's keys look like hk-...). {alternative}"
        )


class MissingExtra(HiggsfieldError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the extra.

    `extra` is the name to install (`pip install "hfwidgets[EXTRA]"`), `feature` what needs
    it, `module` the import that failed. Also an ImportError, so existing handlers still apply.
    """

    def __init__(self, extra: str, feature: str, module: str) -> None:
        self.extra = extra
        self.feature = feature
        super().__init__(
            f'{feature} needs the "{extra}" extra (module {module!r} is not installed): '
            f'pip install "hfwidgets[{extra}]"',
            name=module,
        )


class BudgetExceeded(HiggsfieldError):
    """The call would take the session's spending past `Client(budget=...)`; nothing was sent.

    `left` is what the budget still allowed (`Client.remaining`: the budget less the
    points spent, uncertain and in flight); `cost` was more than that.
    """

    def __init__(
        self,
        cost: int,
        spent: int,
        budget: int,
        *,
        uncertain: int = 0,
        in_flight: int = 0,
        left: int | None = None,
    ) -> None:
        self.cost = cost
        self.spent = spent
        self.budget = budget
        self.uncertain = uncertain
        self.in_flight = in_flight
        # Without `left`, `spent` is everything the caller counted against the budget.
        self.left = left if left is not None else budget - spent
        held = [
            f"{points} {what}"
            for points, what in ((uncertain, "uncertain"), (in_flight, "in flight"))
            if points
        ]
        counted = f": {' and '.join(held)} counted too" if held else ""
        super().__init__(
            f"refused before sending: this call costs {cost} points, {spent} already spent, "
            f"budget is {budget} ({self.left} left{counted})"
        )


class APIError(HiggsfieldError):
    """The service answered with an error, or an answer that could not be used.

    `status` is the HTTP status (None when no answer arrived), `message` what the
    service said, `body` a short excerpt of the raw answer, `task_id` the task
    concerned when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        task_id: str | None = None,
        endpoint: str = "",
    ) -> None:
        self.message = message
        self.status = status
        self.body = body
        self.task_id = task_id
        self.endpoint = endpoint
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.endpoint:
            parts.append(self.endpoint)
        if self.task_id:
            parts.append(f"task {self.task_id}")
        head = " ".join(parts)
        return f"{head}: {self.message}" if head else self.message


class AuthError(APIError):
    """The service refused the API key (401/403)."""


class InsufficientCredits(APIError):
    """The account has too few credits for this call (402, or a message saying so)."""


class RateLimited(APIError):
    """Too many requests (429) and retries were exhausted; `retry_after` is the server's hint."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class NetworkError(APIError):
    """No answer arrived: the connection was refused or dropped, or the answer did not come in time.

    `status` is None. The command line exits with its own code for it (5).
    """


class MalformedResponse(APIError):
    """The service answered 2xx but with something that is not the documented JSON."""


class SubmissionUncertain(APIError):
    """A billable POST failed after it may have reached the server.

    The task may exist and may have been charged; it was NOT resubmitted. Check the
    provider's dashboard (or `hfwidgets.history()`) before trying again.
    """


class MalformedSubmission(SubmissionUncertain, MalformedResponse):
    """A billable POST was answered 2xx but the answer holds no usable task id.

    The service most likely created (and charged) the task; it is not resubmitted.
    """


class TaskFailed(HiggsfieldError):
    """The task ended in a failure status (`failed`, `nsfw`, `canceled`). `feed` holds the answer."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.task_id = feed.id
        self.status = feed.status
        reasons = {"nsfw": "refused by the content filter", "canceled": "canceled"}
        why = reasons.get(feed.status, "failed on the server")
        super().__init__(f"task {feed.id} ended with status {feed.status!r}: {why}")


class DownloadTimeout(NetworkError, TimeoutError):
    """A video download did not finish within its overall deadline; the partial file was removed."""


class LimitExceeded(APIError):
    """An answer is larger than a limit set to protect the machine (a video's bytes, decoded frames'
    memory). `limit` is the limit; the message says how to take less or raise it."""

    def __init__(self, message: str, *, limit: int, **kw: Any) -> None:
        self.limit = limit
        super().__init__(message, **kw)


class TaskTimeout(HiggsfieldError):
    """`wait()` reached its deadline. The task lives on: wait on `task_id` again later."""

    def __init__(self, task_id: str, timeout: float, last_status: str | None = None) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.last_status = last_status
        seen = f", last status {last_status!r}" if last_status else ""
        super().__init__(
            f"task {task_id} not finished after {timeout:g} s{seen}; it continues on the "
            f"server: call wait({task_id!r}) again to pick it up"
        )


class JournalError(HiggsfieldError):
    """The journal file cannot be used; the message names the file and what to do.

    `path` is the journal file. Generating still works without a journal
    (`Client.journal_problem` says why tasks are not being journalled).
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        self.path = path
        super().__init__(message)


class NoEventLoop(HiggsfieldError, RuntimeError):
    """A widget was asked to work in the background, but no asyncio event loop is running."""

    def __init__(self) -> None:
        super().__init__(
            "no running asyncio event loop: widgets run their work on the Jupyter kernel's loop. "
            "Outside Jupyter, call hfwidgets.run(...) instead, or drive the widget from a coroutine "
            "(inside asyncio.run(...))"
        )


class BlockingCallError(HiggsfieldError, RuntimeError):
    """`run()`/`resume()` were called from hfwidgets' own loop thread, which they would block forever."""

    def __init__(self) -> None:
        super().__init__("hfwidgets.run()/resume() block: call them from your code, not from a callback")


class EmulatorError(HiggsfieldError, RuntimeError):
    """The local emulator cannot serve: not started yet, already stopped, or it failed to start."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in `text` by a fixed mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "hk-***")
    return text


DEAD_LINK_STATUSES = frozenset({403, 404, 410})
"""Answers of a link that stopped working (expired, removed, no longer signed)."""


def is_dead_link(error: APIError) -> bool:
    """True when a video download failed because the link is dead: 403, 404, 410, or no answer at all."""
    if error.status is None:  # nothing answered (timeouts and limits are types of their own)
        return type(error) in (APIError, NetworkError)
    return error.status in DEAD_LINK_STATUSES
