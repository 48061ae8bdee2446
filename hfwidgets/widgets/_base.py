"""What every hfwidgets widget shares: `WidgetBase` (the default client, the emulator banner, the
error line, the cost line, the media channel) and ways to run work that report failures
(a widget that sends tasks adds `_submitting.SubmittingWidget`).

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
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

import anywidget
import traitlets

from .._config import key_from_environment
from .._default_client import default_client
from .._errors import APIError, HiggsfieldError, MissingKeyError, NoEventLoop, ValidationError, redact
from .._journal import Journal
from .._keep import is_dead_link, kept_file
from .._media import Media, fetch_media, is_loopback_url
from .._session import shared_emulator, wants_emulator
from ._i18n import check_lang, default_lang, tr

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "ErrorLine",
    "MediaChannel",
    "WidgetBase",
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


class ErrorSink(Protocol):
    """Where a widget shows an error (its `errors` line)."""

    def show(self, error: BaseException | str) -> None: ...


class HasErrorArea(Protocol):
    """A widget with an error line."""

    @property
    def errors(self) -> ErrorSink: ...


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
    errors: ErrorSink,
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


class ErrorLine:
    """The error line of a widget: its synced `error` trait (shown by the view in `.hfw-error`)."""

    def __init__(self, widget: traitlets.HasTraits, trait: str = "error") -> None:
        self._widget = widget
        self._trait = trait

    @property
    def message(self) -> str:
        """The text shown ("" when no error is shown)."""
        return str(getattr(self._widget, self._trait))

    def show(self, error: BaseException | str) -> None:
        """Show an exception (type and message, key masked) or a plain message."""
        setattr(
            self._widget,
            self._trait,
            describe_error(error) if isinstance(error, BaseException) else str(error),
        )

    def clear(self) -> None:
        """Hide the line."""
        setattr(self._widget, self._trait, "")

    def __repr__(self) -> str:
        return f"ErrorLine({self.message!r})"


# Media reads run here, off the kernel's event loop.
_media_pool: ThreadPoolExecutor | None = None
_media_pool_lock = threading.Lock()


def media_pool() -> ThreadPoolExecutor:
    """The worker threads that read media and save downloads for the widgets."""
    global _media_pool
    with _media_pool_lock:
        if _media_pool is None:
            _media_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="hfwidgets-media")
        return _media_pool


def call_on_loop(loop: asyncio.AbstractEventLoop | None, func: Callable[..., Any], *args: Any) -> None:
    """Run `func(*args)` on `loop` (the kernel's, where widget state changes belong), else here."""
    if loop is not None and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(func, *args)
            return
        except RuntimeError:  # the loop closed meanwhile
            pass
    func(*args)


class MediaChannel:
    """Media for a widget's views: refs in the synced state, bytes over the widget channel.

    `ref(url)` gives what the state holds: an https URL as is (the browser loads
    it), or "media:<key>" for a URL on this machine (the embedded emulator) and for
    bytes made in the kernel (thumbnails). The view asks for a key with a message
    {"type": "media", "key"}; the answer carries the bytes as one binary buffer, so
    media never enter the saved widget state. Only registered keys are served: a
    view cannot make the kernel read arbitrary URLs.
    """

    def __init__(self, widget: anywidget.AnyWidget) -> None:
        self._widget = widget
        self._sources: dict[str, str | tuple[bytes, str] | _TaskVideo] = {}
        self._kept_listeners: list[Callable[[str], None]] = []

    def ref(self, url: str | None, *, task_id: str | None = None) -> str:
        """The state value for a media URL ("" for none or a non-http URL).

        With `task_id` (a task's video), the view gets the copy kept on this machine when the
        link is dead (403, 404, 410, unreachable): such a video goes over the channel when its
        URL is on this machine or a copy of it is kept.
        """
        if not url or not url.startswith(("http://", "https://")):
            return ""
        loopback = is_loopback_url(url)
        if task_id is not None and (loopback or _is_kept(task_id)):
            key = "v" + hashlib.sha256(f"{task_id}\n{url}".encode()).hexdigest()[:20]
            self._sources[key] = _TaskVideo(url, task_id)
            return f"media:{key}"
        if not loopback:
            return url
        key = "u" + hashlib.sha256(url.encode()).hexdigest()[:20]
        self._sources[key] = url
        return f"media:{key}"

    def ref_bytes(self, data: bytes | None, mime: str = "image/jpeg") -> str:
        """The state value for media bytes made in the kernel ("" for none)."""
        if not data:
            return ""
        key = "b" + hashlib.sha256(data).hexdigest()[:20]
        self._sources[key] = (data, mime)
        return f"media:{key}"

    def answer(self, key: str) -> None:
        """Send the bytes of `key` to the views (read in a worker thread when it is a URL)."""
        source = self._sources.get(key)
        if source is None:
            self._send(key, None, "", "unknown media")
            return
        if isinstance(source, tuple):
            self._send(key, source[0], source[1], "")
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None

        def read() -> None:
            try:
                media = self._read(source)
            except Exception as error:
                logger.debug("media %s could not be read", source, exc_info=True)
                call_on_loop(loop, self._send, key, None, "", describe_error(error))
                return
            call_on_loop(loop, self._send, key, media.data, media.mime, "")

        media_pool().submit(read)

    def _read(self, source: str | _TaskVideo) -> Media:
        """The bytes of a URL; for a task's video whose link is dead, those of its kept copy."""
        if isinstance(source, str):
            return fetch_media(source)
        try:
            return fetch_media(source.url)
        except APIError as error:
            if not is_dead_link(error):
                raise
            media = Media(kept_file(source.task_id, error).read_bytes(), "video/mp4")
        for listener in list(self._kept_listeners):
            listener(source.task_id)
        return media

    def on_kept(self, listener: Callable[[str], None]) -> None:
        """Call `listener(task_id)` (from a worker thread) when a task's kept copy is sent because
        its link is dead."""
        self._kept_listeners.append(listener)

    def _send(self, key: str, data: bytes | None, mime: str, error: str) -> None:
        if data is None:
            self._widget.send({"type": "media", "key": key, "error": error or "no media"})
        else:
            self._widget.send({"type": "media", "key": key, "mime": mime}, [data])


@dataclass(frozen=True)
class _TaskVideo:
    """A task's video for the channel: its URL, and the task whose kept copy stands in for it."""

    url: str
    task_id: str


def _is_kept(task_id: str) -> bool:
    """True when the journal of this home keeps a copy of the task's video."""
    try:
        kept = Journal().kept_video(task_id)
    except HiggsfieldError:
        return False
    return kept is not None and kept.exists


Handler = Callable[[Mapping[str, Any], Sequence[bytes]], object]  # what it returns is ignored


class WidgetBase(anywidget.AnyWidget):
    """What every hfwidgets view model has: a client (the default one unless given), the language,
    the emulator banner, a notice line, the error line, the cost line and the media channel.

    Messages from the view are dispatched by their "type" to handlers registered with
    `handle(type, fn)`; an exception in a handler is shown in the error line. Unknown
    keyword arguments raise TypeError, so a typo surfaces.
    """

    lang = traitlets.Unicode("en").tag(sync=True)
    """The language of the view: "en" or "zh" (default from the locale)."""
    error = traitlets.Unicode("").tag(sync=True)
    """The error shown in the widget ("" for none)."""
    emulated = traitlets.Bool(False).tag(sync=True)
    """True when the client talks to the embedded emulator (the view shows a banner)."""
    notice = traitlets.Unicode("").tag(sync=True)
    """A line shown under the banner, e.g. that tasks are not being journalled."""
    cost = traitlets.Dict().tag(sync=True)
    """The cost line: {"text": ..., "warning": ...} ({} when the widget has none)."""

    def __init__(
        self,
        *,
        client: Client | None = None,
        lang: str | None = None,
        uses_client: bool = True,
        **traits: Any,
    ) -> None:
        unknown = sorted(set(traits) - set(self.trait_names()))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s): {', '.join(unknown)}"
            )
        missing: MissingKeyError | None = None
        if client is None and uses_client:
            try:
                if wants_emulator(None, None):
                    shared_emulator(announce=False)  # the view shows the notice, as its banner
                client = default_client()
            except MissingKeyError as error:  # no key and no emulator: said inside the widget
                missing = error
        self._client = client
        self._missing_client = missing
        self.errors = ErrorLine(self)
        self._refused_from_view: ValidationError | None = None
        """A value the view set and a trait refused, until an action reports it or a good one comes."""
        self._handlers: dict[str, Handler] = {}
        super().__init__(lang=check_lang(lang if lang is not None else default_lang()), **traits)
        self.media = MediaChannel(self)
        self.handle("media", lambda content, _buffers: self.media.answer(str(content.get("key", ""))))
        # A view asks whether a kernel is behind it (static/shared.js, watchConnection).
        self.handle("ping", lambda content, _buffers: self.send({"type": "pong", "id": content.get("id")}))
        self.on_msg(self._on_view_message)
        if client is not None:
            self.emulated = bool(getattr(client, "emulated", False))
            try:
                self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                self._loop = None
            # The ledger may change elsewhere (another widget, run() in another cell): the cost
            # line follows it, on this widget's loop.
            client.watch_ledger(self._on_ledger)
        self.refresh_notice()

    @property
    def client(self) -> Client:
        """The client every request of this widget goes through."""
        if self._client is None:
            if self._missing_client is not None:  # a new error each time: no traceback piles up
                raise MissingKeyError(emulator_installed=self._missing_client.emulator_installed)
            raise HiggsfieldError(f"{type(self).__name__} has no client")
        return self._client

    @property
    def has_client(self) -> bool:
        """False when none could be made (no key and no emulator): the notice says why."""
        return self._client is not None

    def t(self, key: str, **values: object) -> str:
        """A string of the table in the widget's language."""
        return tr(self.lang, key, **values)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Take values the view set; one a trait refuses (a `ValidationError`, e.g. a width that is
        not a multiple of 8) is shown in the widget and the view gets the kernel's value back."""
        try:
            super().set_state(sync_data)
        except ValidationError as error:
            logger.debug("the view set a refused value: %s", error)
            self._refused_from_view = error
            self.errors.show(error)
            self.send_state(key=[name for name in sync_data if name in self.keys])
        else:
            self._refused_from_view = None

    def raise_view_refusal(self) -> None:
        """Raise, once, the error of a value the view set and a trait refused (see `set_state`).

        The view commits its fields just before a button's message: an action arriving with a
        refused value must not run on the values the view was about to replace.
        """
        refused, self._refused_from_view = self._refused_from_view, None
        if refused is not None:
            raise refused

    def handle(self, kind: str, handler: Handler) -> None:
        """Call `handler(content, buffers)` for view messages of this "type"."""
        self._handlers[kind] = handler

    def _on_view_message(self, _widget: Any, content: Any, buffers: Sequence[bytes] | None) -> None:
        if not isinstance(content, Mapping):
            return
        handler = self._handlers.get(str(content.get("type")))
        if handler is None:
            return
        try:
            handler(content, list(buffers or []))
        except Exception as error:
            logger.debug("view message %r failed", content.get("type"), exc_info=True)
            self.errors.show(error)

    def refresh_notice(self) -> None:
        """Show, visibly, when the client's tasks are not being journalled (`client.journal_problem`):
        generating still works, but a kernel restart would lose track of running tasks; or that
        there is no client at all (no key, no emulator): a standing condition, which actions do not clear."""
        if self._missing_client is not None:
            self.notice = f"⚠ {self._missing_client}"
            return
        client = self._client
        problem = getattr(client, "journal_problem", None) if client is not None else None
        self.notice = f"⚠ {self.t('no_journal')} {problem}" if problem else ""

    def _on_ledger(self) -> None:
        call_on_loop(self._loop, self._refresh_cost)

    def _refresh_cost(self) -> None:
        """Show the cost line anew (widgets with one override it)."""

    def show_cost(self, cost: int, what: str, *, label: str = "this_call", usually: str = "") -> None:
        """Set the cost line, e.g. "This call: 5 pts (lite) · spent so far: 10 pts of 100 (90 left)",
        with a warning when the cost is more than the budget has left. "left" is what the
        client's budget check allows (`Client.remaining`): points that may have been charged
        and points being sent count too, and the line says so when there are any. `usually`
        (how long such a task usually takes, e.g. "usually 20–60 s") follows when given."""
        client = self.client
        text = self.t("cost", label=self.t(label), cost=cost, what=what, spent=client.spent)
        warning = ""
        left = client.remaining
        if client.budget is not None and left is not None:
            text += self.t("cost_budget", budget=client.budget, left=left)
            held = [
                self.t(key, points=points)
                for key, points in (
                    ("cost_uncertain", client.uncertain),
                    ("cost_in_flight", client.in_flight),
                )
                if points
            ]
            if held:
                text += self.t("cost_held", held=", ".join(held))
            if cost > left:
                warning = self.t("over_budget")
        if usually:
            text += f" · {usually}"
        self.cost = {"text": text, "warning": warning}

    def cost_line(self) -> str:
        """The cost line as shown (text and warning)."""
        shown = dict(self.cost)
        return str(shown.get("text", "")) + (f" · {shown['warning']}" if shown.get("warning") else "")
