"""Explorer: one image across several motions and/or seeds, side by side.

Every cell is its own task on the kernel's loop; they are submitted
concurrently and each cell shows its video (or its error) as soon as it has it.
The price of the whole run is shown before anything is sent, and the budget is
checked for the whole run at once: either every cell is submitted or none.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ipywidgets

from .._catalog import resolve_motion
from .._errors import NoEventLoop, TaskFailed, ValidationError
from .._images import ImageSource, LoadedImage, load_image
from .._models import Feed, Motion, size_for_aspect
from .._requests import GenerateRequest, check_seed
from .._static import ExplorerCellView, StaticRepr, explorer_html
from ._base import ErrorArea, JournalWarning, describe_error, shows_errors, start_task
from ._controls import draw_seed
from ._follow import follow
from ._result_view import ResultView
from ._studio import cost_line, emulator_banner

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Explorer", "ExplorerCell"]


@dataclass(eq=False)
class ExplorerCell:
    """One motion x seed combination: its view, and its outcome once known."""

    motion: Motion
    seed: int
    view: ResultView
    caption: ipywidgets.HTML
    feed: Feed | None = None
    error: BaseException | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.motion.name} · seed {self.seed}"

    def __repr__(self) -> str:
        status = self.feed.status if self.feed is not None else ("error" if self.error else "not done")
        return f"ExplorerCell({self.motion.name!r}, seed={self.seed}, {status})"


class Explorer(StaticRepr, ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """The same image under every combination of `motions` x `seeds`, in a grid.

    Press Run (or `start()`, or `await explorer.wait()`, which starts it) to
    submit every cell at once. Without seeds, one seed is drawn and shared by
    every motion, so the motions are compared on equal terms.
    """

    def __init__(
        self,
        image: ImageSource,
        motions: Sequence[Motion | str] = (),
        seeds: Sequence[int] = (),
        *,
        model: str = "lite",
        prompt: str = "",
        width: int | None = None,
        height: int | None = None,
        enhance_prompt: bool = True,
        client: Client | None = None,
    ) -> None:
        if client is None:
            from .._session import default_client

            client = default_client()
        self.client = client
        if not motions:
            raise ValidationError("motions", list(motions), "at least one motion (a Motion, id or name)")
        self.motions = [resolve_motion(m) for m in motions]
        self.seeds = [check_seed(s) for s in seeds] or [draw_seed()]
        # Validated once here; each cell's request differs only in motion and seed.
        request = GenerateRequest(
            image,
            self.motions[0],
            prompt,
            model=model,
            width=width,
            height=height,
            enhance_prompt=enhance_prompt,
        )
        self.image: LoadedImage = load_image(image)
        if request.size is None and self.image.size is not None:
            _, (width, height) = size_for_aspect(*self.image.size)
            request = dataclasses.replace(request, width=width, height=height)
        self._request = dataclasses.replace(request, image=(self.image,))
        self.model = request.model
        self.prompt = request.prompt
        self.enhance_prompt = request.enhance_prompt
        self.width, self.height = request.width, request.height

        self.errors = ErrorArea()
        self.journal_warning = JournalWarning(client)
        self.cost = ipywidgets.HTML()
        self.cost.add_class("hfw-cost")
        self.run_button = ipywidgets.Button(
            description=f"Run {len(self.motions) * len(self.seeds)} videos",
            icon="play",
            button_style="primary",
        )
        self.run_button.add_class("hfw-generate")
        self.run_button.on_click(self._on_run)
        self.status = ipywidgets.HTML("")
        self.status.add_class("hfw-status")
        self.cells: list[ExplorerCell] = []
        for motion in self.motions:
            for seed in self.seeds:
                caption = ipywidgets.HTML(f"<b>{html.escape(motion.name)}</b> · seed {seed}")
                caption.add_class("hfw-explorer-caption")
                self.cells.append(ExplorerCell(motion=motion, seed=seed, view=ResultView(), caption=caption))
        self.grid = ipywidgets.GridBox(
            [ipywidgets.VBox([cell.caption, cell.view]) for cell in self.cells],
            layout=ipywidgets.Layout(
                grid_template_columns=f"repeat({len(self.seeds)}, minmax(200px, 1fr))", grid_gap="8px"
            ),
        )
        self._run: asyncio.Task[list[Feed]] | None = None
        self._refusal: Exception = NoEventLoop()  # replaced by the actual refusal when start() fails
        children: list[ipywidgets.Widget] = []
        if getattr(client, "emulated", False):
            children.append(emulator_banner())
        children += [self.errors, self.journal_warning, self.cost, self.run_button, self.status, self.grid]
        super().__init__(children=children)
        self.add_class("hfw-explorer")
        self._refresh_cost()

    @property
    def price(self) -> int:
        """Points the whole run costs."""
        return len(self.cells) * self.client.price(self.model)

    @property
    def feeds(self) -> list[Feed]:
        """The feeds received so far, in grid order (failed tasks included)."""
        return [cell.feed for cell in self.cells if cell.feed is not None]

    def start(self) -> asyncio.Task[list[Feed]] | None:
        """Submit every cell (once); None when refused (budget, no event loop: shown in the widget)."""
        if self._run is not None:
            return self._run
        try:
            self.client.check_budget(self.price)
            self._run = start_task(self._run_all(), self.errors, name="hfwidgets-explorer")
        except Exception as error:
            self._refusal = error
            self.errors.show(error)
            return None
        self.errors.clear()
        self.run_button.disabled = True
        self.run_button.description = "Running…"
        return self._run

    async def wait(self) -> list[Feed]:
        """Start if needed and wait for every cell; the feeds in grid order.

        A cell that failed before having a feed (refused submission, network) has
        none: see `cell.error`. Raises the refusal (e.g. BudgetExceeded) when the run could not start.
        """
        run = self.start()
        if run is None:
            raise self._refusal
        return await run

    async def _run_all(self) -> list[Feed]:
        self.status.value = html.escape(f"Submitting {len(self.cells)} tasks…")
        try:
            await asyncio.gather(*(self._run_cell(cell) for cell in self.cells))
        finally:
            self._refresh_cost()
            self.journal_warning.refresh()
            self.run_button.description = "Done"
        failed = sum(1 for cell in self.cells if cell.error is not None)
        done = len(self.cells) - failed
        self.status.value = html.escape(
            f"{done} of {len(self.cells)} finished" + (f", {failed} failed (see each cell)" if failed else "")
        )
        return self.feeds

    async def _run_cell(self, cell: ExplorerCell) -> None:
        """One cell; its failure is shown in its own view and never stops the others."""
        try:
            task = await self.client.generate(
                dataclasses.replace(self._request, motion=cell.motion, seed=cell.seed)
            )
            self._refresh_cost()
            cell.feed = await follow(self.client, task, cell.view, label=cell.label)
        except TaskFailed as failure:
            cell.feed = failure.feed
            cell.error = failure
            cell.view.error = describe_error(failure)
        except Exception as error:
            cell.error = error
            cell.view.error = describe_error(error)
            cell.view.status_text = "Failed: see the message below."

    @shows_errors
    def _on_run(self, _button: ipywidgets.Button) -> None:
        self.start()

    def _refresh_cost(self) -> None:
        what = f"{len(self.cells)} × {self.model}"
        self.cost.value = cost_line(self.client, self.price, what, label="This run")

    def static_html(self) -> str:
        """The grid of posters as standalone HTML (what a reader without a kernel sees)."""
        cells = [
            ExplorerCellView(
                cell.motion.name,
                cell.seed,
                cell.feed,
                describe_error(cell.error) if cell.error is not None and cell.feed is None else "",
            )
            for cell in self.cells
        ]
        title = f"Explorer: {len(self.motions)} motion(s) × {len(self.seeds)} seed(s), {self.model}"
        return explorer_html(cells, columns=len(self.seeds), title=title)

    def __repr__(self) -> str:
        names = ", ".join(repr(m.name) for m in self.motions)
        return (
            f"Explorer(motions=[{names}], seeds={len(self.seeds)}, model={self.model!r}, "
            f"cells={len(self.cells)}, done={len(self.feeds)})"
        )
