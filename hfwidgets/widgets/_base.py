"""What every hfwidgets widget shares: an error area, and ways to run work that report failures in it.

A widget callback runs inside the kernel's comm handler: an exception raised
there only reaches a log nobody reads. So every widget carries an `ErrorArea`
(`.hfw-error`), callbacks are wrapped with `shows_errors`, and coroutines are
started with `start_task`, whose failures land in the same area.

Event loop: in Jupyter (ipykernel >= 6) cell code and widget callbacks run on
the kernel's asyncio loop, so work is scheduled there with
`asyncio.get_running_loop().create_task(...)` and the kernel stays free while
a video renders. Outside a running loop (a plain script) there is nowhere to
run it in the background: `start_task` raises `NoEventLoop`, whose message says
to use `hfwidgets.run(...)` or to drive the widget from async code instead.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import ipywidgets

from .._config import key_from_environment
from .._errors import NoEventLoop, redact

__all__ = [
    "ErrorArea",
    "describe_error",
    "kernel_loop",
    "shows_errors",
    "start_task",
]

logger = logging.getLogger("hfwidgets.widgets")

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# Anything shaped like a provider key is masked in shown messages, whatever its origin.
_KEY_SHAPE = re.compile(r"hk-[A-Za-z0-9_\-]{4,}")


def describe_error(error: BaseException) -> str:
    """`"TypeName: message"`, with any API key masked."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return _KEY_SHAPE.sub("hk-***", redact(text, [key_from_environment()]))


class ErrorArea(ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """The error line of a widget (`.hfw-error`): hidden while empty, red text when set."""

    def __init__(self) -> None:
        super().__init__(value="", layout=ipywidgets.Layout(display="none"))
        self.add_class("hfw-error")

    @property
    def message(self) -> str:
        """The plain text shown ("" when no error is shown)."""
        return html.unescape(re.sub(r"<[^>]+>", "", str(self.value)))

    def show(self, error: BaseException | str) -> None:
        """Show an exception (type and message) or a plain message."""
        text = describe_error(error) if isinstance(error, BaseException) else str(error)
        self.value = f'<span style="color:#b00020">⚠ {html.escape(text)}</span>'
        self.layout.display = None

    def clear(self) -> None:
        """Hide the area."""
        self.value = ""
        self.layout.display = "none"

    def __repr__(self) -> str:
        return f"ErrorArea({self.message!r})"


class JournalWarning(ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """A visible warning (`.hfw-journal-warning`) while the client's tasks are not being journalled.

    Generating still works then, but a crash or a kernel restart would lose
    track of running tasks: the user should know. `refresh()` re-reads
    `client.journal_problem` (after each submission).
    """

    def __init__(self, client: Any) -> None:
        super().__init__(value="", layout=ipywidgets.Layout(display="none"))
        self.add_class("hfw-journal-warning")
        self._client = client
        self.refresh()

    @property
    def message(self) -> str:
        """The plain text shown ("" while the journal works)."""
        return html.unescape(re.sub(r"<[^>]+>", "", str(self.value)))

    def refresh(self) -> None:
        problem = getattr(self._client, "journal_problem", None)
        if problem:
            self.value = f'<span style="color:#8a5300">⚠ {html.escape(str(problem))}</span>'
            self.layout.display = None
        else:
            self.value = ""
            self.layout.display = "none"

    def __repr__(self) -> str:
        return f"JournalWarning({self.message!r})"


class HasErrorArea(Protocol):
    """A widget with an error area."""

    @property
    def errors(self) -> ErrorArea: ...


W = TypeVar("W", bound=HasErrorArea)


def shows_errors(method: Callable[Concatenate[W, P], R]) -> Callable[Concatenate[W, P], R | None]:
    """Decorate a widget method used as a callback: an exception is shown in `self.errors`
    (and logged) instead of vanishing in the comm handler; the call then returns None."""

    @functools.wraps(method)
    def wrapper(self: W, /, *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            logger.debug("widget callback %s failed", method.__qualname__, exc_info=True)
            self.errors.show(error)
            return None

    return wrapper


def kernel_loop() -> asyncio.AbstractEventLoop:
    """The running event loop (the kernel's, in Jupyter); NoEventLoop when there is none."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise NoEventLoop() from None


def start_task(
    coroutine: Coroutine[Any, Any, T],
    errors: ErrorArea,
    *,
    name: str,
    on_error: Callable[[BaseException], None] | None = None,
) -> asyncio.Task[T]:
    """Run `coroutine` as a task on the running loop; its exception is shown in `errors`.

    Cancellation is not an error and is not shown. `on_error` is called too, for
    widgets that mirror the error elsewhere (a ResultView's `error`). Without a
    running loop the coroutine is closed and NoEventLoop raised.
    """
    try:
        loop = kernel_loop()
    except NoEventLoop:
        coroutine.close()
        raise
    task = loop.create_task(coroutine, name=name)

    def report(done: asyncio.Task[T]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            logger.debug("widget task %s failed", name, exc_info=error)
            errors.show(error)
            if on_error is not None:
                on_error(error)

    task.add_done_callback(report)
    return task


def small_jpeg_widget(css_class: str, *, size: int = 96) -> ipywidgets.Image:
    """An empty thumbnail slot (`ipywidgets.Image`, JPEG bytes as a binary buffer, no base64)."""
    image = ipywidgets.Image(
        value=b"", format="jpeg", layout=ipywidgets.Layout(max_width=f"{size}px", max_height=f"{size}px")
    )
    image.add_class(css_class)
    return image
