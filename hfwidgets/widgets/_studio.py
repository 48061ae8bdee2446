"""Studio: image(s) + motion + settings -> video, in one widget model, without blocking the kernel.

The whole Studio is one anywidget model (no child widgets), so every anywidget
host renders it, marimo included. Work runs as tasks on the kernel's event loop
(see `_base` for what happens without one): the catalogue loads in the
background, Generate submits and then waits while other cells run, tasks an
earlier kernel left pending are picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import traitlets

from .._catalog import bundled_motions
from .._client import Submission, observe_submission
from .._errors import ImageSizeUnknown, NoEventLoop, TaskFailed, TaskTimeout, ValidationError
from .._images import ImageSource, LoadedImage
from .._journal import TaskRecord
from .._models import MODELS, SIZE_PRESETS, Feed, Motion, Task, size_for_aspect
from .._options import generate_option
from .._requests import GenerateRequest, check_model
from .._static import StaticRepr, results_html
from ._assets import compose_css, compose_esm
from ._base import SubmittingWidget, start_task
from ._codegen import CodeStyle, generate_code, save_input
from ._compare import MAX_COMPARED, MIN_COMPARED, comparison_state
from ._controls import (
    CUSTOM_SIZE,
    ControlValues,
    OptionTrait,
    draw_seed,
    model_choices,
    preset_of,
    size_choices,
)
from ._follow import WAIT_TIMEOUT, finished_bar, follow, usually_text
from ._history import HistoryEntry, status_label
from ._image_input import FrameSet
from ._motion_grid import MotionChoice
from ._result_view import ResultState
from ._sketch import camera_moves

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Studio"]

# The traits whose change refreshes the cost line and the code shown: every option but the motion
# (`ControlValues`), whether the seed is kept, and the motion chosen in the grid.
_SETTINGS = (*(item.name for item in dataclasses.fields(ControlValues)), "keep_seed", "selected_id")


@dataclass(frozen=True)
class _Request:
    """A validated Generate, ready to send, with what the history shows of it."""

    request: GenerateRequest
    sources: tuple[str, ...]
    thumbnail: bytes | None
    values: ControlValues


class Studio(StaticRepr, SubmittingWidget, MotionChoice):
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

    _esm = compose_esm("grid.js", "sketch.js", "frames.js", "result.js", "compare.js", "studio.js")
    _css = compose_css("grid.css", "sketch.css", "frames.css", "result.css", "studio.css", "compare.css")

    frames = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The image slots (first, last frame): name, source, detail, preview ref, url."""
    model = OptionTrait(generate_option("model"), "lite").tag(sync=True)
    """The model of the next Generate."""
    seed = OptionTrait(generate_option("seed"), 1).tag(sync=True)
    """The seed shown; setting it turns `keep_seed` on."""
    keep_seed = traitlets.Bool(False).tag(sync=True)
    """Keep the shown seed for every Generate (off: a new seed is drawn for each)."""
    size = traitlets.Unicode("9:16").tag(sync=True)
    """The size preset ("custom" when width and height match none)."""
    width = OptionTrait(generate_option("width"), SIZE_PRESETS["9:16"][0]).tag(sync=True)
    """Video width in pixels."""
    height = OptionTrait(generate_option("height"), SIZE_PRESETS["9:16"][1]).tag(sync=True)
    """Video height in pixels."""
    prompt = OptionTrait(generate_option("prompt"), "").tag(sync=True)
    """What happens in the video (may be empty)."""
    enhance_prompt = OptionTrait(generate_option("enhance_prompt"), True).tag(sync=True)
    """Let the service rewrite the prompt."""
    choices = traitlets.Dict().tag(sync=True)
    """The options of the Model and Size comboboxes."""
    status = traitlets.Unicode("").tag(sync=True)
    """The progress line."""
    code = traitlets.Unicode("").tag(sync=True)
    """The code shown after Copy as code ("" before); it follows the settings."""
    result_state = traitlets.Dict().tag(sync=True)
    """What the Result region shows (see `ResultState`)."""
    history = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The History list as the view shows it (see `entries` for the Python objects)."""
    shown_entry = traitlets.Int(0).tag(sync=True)
    """Number of the history entry on show (0: the latest result)."""
    comparison = traitlets.Dict().tag(sync=True)
    """What the Comparison region shows ({} when closed; see `compare`)."""
    progress = traitlets.Dict().tag(sync=True)
    """The progress bar while a task runs: {"value", "max", "text"} in seconds ({}: none shown)."""
    sketch = traitlets.Bool(True).tag(sync=True)
    """Once a first frame is chosen, show each motion tile as a sketch of its camera move on it."""

    result = traitlets.Instance(Feed, allow_none=True, read_only=True)
    """The latest finished task's feed (None before the first one)."""
    results = traitlets.List(trait=traitlets.Instance(Feed), read_only=True)
    """Every finished feed, newest last (tasks resumed from an earlier kernel included)."""

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
        self.entries: list[HistoryEntry] = []
        """Every task of this Studio (and those resumed), oldest first."""
        self._quiet = False  # set while the code itself changes fields, so observers don't react
        self._code_shown = False
        self._waiting: asyncio.Task[Feed] | None = None
        self._cancel_requested = False
        self._background: list[asyncio.Task[Any]] = []
        self._compared: list[HistoryEntry] = []

        load_catalogue = motions is None
        if motions is None:
            motions = bundled_motions()
            if self.emulated:
                # Until the emulator's listing arrives, show names only: the snapshot's previews
                # live on the provider's CDN, pointless traffic when the videos are synthetic.
                motions = [dataclasses.replace(m, preview_url=None) for m in motions]
        self._init_catalogue(motions)
        self._frames = FrameSet(self, 2, self._on_frames)
        self._result = ResultState(self.media, lambda: self.lang, self._show_result)
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
        self._size_chosen = width is not None or height is not None
        """True once a size was asked for (here, or in the Size, Width or Height controls): a new
        image then no longer sets the size to its own preset."""
        self.observe(self._on_seed, names="seed")
        self.observe(self._on_size, names="size")
        self.observe(self._on_side, names=["width", "height"])
        self.observe(self._on_settings, names=list(_SETTINGS))
        self.observe(self._on_lang, names="lang")
        self.handle("generate", lambda _c, _b: self.generate())
        self.handle("cancel", lambda _c, _b: self.cancel())
        self.handle("copy", lambda _c, _b: self.show_code())
        self.handle("new_seed", lambda _c, _b: self.new_seed())
        self.handle("show", lambda c, _b: self.show_entry(self._entry(c)))
        self.handle("reuse", lambda c, _b: self.reuse(self._entry(c)))
        self.handle("download", lambda _c, _b: self._download())
        self.handle("compare", lambda c, _b: self.compare(self._compare_asked(c)))
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
        return ControlValues(
            **{item.name: getattr(self, item.name) for item in dataclasses.fields(ControlValues)}
        )

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
        self._quietly(seed=draw_seed())
        return int(self.seed)

    def apply(self, values: ControlValues, *, lock_seed: bool = True) -> None:
        """Show `values` (e.g. those of an earlier result); the seed is kept so it is reused."""
        check_model(values.model)
        self._size_chosen = True
        shown = {name: value for name, value in dataclasses.asdict(values).items() if value is not None}
        changes: dict[str, Any] = {
            **shown,
            "size": preset_of(values.width, values.height),
            "keep_seed": lock_seed and values.seed is not None,
        }
        self._quietly(**changes)

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
        if self._waiting is None or self._waiting.done():
            return False
        self._cancel_requested = True
        self._waiting.cancel()
        return True

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
        self._code_shown = True
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
        self.shown_entry = entry.number
        self._result.show(entry.feed)
        if entry.feed is None:
            self._result.update(status_text=f"#{entry.number}: {status_label(entry.status, self.lang)}")

    def compare(self, entries: Sequence[int | HistoryEntry]) -> list[HistoryEntry]:
        """What Compare does: show 2 to 4 finished history entries (numbers or entries) side by side
        in the Comparison region, played in sync, with the parameters that differ. Returns them."""
        chosen = [
            entry if isinstance(entry, HistoryEntry) else self._entry({"n": entry}) for entry in entries
        ]
        wanted = f"{MIN_COMPARED} to {MAX_COMPARED} finished history entries with a video"
        if not MIN_COMPARED <= len(chosen) <= MAX_COMPARED:
            raise ValidationError("entries", [entry.number for entry in chosen], wanted)
        for entry in chosen:
            if entry not in self.entries or not entry.comparable:
                raise ValidationError(
                    "entries", entry.number, wanted, hint=f"#{entry.number} is {entry.status}"
                )
        self._compared = chosen
        self._show_comparison()
        return list(chosen)

    def close_comparison(self) -> None:
        """Close the Comparison region."""
        self._compared = []
        self._show_comparison()

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
        entry = self._add_entry(
            HistoryEntry(
                number=len(self.entries) + 1,
                motion=request.request.motion,
                values=request.values,
                image_sources=request.sources,
                thumbnail=request.thumbnail,
            )
        )
        self.progress = {}  # the last task's bar goes; this one's comes once it is accepted
        self.status = self.t(
            "status_submitting",
            n=entry.number,
            motion=request.request.motion.name,
            model=request.request.model,
        )
        sending = Submission()
        try:
            try:
                observe_submission(sending)  # this task's own context: tells what became of the POST
                task = await self.client.generate(request.request)
            except BaseException:
                # One change of the live region (status and cost line): what became of it.
                with self.hold_sync():
                    self._refresh_cost()
                    if sending.phase == "uncertain":
                        entry.status = "uncertain"
                        entry.note = self.t("uncertain_note")
                        self.status = self.t("status_uncertain", n=entry.number)
                    else:
                        entry.status = "not submitted"
                        self.status = self.t("status_not_submitted", n=entry.number)
                self._refresh_history()
                raise
            finally:
                self.refresh_notice()
            entry.task_id = task.id
            entry.status = "queued"
            self._refresh_history()
            with self.hold_sync():  # one change of the live region: submitted, and what it cost
                self._refresh_cost()
                self.status = self.t("status_submitted", n=entry.number, task=task.id)
            self.busy = "waiting"
            return await self._follow(entry, task)
        finally:
            self._submitting = False
            self._waiting = None
            self.busy = ""

    async def _follow(self, entry: HistoryEntry, task: Task) -> Feed | None:
        """Wait for the entry's task in a task of its own, which Cancel cancels."""

        def on_feed(feed: Feed) -> None:
            entry.status = feed.status
            entry.feed = feed
            self._refresh_history()
            self.shown_entry = entry.number
            self._result.show(feed)

        def on_status(text: str) -> None:
            self._result.update(status_text=text)

        def on_announce(text: str) -> None:
            self.status = text

        def on_progress(bar: dict[str, Any]) -> None:
            self.progress = bar

        self._cancel_requested = False
        self._waiting = asyncio.get_running_loop().create_task(
            follow(
                self.client,
                task,
                label=f"#{entry.number}",
                lang=self.lang,
                on_feed=on_feed,
                on_status=on_status,
                on_announce=on_announce,
                announced="queued",
                on_progress=on_progress,
            ),
            name=f"hfwidgets-wait-{task.id}",
        )
        try:
            feed = await self._waiting
        except asyncio.CancelledError:
            self.progress = {}  # no video is coming: the bar goes away
            if not self._cancel_requested:
                raise  # the Studio's own task was cancelled: let it end
            entry.status = "waiting stopped"
            entry.note = "the task continues on the server; it is in hfwidgets.history()"
            self._refresh_history()
            self.status = self.t("status_stopped", n=entry.number, task=task.id)
            self._result.update(status_text=self.t("stopped_waiting"))
            return None
        except TaskFailed as failure:
            self.progress = {}
            self._finish(entry, failure.feed)
            raise
        except TaskTimeout:
            self.progress = {}
            entry.status = "still running"
            entry.note = "not finished in time; it continues on the server"
            self._refresh_history()
            raise
        except BaseException:
            self.progress = {}
            raise
        self.progress = finished_bar(self.progress, lang=self.lang)  # the video is here: the bar is full
        self._finish(entry, feed)
        return feed

    def _finish(self, entry: HistoryEntry, feed: Feed) -> None:
        entry.status = feed.status
        entry.feed = feed
        self._refresh_history()
        self.shown_entry = entry.number
        self._result.show(feed)
        self.set_trait("result", feed)
        self.set_trait("results", [*self.results, feed])
        self.refresh_static_view()
        self.status = self.t(
            "status_done", n=entry.number, status=status_label(feed.status, self.lang), task=feed.id
        )

    def _on_run_error(self, error: BaseException) -> None:
        self._result.update(error=f"{type(error).__name__}: {error}")
        self.status = self.t("status_failed")

    # ------------------------------------------------------------------ history

    def _add_entry(self, entry: HistoryEntry) -> HistoryEntry:
        entry.thumb_ref = self.media.ref_bytes(entry.thumbnail)
        self.entries.append(entry)
        self._refresh_history()
        return entry

    def _refresh_history(self) -> None:
        self.history = [entry.state(self.lang) for entry in self.entries]

    def _compare_asked(self, content: Mapping[str, Any]) -> list[HistoryEntry]:
        numbers = content.get("n")
        if not isinstance(numbers, list):
            raise ValidationError("entries", numbers, "a list of history entry numbers")
        return [self._entry({"n": number}) for number in numbers]

    def _show_comparison(self) -> None:
        items = [(entry.number, entry.feed) for entry in self._compared if entry.feed is not None]
        self.comparison = comparison_state(items, self.media, self.lang)

    def _entry(self, content: Mapping[str, Any]) -> HistoryEntry:
        number = content.get("n")
        for entry in self.entries:
            if entry.number == number:
                return entry
        raise ValidationError("history entry", number, f"1 to {len(self.entries)}")

    # ------------------------------------------------------------------ background work

    def _start_background(self, *, load_catalogue: bool, resume_pending: bool) -> None:
        jobs = []
        if load_catalogue:
            jobs.append((self._load_catalogue(), "hfwidgets-studio-motions"))
        if resume_pending:
            jobs.append((self._resume_pending(), "hfwidgets-studio-resume"))
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

    async def _resume_pending(self) -> None:
        journal = self.client.journal
        if journal is None or self.client.journal_problem:
            return  # the notice says why nothing is picked up
        records = journal.pending(self.client.base_url)
        if not records:
            return
        self.status = self.t("status_resuming", n=len(records))
        await asyncio.gather(*(self._resume_one(record) for record in records))

    async def _resume_one(self, record: TaskRecord) -> None:
        motion = record.motion
        values = ControlValues.of(record.options) if record.model and record.width and record.height else None
        entry = self._add_entry(
            HistoryEntry(
                number=len(self.entries) + 1,
                motion=motion,
                values=values,
                thumbnail=record.thumbnail,
                task_id=record.id,
                status=record.status,
                note=self.t("resumed"),
            )
        )

        def on_update(feed: Feed) -> None:
            changed = feed.status != entry.status
            entry.status = feed.status
            entry.feed = feed
            if changed:  # the list shows statuses: redrawn when one changes, not at every poll
                self._refresh_history()

        try:
            feed = await self.client.wait(record.id, timeout=WAIT_TIMEOUT, on_update=on_update)
        except TaskFailed as failure:
            self._finish(entry, failure.feed)
            return
        except Exception as error:
            entry.status = "not resumed"
            entry.note = f"{type(error).__name__}: {error}"
            self._refresh_history()
            raise
        self._finish(entry, feed)

    # ------------------------------------------------------------------ observers

    def _quietly(self, **changes: Any) -> None:
        self._quiet = True
        try:
            with self.hold_trait_notifications():
                for name, value in changes.items():
                    setattr(self, name, value)
        finally:
            self._quiet = False
        self._after_settings()

    def _on_seed(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.keep_seed = True  # a seed typed by hand is meant to be used

    def _on_size(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        self._size_chosen = True
        if change["new"] == CUSTOM_SIZE:
            return
        if change["new"] not in SIZE_PRESETS:
            self._quietly(size=preset_of(self.width, self.height))
            return
        w, h = SIZE_PRESETS[change["new"]]
        self._quietly(width=w, height=h)

    def _on_side(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self._size_chosen = True
            self._quietly(size=preset_of(self.width, self.height))

    def _on_settings(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self._after_settings()

    def _after_settings(self) -> None:
        if self.model not in MODELS:
            return
        self._refresh_cost()
        if self._code_shown:
            try:
                self.code = self.copy_as_code()
            except Exception as error:  # e.g. an invalid width typed: say so, keep the last code
                self.errors.show(error)

    def _on_frames(self) -> None:
        """A new first image sets the size to its preset, unless a size was asked for."""
        size = self._frames.first_size
        if self._size_chosen:
            return  # an explicit size wins over the image's preset
        first = self._frames.frames["first"].image
        if size is None and first is not None and first.url is not None and self.has_client:
            self._read_url_size(first.url)  # as `generate` and the command line read it
        elif size is not None:
            self._show_size_of(size)

    def _show_size_of(self, image_size: tuple[int, int]) -> None:
        """Select the preset closest to an image of `image_size` (what a new first frame does)."""
        _, (w, h) = size_for_aspect(*image_size)
        self._quietly(width=w, height=h, size=preset_of(w, h))

    def _read_url_size(self, url: str) -> None:
        async def read() -> None:
            try:
                size = await self.client.image_size(url)
            except ImageSizeUnknown as error:
                self.errors.show(self.t("url_size_unknown", problem=error.problem()))
                return
            current = self._frames.frames["first"].image
            if current is not None and current.url == url and not self._size_chosen:  # still wanted
                self._show_size_of(size)

        with contextlib.suppress(NoEventLoop):  # built outside a running loop: the size stays as shown
            self._background.append(start_task(read(), self.errors, name="hfwidgets-studio-url-size"))

    def _on_lang(self, _change: Mapping[str, Any]) -> None:
        self._refresh_cost()
        self._refresh_history()
        self._result.show(self._result.feed)
        self._show_comparison()

    def _show_result(self, fields: dict[str, Any]) -> None:
        self.result_state = fields

    def _download(self) -> None:
        if not self._result.fields.get("downloading"):
            self._result.download()

    # ------------------------------------------------------------------ display

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
