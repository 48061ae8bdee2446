"""Studio: image(s) + motion + settings -> video, all in one widget, without blocking the kernel.

Work runs as tasks on the kernel's event loop (see `_base` for what happens
without one): the catalogue loads in the background, Generate submits and then
waits while other cells run, tasks an earlier kernel left pending are picked up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from .._catalog import bundled_motions
from .._client import Submission, observe_submission
from .._config import KEY_ENV
from .._errors import NoEventLoop, TaskFailed, TaskTimeout, ValidationError
from .._images import ImageSource
from .._journal import TaskRecord
from .._models import Feed, Motion, Task
from .._requests import GenerateRequest
from .._static import StaticRepr, results_html
from ._base import ErrorArea, JournalWarning, shows_errors, start_task
from ._codegen import CodeStyle, generate_code
from ._controls import Controls, ControlValues
from ._follow import WAIT_TIMEOUT, follow
from ._history import HistoryEntry, HistoryStrip
from ._image_input import ImageInput
from ._motion_grid import MotionGrid
from ._result_view import ResultView

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Studio", "cost_line", "emulator_banner"]


def cost_line(client: Client, cost: int, what: str, *, label: str = "This call") -> str:
    """The cost line, e.g. "This call: 5 pts (lite) · spent so far: 10 pts of 100 (90 left)",
    with a warning when the cost is more than the budget has left."""
    text = f"{label}: {cost} pts ({what}) · spent so far: {client.spent} pts"
    warning = ""
    if client.budget is not None:
        left = client.budget - client.spent
        text += f" of {client.budget} ({left} left)"
        if cost > left:
            warning = " · over budget: Generate will refuse"
    body = html.escape(text)
    if warning:
        body += f'<b style="color:#b00020">{html.escape(warning)}</b>'
    return f"<small>{body}</small>"


def emulator_banner() -> ipywidgets.HTML:
    """The banner shown when the client talks to the embedded emulator."""
    banner = ipywidgets.HTML(
        '<div style="background:#fff4ce;border:1px solid #e0b100;padding:6px 10px;border-radius:4px">'
        "<b>Emulator mode.</b> No API key is set, so videos are <b>synthetic</b>: they are made by "
        "the local emulator, nothing is sent to the service and nothing is charged. To use the real "
        f"service, set the <code>{KEY_ENV}</code> environment variable (e.g. "
        f"<code>%env {KEY_ENV}=hk-...</code> in a cell) and create a new Studio.</div>"
    )
    banner.add_class("hfw-banner-emulated")
    return banner


@dataclass(frozen=True)
class _Request:
    """A validated Generate, ready to send, with what the history strip shows of it."""

    request: GenerateRequest
    sources: tuple[str, ...]
    thumbnail: bytes | None
    values: ControlValues


class Studio(StaticRepr, ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Make videos from images: pick image(s) and a motion, set the options, press Generate.

    `result` is the latest finished `Feed` (a failed one too: look at its
    `status`), `results` all of them, oldest first; both are observable
    traitlets. `copy_as_code()` gives the call that makes the same video from a
    script. With no key configured, the embedded emulator is used and a banner
    says so.
    """

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
    ) -> None:
        if client is None:
            from .._session import default_client

            client = default_client()
        self.client = client
        self.errors = ErrorArea()
        self.journal_warning = JournalWarning(client)
        self.image_input = ImageInput(frames=2)
        load_catalogue = motions is None
        if motions is None:
            motions = bundled_motions()
            if client.emulated:
                # Until the emulator's listing arrives, show names only: the snapshot's previews
                # live on the provider's CDN, pointless traffic when the videos are synthetic.
                motions = [dataclasses.replace(m, preview_url=None) for m in motions]
        self.motion_grid = MotionGrid(motions)
        self.controls = Controls(
            model=model,
            seed=seed,
            prompt=prompt,
            enhance_prompt=enhance_prompt,
            width=width,
            height=height,
        )
        self.cost = ipywidgets.HTML()
        self.cost.add_class("hfw-cost")
        self.generate_button = ipywidgets.Button(description="Generate", icon="play", button_style="primary")
        self.generate_button.add_class("hfw-generate")
        self.cancel_button = ipywidgets.Button(
            description="Cancel",
            icon="stop",
            disabled=True,
            tooltip="stop waiting (the task continues on the server and stays in the history)",
        )
        self.cancel_button.add_class("hfw-cancel")
        self.copy_button = ipywidgets.Button(description="Copy as code", icon="code")
        self.copy_button.add_class("hfw-copy-code")
        self.status = ipywidgets.HTML("")
        self.status.add_class("hfw-status")
        self.result_view = ResultView()
        self.history = HistoryStrip()
        self.code = ipywidgets.Textarea(
            value="", layout=ipywidgets.Layout(width="100%", height="230px", display="none")
        )
        self.code.add_class("hfw-code")

        self._submitting = False  # the double-click guard: set before anything can yield
        self._submission: asyncio.Task[Feed | None] | None = None
        self._waiting: asyncio.Task[Feed] | None = None
        self._cancel_requested = False
        self._background: list[asyncio.Task[Any]] = []

        children: list[ipywidgets.Widget] = []
        if getattr(client, "emulated", False):
            children.append(emulator_banner())
        children += [
            self.errors,
            self.journal_warning,
            # wraps the controls under the images when the notebook is narrow, instead of clipping them
            ipywidgets.HBox(
                [self.image_input, self.controls], layout=ipywidgets.Layout(flex_flow="row wrap")
            ),
            self.motion_grid,
            self.cost,
            ipywidgets.HBox([self.generate_button, self.cancel_button, self.copy_button]),
            self.status,
            self.result_view,
            self.history,
            self.code,
        ]
        super().__init__(children=children)
        self.add_class("hfw-studio")

        self.generate_button.on_click(self._on_generate)
        self.cancel_button.on_click(self._on_cancel)
        self.copy_button.on_click(self._on_copy)
        self.controls.model.observe(self._on_model, names="value")
        self.image_input.observe(self._on_images, names="value")
        self.history.on_show(self._show_entry)
        self.history.on_reuse(self.reuse)

        if motion is not None:
            self.motion_grid.value = motion
        if image is not None:
            self.image_input.set_frame("first", image)
        if last_image is not None:
            self.image_input.set_frame("last", last_image)
        self._refresh_cost()
        self._start_background(load_catalogue=load_catalogue, resume_pending=resume_pending)

    # ------------------------------------------------------------------ public API

    @property
    def motion(self) -> Motion | None:
        """The selected motion."""
        return self.motion_grid.value

    @property
    def submitting(self) -> bool:
        """True from Generate until the task finished, failed or waiting was cancelled."""
        return self._submitting

    def generate(self) -> asyncio.Task[Feed | None] | None:
        """What the Generate button does: validate, check the budget, then submit and wait in a task.

        Returns the task (await it for the Feed; None when waiting was cancelled),
        or None when nothing was sent: a submission already running, or an error
        (shown in the widget).
        """
        if self._submitting:
            return None  # a second click while the first is in flight never submits twice
        self._submitting = True
        self.errors.clear()
        try:
            request = self._validated_request()
            self.client.check_budget(self.client.price(request.request.model))
            task = start_task(
                self._run(request), self.errors, name="hfwidgets-studio-generate", on_error=self._on_run_error
            )
        except Exception as error:
            self._submitting = False
            self.errors.show(error)
            self._refresh_cost()
            return None
        self._submission = task
        self.generate_button.disabled = True
        self.generate_button.description = "Submitting…"
        return task

    async def wait(self) -> Feed | None:
        """Wait for the running Generate (and any pending tasks being resumed); the latest result."""
        if self._submission is not None:
            await asyncio.gather(self._submission, return_exceptions=True)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
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
        that reproduces the current settings."""
        motion = self.motion_grid.value
        if motion is None:
            raise ValidationError("motion", None, "a motion: pick one in the grid")
        return generate_code(self.image_input.sources, motion, self.controls.values, style=style)

    def reuse(self, entry: HistoryEntry) -> None:
        """Put an earlier task's motion, model, seed, size, prompt and enhance setting back."""
        if entry.motion is not None:
            self.motion_grid.value = entry.motion
        if entry.values is not None:
            self.controls.apply(entry.values, lock_seed=True)
        self._refresh_cost()

    # ------------------------------------------------------------------ generate

    def _validated_request(self) -> _Request:
        images = tuple(self.image_input.value)
        if not images:
            raise ValidationError("image", [], "1 or 2 images: upload the first frame or paste its URL")
        motion = self.motion_grid.value
        if motion is None:
            raise ValidationError("motion", None, "a motion: pick one in the grid")
        shown = self.controls.values
        request = GenerateRequest(
            images,
            motion,
            shown.prompt,
            model=shown.model,
            seed=shown.seed if self.controls.seed_lock.value else None,
            width=shown.width,
            height=shown.height,
            enhance_prompt=shown.enhance_prompt,
        )
        request = dataclasses.replace(request, seed=self.controls.seed_for_submit())  # fresh unless locked
        thumbnails = self.image_input.thumbnails
        return _Request(
            request=request,
            sources=tuple(self.image_input.sources),
            thumbnail=thumbnails[0] if thumbnails else None,
            values=dataclasses.replace(shown, seed=request.seed),
        )

    async def _run(self, request: _Request) -> Feed | None:
        entry = self.history.add(
            HistoryEntry(
                number=len(self.history.entries) + 1,
                motion=request.request.motion,
                values=request.values,
                image_sources=request.sources,
                thumbnail=request.thumbnail,
            )
        )
        self._set_status(
            f"Submitting #{entry.number} ({request.request.motion.name}, {request.request.model})…"
        )
        sending = Submission()
        try:
            try:
                observe_submission(sending)  # this task's own context: tells what became of the POST
                task = await self.client.generate(request.request)
            except BaseException:
                if sending.phase == "uncertain":
                    entry.status = "uncertain"
                    entry.note = "sent, but no answer: it may exist and may have been charged"
                    self._set_status(
                        f"#{entry.number} was sent but no answer came back: it may exist and may have been "
                        "charged (it is in hfwidgets.history() as uncertain). It was NOT resubmitted."
                    )
                else:
                    entry.status = "not submitted"
                    self._set_status(f"#{entry.number} was not submitted.")
                self.history.refresh(entry)
                raise
            finally:
                self._refresh_cost()
                self.journal_warning.refresh()
            entry.task_id = task.id
            entry.status = "queued"
            self.history.refresh(entry)
            self.generate_button.description = "Waiting…"
            self.cancel_button.disabled = False
            return await self._follow(entry, task)
        finally:
            self._submitting = False
            self._waiting = None
            self.cancel_button.disabled = True
            self.generate_button.disabled = False
            self.generate_button.description = "Generate"

    async def _follow(self, entry: HistoryEntry, task: Task) -> Feed | None:
        """Wait for the entry's task in a task of its own, which Cancel cancels."""

        def on_feed(feed: Feed) -> None:
            entry.status = feed.status
            entry.feed = feed
            self.history.refresh(entry)

        self._cancel_requested = False
        self._waiting = asyncio.get_running_loop().create_task(
            follow(
                self.client,
                task,
                self.result_view,
                label=f"#{entry.number}",
                on_status=self._set_status,
                on_feed=on_feed,
            ),
            name=f"hfwidgets-wait-{task.id}",
        )
        try:
            feed = await self._waiting
        except asyncio.CancelledError:
            if not self._cancel_requested:
                raise  # the Studio's own task was cancelled: let it end
            entry.status = "waiting stopped"
            entry.note = "the task continues on the server; it is in hfwidgets.history()"
            self.history.refresh(entry)
            self._set_status(
                f"Stopped waiting for #{entry.number}. Task {task.id} continues on the server "
                "and stays in the history (hfwidgets.history()); a new Studio picks it up."
            )
            self.result_view.status_text = "Stopped waiting: the task continues on the server."
            return None
        except TaskFailed as failure:
            self._finish(entry, failure.feed)
            raise
        except TaskTimeout:
            entry.status = "still running"
            entry.note = "not finished in time; it continues on the server"
            self.history.refresh(entry)
            raise
        self._finish(entry, feed)
        return feed

    def _finish(self, entry: HistoryEntry, feed: Feed) -> None:
        entry.status = feed.status
        entry.feed = feed
        self.history.refresh(entry)
        self.result_view.feed = feed
        self.set_trait("result", feed)
        self.set_trait("results", [*self.results, feed])
        self._set_status(f"#{entry.number} {feed.status}: task {feed.id}.")

    def _on_run_error(self, error: BaseException) -> None:
        self.result_view.error = f"{type(error).__name__}: {error}"
        self._set_status("Failed: see the message above.")

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
            self.motion_grid.motions = motions

    async def _resume_pending(self) -> None:
        journal = self.client.journal
        if journal is None or self.client.journal_problem:
            return  # the warning above says why nothing is picked up
        records = journal.pending(self.client.base_url)
        if not records:
            return
        self._set_status(f"Picking up {len(records)} task(s) left pending by an earlier kernel…")
        await asyncio.gather(*(self._resume_one(record) for record in records))

    async def _resume_one(self, record: TaskRecord) -> None:
        motion = None
        if record.motion_id:
            motion = Motion(id=record.motion_id, name=record.motion_name or record.motion_id)
        values = None
        if record.model and record.width and record.height:
            values = ControlValues(
                model=record.model,
                seed=record.seed,
                width=record.width,
                height=record.height,
                prompt=record.prompt,
                enhance_prompt=True,
            )
        entry = self.history.add(
            HistoryEntry(
                number=len(self.history.entries) + 1,
                motion=motion,
                values=values,
                thumbnail=record.thumbnail,
                task_id=record.id,
                status=record.status,
                note="resumed from an earlier kernel",
            )
        )

        def on_update(feed: Feed) -> None:
            entry.status = feed.status
            entry.feed = feed
            self.history.refresh(entry)

        try:
            feed = await self.client.wait(record.id, timeout=WAIT_TIMEOUT, on_update=on_update)
        except TaskFailed as failure:
            self._finish(entry, failure.feed)
            return
        except Exception as error:
            entry.status = "not resumed"
            entry.note = f"{type(error).__name__}: {error}"
            self.history.refresh(entry)
            raise
        self._finish(entry, feed)

    # ------------------------------------------------------------------ callbacks

    @shows_errors
    def _on_generate(self, _button: ipywidgets.Button) -> None:
        self.generate()

    @shows_errors
    def _on_cancel(self, _button: ipywidgets.Button) -> None:
        self.cancel()

    @shows_errors
    def _on_copy(self, _button: ipywidgets.Button) -> None:
        self.code.value = self.copy_as_code()
        self.code.layout.display = None

    @shows_errors
    def _on_model(self, _change: dict[str, Any]) -> None:
        self._refresh_cost()

    @shows_errors
    def _on_images(self, _change: dict[str, Any]) -> None:
        size = self.image_input.first_size
        if size is not None:
            self.controls.match_aspect(*size)

    @shows_errors
    def _show_entry(self, entry: HistoryEntry) -> None:
        self.result_view.feed = entry.feed
        if entry.feed is None:
            self.result_view.status_text = f"#{entry.number}: {entry.status}"

    # ------------------------------------------------------------------ display

    def _refresh_cost(self) -> None:
        model = str(self.controls.model.value)
        self.cost.value = cost_line(self.client, self.client.price(model), model)

    def _set_status(self, text: str) -> None:
        self.status.value = html.escape(text)

    def static_html(self) -> str:
        """The results so far, newest first, as standalone HTML (what a reader without a kernel sees)."""
        count = len(self.results)
        title = f"Studio: {count} result{'' if count == 1 else 's'}" if count else "Studio"
        return results_html(
            self.results[::-1], title=title, empty="No results when this was saved: run the cell to use it."
        )

    def __repr__(self) -> str:
        motion = self.motion_grid.value
        return (
            f"Studio(model={self.controls.model.value!r}, motion={motion.name if motion else None!r}, "
            f"images={len(self.image_input.value)}, results={len(self.results)}, "
            f"emulated={bool(getattr(self.client, 'emulated', False))})"
        )
