"""Studio: image(s) + motion + settings -> video, in one widget model, without blocking the kernel.

The whole Studio is one anywidget model (no child widgets), so every anywidget
host renders it, marimo included. Work runs as tasks on the kernel's event loop
(see `_base` for what happens without one): the catalogue loads in the
background, Generate submits and then waits while other cells run, tasks an
earlier kernel left pending are picked up.

`Studio` is the user API over its synced state (`_studio_state.StudioState`, the traits the
view reads), as jupyter-scatter keeps its widget model apart from the object users call; the
controls (`_studio_settings`) and the History (`_studio_history`) are collaborators of it, and
a Generate goes the way every widget's does (`_submitting.SubmittingWidget`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._catalog import bundled_motions
from .._client import Submission
from .._errors import NoEventLoop, TaskFailed, TaskTimeout, ValidationError
from .._images import ImageSource, LoadedImage
from .._models import MODELS, SIZE_PRESETS, Feed, Motion
from .._requests import GenerateRequest
from .._static import StaticRepr, results_html
from ._base import start_task
from ._codegen import CodeStyle, generate_code, save_input
from ._controls import ControlValues, draw_seed, model_choices, size_choices
from ._follow import finished_bar, usually_text
from ._history import HistoryEntry
from ._image_input import FrameSet
from ._result_view import ResultState
from ._sketch import camera_moves
from ._status import EntryStatus, entry_status
from ._studio_history import STILL_RUNNING_NOTE, StudioHistory
from ._studio_settings import StudioSettings
from ._studio_state import StudioState

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Studio"]


@dataclass(frozen=True)
class _Request:
    """A validated Generate, ready to send, with what the history shows of it."""

    request: GenerateRequest
    sources: tuple[str, ...]
    thumbnail: bytes | None
    values: ControlValues


class Studio(StaticRepr, StudioState):
    """Make videos from images: pick image(s) and a motion, set the options, press Generate.

    `result` is the latest finished `Feed` (a failed one too: look at its
    `status`), `results` all of them, oldest first; both are observable
    traitlets, as are the settings (`model`, `seed`, `keep_seed`, `width`,
    `height`, `prompt`, `enhance_prompt`, `selected_id`). `copy_as_code()` gives
    the call that makes the same video from a script. Once a first frame is chosen,
    each motion tile shows a sketch of that motion's camera move on it, made in the
    browser (`sketch=False` shows the provider's previews instead); while a task runs,
    a progress bar says about how long is left (`progress`). With no key configured, the
    embedded emulator is used and a banner says so. `lang="zh"` shows it in
    Simplified Chinese (the default follows the locale).

    The size follows the first image (the preset closest to its shape) until one
    is asked for: `width`/`height` here, or the Size, Width or Height controls.
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        image: ImageSource | None = None,
        last_image: ImageSource | None = None,
        motion: Motion | str | None = None,
        model: str = "lite",
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        prompt: str = "",
        enhance_prompt: bool = True,
        motions: Sequence[Motion] | None = None,
        resume_pending: bool = True,
        lang: str | None = None,
    ) -> None:
        super().__init__(client=client, lang=lang)
        self._background: list[asyncio.Task[Any]] = []
        load_catalogue = motions is None
        if motions is None:
            motions = bundled_motions()
            if self.emulated:
                # Until the emulator's listing arrives, show names only: the snapshot's previews
                # live on the provider's CDN, pointless traffic when the videos are synthetic.
                motions = [dataclasses.replace(m, preview_url=None) for m in motions]
        self._init_catalogue(motions)
        self._frames = FrameSet(self, 2, lambda: self._settings.on_frames())
        self._result = ResultState(self.media, lambda: self.lang, self._show_result)
        self._history = StudioHistory(self, self._result, on_result=self._add_result)
        self._settings = StudioSettings(
            self, self._frames, self._background, refresh_cost=self._refresh_cost, code=self.copy_as_code
        )
        self.choices = {"models": model_choices(), "sizes": size_choices()}
        self.apply(
            ControlValues(
                model=model,
                seed=seed if seed is not None else draw_seed(),
                width=width if width is not None else SIZE_PRESETS["9:16"][0],
                height=height if height is not None else SIZE_PRESETS["9:16"][1],
                prompt=prompt,
                enhance_prompt=enhance_prompt,
            ),
            lock_seed=seed is not None,
        )
        self._settings.size_chosen = width is not None or height is not None
        self.observe(self._on_lang, names="lang")
        history = self._history
        self.handle("generate", lambda _c, _b: self.generate())
        self.handle("cancel", lambda _c, _b: self.cancel())
        self.handle("copy", lambda _c, _b: self.show_code())
        self.handle("new_seed", lambda _c, _b: self.new_seed())
        self.handle("show", lambda c, _b: self.show_entry(history.entry(c.get("n"))))
        self.handle("reuse", lambda c, _b: self.reuse(history.entry(c.get("n"))))
        self.handle("download", lambda _c, _b: self._download())
        self.handle("compare", lambda c, _b: self.compare(history.asked(c)))
        self.handle("compare_close", lambda _c, _b: self.close_comparison())
        self.handle(
            "camera_moves", lambda _c, _b: self.send({"type": "camera_moves", **camera_moves(self._motions)})
        )

        if motion is not None:
            self.motion = motion
        if image is not None:
            self._frames.set_frame("first", image)
        if last_image is not None:
            self._frames.set_frame("last", last_image)
        self._refresh_cost()
        if self.has_client:  # without one the error line already says why (MissingKeyError)
            self._start_background(load_catalogue=load_catalogue, resume_pending=resume_pending)

    # ------------------------------------------------------------------ public API

    @property
    def motion(self) -> Motion | None:
        """The selected motion; accepts a Motion, a motion id or a name."""
        return self._selected_motion()

    @motion.setter
    def motion(self, motion: Motion | str | None) -> None:
        self._select(motion)

    @property
    def images(self) -> list[LoadedImage]:
        """The chosen images, first frame first."""
        return self._frames.images

    @property
    def values(self) -> ControlValues:
        """The settings as shown now."""
        return self._settings.values

    @property
    def entries(self) -> list[HistoryEntry]:
        """Every task of this Studio (and those resumed), oldest first."""
        return self._history.entries

    @property
    def submitting(self) -> bool:
        """True from Generate until the task finished, failed or waiting was cancelled."""
        return self._submitting

    def set_image(
        self, source: ImageSource, *, frame: str = "first", label: str | None = None
    ) -> LoadedImage:
        """Fill a frame ("first" or "last") from a path, URL, bytes, PIL image or array."""
        return self._frames.set_frame(frame, source, label=label)

    def upload(self, data: bytes, filename: str, *, frame: str = "first") -> LoadedImage:
        """What a file chosen, dropped or pasted in the view does."""
        return self._frames.upload(frame, data, filename)

    def clear_image(self, frame: str | None = None) -> None:
        """Empty one frame, or both."""
        self._frames.clear(frame)

    def new_seed(self) -> int:
        """What "New seed" does: show a fresh seed (keeping it stays as it was)."""
        return self._settings.new_seed()

    def apply(self, values: ControlValues, *, lock_seed: bool = True) -> None:
        """Show `values` (e.g. those of an earlier result); the seed is kept so it is reused."""
        self._settings.apply(values, lock_seed=lock_seed)

    def generate(self) -> asyncio.Task[Feed | None] | None:
        """What the Generate button does: validate, check the budget, then submit and wait in a task.

        Returns the task (await it for the Feed; None when waiting was cancelled),
        or None when nothing was sent: a submission already running, or an error
        (shown in the widget).
        """
        return self.start_submission(
            self._validated_request,
            lambda request: self.client.price(request.request.model),
            self._run,
            name="hfwidgets-studio-generate",
            on_error=self._on_run_error,
        )

    async def wait(self) -> Feed | None:
        """Wait for the running Generate (and any pending tasks being resumed); the latest result."""
        await self.submission_settled()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.static_view_settled()
        return self.result

    def cancel(self) -> bool:
        """Stop waiting for the running task (it continues on the server and stays in the history)."""
        return self.stop_waiting()

    def copy_as_code(self, style: CodeStyle = "run") -> str:
        """The `hfwidgets.run(...)` (or, with style="async", `await client.generate(...)`) call
        that reproduces the current settings. Uploaded images are saved once under
        ./hfwidgets-inputs/ (named by their sha256) and the code names that path."""
        motion = self.motion
        if motion is None:
            raise ValidationError("motion", None, "a motion: pick one in the grid")
        sources = [
            save_input(frame.image) if frame.uploaded and frame.image is not None else frame.source or ""
            for frame in self._frames.filled()
        ]
        return generate_code(sources, motion, self.values, style=style)

    def show_code(self) -> str:
        """What "Copy as code" does: show the code (it then follows the settings)."""
        self._settings.code_shown = True
        self.code = self.copy_as_code()
        return self.code

    def reuse(self, entry: HistoryEntry) -> None:
        """Put an earlier task's motion, model, seed, size, prompt and enhance setting back."""
        if entry.motion is not None:
            self.motion = entry.motion
        if entry.values is not None:
            self.apply(entry.values, lock_seed=True)
        self._refresh_cost()

    def show_entry(self, entry: HistoryEntry) -> None:
        """Show an entry's result (or its status) in the Result region."""
        self._history.show(entry)

    def compare(self, entries: Sequence[int | HistoryEntry]) -> list[HistoryEntry]:
        """What Compare does: show 2 to 4 finished history entries (numbers or entries) side by side
        in the Comparison region, played in sync, with the parameters that differ. Returns them."""
        return self._history.compare(entries)

    def close_comparison(self) -> None:
        """Close the Comparison region."""
        self._history.close_comparison()

    # ------------------------------------------------------------------ generate

    def _validated_request(self) -> _Request:
        images = tuple(self._frames.images)
        if not images:
            raise ValidationError("image", [], "1 or 2 images: choose the first frame or paste its URL")
        motion = self.motion
        if motion is None:
            raise ValidationError("motion", None, "a motion: pick one in the grid")
        shown = self.values
        # Validated as the client will (ValidationError naming the field) before the seed is drawn.
        options = {**dataclasses.asdict(shown), "seed": shown.seed if self.keep_seed else None}
        request = GenerateRequest(images, motion, **options)
        if not self.keep_seed:
            request = dataclasses.replace(request, seed=self.new_seed())  # a fresh one, shown
        thumbnails = self._frames.thumbnails
        return _Request(
            request=request,
            sources=tuple(self._frames.sources),
            thumbnail=thumbnails[0] if thumbnails else None,
            values=dataclasses.replace(shown, seed=request.seed),
        )

    async def _run(self, request: _Request) -> Feed | None:
        asked = request.request
        history = self._history
        entry = history.add(
            HistoryEntry(
                number=0,
                motion=asked.motion,
                values=request.values,
                image_sources=request.sources,
                thumbnail=request.thumbnail,
            )
        )
        self.progress = {}  # the last task's bar goes; this one's comes once it is accepted
        self.status = self.t("status_submitting", n=entry.number, motion=asked.motion.name, model=asked.model)
        self.waiting_stopped = False
        sending = Submission()

        def on_sent(task: Any) -> None:
            entry.task_id = task.id
            entry.status = EntryStatus.QUEUED
            history.refresh()
            self.status = self.t("status_submitted", n=entry.number, task=task.id)

        def on_feed(feed: Feed) -> None:
            entry.status = entry_status(feed.status)
            entry.feed = feed
            history.refresh()
            self.shown_entry = entry.number
            self._result.show(feed)

        try:
            feed = await self.send_and_follow(
                self.client.generate(asked, submission=sending),  # told what became of the POST
                label=f"#{entry.number}",
                on_feed=on_feed,
                on_status=lambda text: self._result.update(status_text=text),
                on_sent=on_sent,
                on_announce=lambda text: setattr(self, "status", text),
                announced="queued",
                on_progress=lambda bar: setattr(self, "progress", bar),
            )
        except BaseException as error:
            self._ended_without_result(entry, sending, error)
            if isinstance(error, asyncio.CancelledError) and self.waiting_stopped:
                return None  # Cancel: the task lives on; the Studio's own task was not cancelled
            raise
        self.progress = finished_bar(self.progress, lang=self.lang)  # the video is here: the bar is full
        history.finish(entry, feed)
        return feed

    def _ended_without_result(self, entry: HistoryEntry, sending: Submission, error: BaseException) -> None:
        """Say in the entry, the status line and the cost line what became of a task with no result."""
        history = self._history
        if entry.task_id is None:  # never accepted: one change of the live region says what became of it
            with self.hold_sync():
                self._refresh_cost()
                if sending.phase == "uncertain":
                    entry.status = EntryStatus.UNCERTAIN
                    entry.note = self.t("uncertain_note")
                    self.status = self.t("status_uncertain", n=entry.number)
                else:
                    entry.status = EntryStatus.NOT_SUBMITTED
                    self.status = self.t("status_not_submitted", n=entry.number)
            history.refresh()
            return
        self.progress = {}  # no video is coming: the bar goes away
        if isinstance(error, TaskFailed):
            history.finish(entry, error.feed)
        elif isinstance(error, TaskTimeout):
            history.end(entry, EntryStatus.STILL_RUNNING, STILL_RUNNING_NOTE)
        elif isinstance(error, asyncio.CancelledError) and self.waiting_stopped:
            history.end(
                entry,
                EntryStatus.WAITING_STOPPED,
                "the task continues on the server; it is in hfwidgets.history()",
            )
            self.status = self.t("status_stopped", n=entry.number, task=entry.task_id)
            self._result.update(status_text=self.t("stopped_waiting"))

    def _add_result(self, feed: Feed) -> None:
        self.set_trait("result", feed)
        self.set_trait("results", [*self.results, feed])
        self.refresh_static_view()

    def _on_run_error(self, error: BaseException) -> None:
        self._result.update(error=f"{type(error).__name__}: {error}")
        self.status = self.t("status_failed")

    # ------------------------------------------------------------------ background work

    def _start_background(self, *, load_catalogue: bool, resume_pending: bool) -> None:
        jobs = []
        if load_catalogue:
            jobs.append((self._load_catalogue(), "hfwidgets-studio-motions"))
        if resume_pending:
            jobs.append((self._history.resume(), "hfwidgets-studio-resume"))
        for index, (coroutine, name) in enumerate(jobs):
            try:
                self._background.append(start_task(coroutine, self.errors, name=name))
            except NoEventLoop:
                # Built outside a running loop: the bundled catalogue stays, nothing is resumed.
                for pending, _name in jobs[index + 1 :]:
                    pending.close()
                return

    async def _load_catalogue(self) -> None:
        motions = await self.client.fetch_motions()
        if motions:
            self.motions = motions

    # ------------------------------------------------------------------ display

    def _on_lang(self, _change: object) -> None:
        self._refresh_cost()
        self._history.refresh()
        self._result.show(self._result.feed)
        self._history.show_comparison()

    def _show_result(self, fields: dict[str, Any]) -> None:
        self.result_state = fields

    def _download(self) -> None:
        if not self._result.fields.get("downloading"):
            self._result.download()

    def _refresh_cost(self) -> None:
        if not self.has_client:
            return
        model = self.model if self.model in MODELS else "lite"
        usually = usually_text(self.client.estimate(model), lang=self.lang)
        self.show_cost(self.client.price(model), model, usually=usually)

    def static_html(self) -> str:
        """The results so far, newest first, as standalone HTML (what a reader without a kernel sees)."""
        count = len(self.results)
        title = f"Studio: {count} result{'' if count == 1 else 's'}" if count else "Studio"
        return results_html(
            self.results[::-1], title=title, empty="No results when this was saved: run the cell to use it."
        )

    def __repr__(self) -> str:
        motion = self.motion
        return (
            f"Studio(model={self.model!r}, motion={motion.name if motion else None!r}, "
            f"images={len(self._frames.images)}, results={len(self.results)}, "
            f"emulated={self.emulated})"
        )
