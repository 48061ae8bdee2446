"""Explorer: one image across several motions and/or seeds, side by side, in one widget model.

Every cell is its own task on the kernel's loop; they are submitted
concurrently and each cell shows its video (or its error) as soon as it has it.
The price of the whole run is shown before anything is sent, and the budget is
checked for the whole run at once: either every cell is submitted or none. The run
starts and each cell is sent and waited for the way every widget's task is
(`_submitting.SubmittingWidget`); the options every cell shares are traits (`OptionTrait`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import traitlets

from .._catalog import resolve_motion
from .._errors import NoEventLoop, TaskFailed, ValidationError
from .._images import ImageSource, LoadedImage, load_image
from .._models import SIZE_PRESETS, Feed, Motion, size_for_aspect
from .._options import generate_option
from .._requests import GenerateRequest, check_seed
from .._static import ExplorerCellView, StaticRepr, explorer_html
from ._assets import compose_css, compose_esm
from ._base import describe_error
from ._compare import CompareChoice, Comparison, check_comparable, comparison_state, is_comparable
from ._controls import OptionTrait, draw_seed
from ._result_view import ResultState
from ._status import Busy
from ._submitting import SubmittingWidget

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Explorer", "ExplorerCell"]


@dataclass(eq=False)
class ExplorerCell:
    """One motion x seed combination: what it shows, and its outcome once known."""

    motion: Motion
    seed: int
    view: ResultState = field(repr=False)
    feed: Feed | None = None
    error: BaseException | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.motion.name} · seed {self.seed}"

    def __repr__(self) -> str:
        status = self.feed.status if self.feed is not None else ("error" if self.error else "not done")
        return f"ExplorerCell({self.motion.name!r}, seed={self.seed}, {status})"


class Explorer(StaticRepr, SubmittingWidget, CompareChoice):
    """The same image under every combination of `motions` x `seeds`, in a grid.

    Press Run (or call `generate()`, or `await explorer.wait()`, which starts it)
    to submit every cell at once. Without seeds, one seed is drawn and shared by
    every motion, so the motions are compared on equal terms. The options every cell
    shares (`model`, `prompt`, `width`, `height`, `enhance_prompt`) are traits, checked as
    a request checks them; a change before the run is what the run sends.
    """

    _esm = compose_esm("result.js", "compare.js", "explorer.js")
    _css = compose_css("result.css", "studio.css", "compare.css")

    cells = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One dict per cell: its label and what its result part shows."""
    columns = traitlets.Int(1).tag(sync=True)
    """Cells per row on a wide page (one per seed)."""
    status = traitlets.Unicode("").tag(sync=True)
    """The progress line."""
    model = OptionTrait(generate_option("model"), "lite").tag(sync=True)
    """The model of every cell."""
    prompt = OptionTrait(generate_option("prompt"), "").tag(sync=True)
    """What happens in every video (may be empty)."""
    width = OptionTrait(generate_option("width"), SIZE_PRESETS["9:16"][0], allow_none=True).tag(sync=True)
    """Video width in pixels (None: the preset closest to the image, decided at submission)."""
    height = OptionTrait(generate_option("height"), SIZE_PRESETS["9:16"][1], allow_none=True).tag(sync=True)
    """Video height in pixels (None: as the width)."""
    enhance_prompt = OptionTrait(generate_option("enhance_prompt"), True).tag(sync=True)
    """Let the service rewrite the prompt."""

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
        lang: str | None = None,
    ) -> None:
        if not motions:
            raise ValidationError("motions", list(motions), "at least one motion (a Motion, id or name)")
        chosen = [resolve_motion(m) for m in motions]
        chosen_seeds = [check_seed(s) for s in seeds] or [draw_seed()]
        # Validated here (and each option again when its trait changes); each cell's request
        # differs only in motion and seed.
        request = GenerateRequest(
            image, chosen[0], prompt, model=model, width=width, height=height, enhance_prompt=enhance_prompt
        )
        loaded = load_image(image)
        if request.size is None and loaded.size is not None:
            _, (w, h) = size_for_aspect(*loaded.size)
            request = dataclasses.replace(request, width=w, height=h)
        super().__init__(client=client, lang=lang)
        self.image: LoadedImage = loaded
        self.motions = chosen
        self.seeds = chosen_seeds
        with self.hold_trait_notifications():
            self.model = request.model
            self.prompt = request.prompt
            self.enhance_prompt = request.enhance_prompt
            self.width, self.height = request.width, request.height
        self.columns = len(self.seeds)
        self.cell_list: list[ExplorerCell] = []
        for motion in self.motions:
            for seed in self.seeds:
                index = len(self.cell_list)
                state = ResultState(self.media, lambda: self.lang, functools.partial(self._show_cell, index))
                self.cell_list.append(ExplorerCell(motion=motion, seed=seed, view=state))
        self._publish()
        self._run: asyncio.Task[list[Feed]] | None = None
        self.handle("generate", lambda _c, _b: self.generate())
        self.handle("download", self._on_download)
        self._compared: list[int] = []
        self.handle("compare", self._on_compare)
        self.handle("compare_close", lambda _c, _b: self._show_comparison([]))
        self.observe(lambda _change: self._show_comparison(self._compared), names="lang")
        self.observe(lambda _change: self._refresh_cost(), names="model")
        self._refresh_cost()

    @property
    def price(self) -> int:
        """Points the whole run costs."""
        return len(self.cell_list) * self.client.price(self.model)

    @property
    def feeds(self) -> list[Feed]:
        """The feeds received so far, in grid order (failed tasks included)."""
        return [cell.feed for cell in self.cell_list if cell.feed is not None]

    def compare(self, cells: Sequence[int | ExplorerCell] | None = None) -> Comparison:
        """Two to four cells side by side, played in sync, with the parameters that differ (a widget).

        `cells` are cells or their grid indexes (row by row, from 0); by default every
        cell that finished with a video, when there are 2 to 4 of them.
        """
        if cells is None:
            chosen = [cell for cell in self.cell_list if is_comparable(cell.feed)]
        else:
            chosen = [self._cell(cell) for cell in cells]
        return Comparison(check_comparable([cell.feed for cell in chosen], "cells"), lang=self.lang)

    def _on_compare(self, content: Mapping[str, Any], _buffers: Any) -> None:
        """The view's Compare: cells by number (1 for the first in the grid), shown in this widget."""
        numbers = content.get("n")
        if not isinstance(numbers, list) or not all(isinstance(n, int) for n in numbers):
            raise ValidationError("cells", numbers, "a list of cell numbers")
        check_comparable([self._cell(n - 1).feed for n in numbers], "cells")
        self._show_comparison(numbers)

    def _show_comparison(self, numbers: list[int]) -> None:
        self._compared = numbers
        items = [(n, feed) for n in numbers if (feed := self.cell_list[n - 1].feed) is not None]
        self.comparison = comparison_state(items, self.media, self.lang)

    def _cell(self, cell: int | ExplorerCell) -> ExplorerCell:
        if isinstance(cell, ExplorerCell) and cell in self.cell_list:
            return cell
        if isinstance(cell, int) and not isinstance(cell, bool) and 0 <= cell < len(self.cell_list):
            return self.cell_list[cell]
        raise ValidationError(
            "cells", cell, f"cells of this Explorer or their indexes, 0 to {len(self.cell_list) - 1}"
        )

    def generate(self) -> asyncio.Task[list[Feed]] | None:
        """Submit every cell (once); None when refused (budget, no event loop: shown in the widget)."""
        if self._run is None:
            self._run = self.start_submission(
                self._requests,
                lambda requests: len(requests) * self.client.price(self.model),
                self._run_all,
                name="hfwidgets-explorer",
                busy=Busy.RUNNING,
                ended=Busy.DONE,
            )
        return self._run

    async def wait(self) -> list[Feed]:
        """Start if needed and wait for every cell; the feeds in grid order.

        A cell that failed before having a feed (refused submission, network) has
        none: see `cell.error`. Raises the refusal (e.g. BudgetExceeded) when the run could not start.
        """
        run = self.generate()
        if run is None:
            raise self.refusal or NoEventLoop()
        try:
            return await run
        finally:
            await self.static_view_settled()

    def _requests(self) -> list[GenerateRequest]:
        """One request per cell, in grid order, with the options as the traits hold them now."""
        shared = GenerateRequest(
            (self.image,),
            self.cell_list[0].motion,
            self.prompt,
            model=self.model,
            width=self.width,
            height=self.height,
            enhance_prompt=self.enhance_prompt,
        )
        return [dataclasses.replace(shared, motion=cell.motion, seed=cell.seed) for cell in self.cell_list]

    async def _run_all(self, requests: list[GenerateRequest]) -> list[Feed]:
        self.status = self.t("explorer_submitting", n=len(self.cell_list))
        try:
            await asyncio.gather(
                *(
                    self._run_cell(cell, request)
                    for cell, request in zip(self.cell_list, requests, strict=True)
                )
            )
        finally:
            self._refresh_cost()
            self.refresh_notice()
        failed = sum(1 for cell in self.cell_list if cell.error is not None)
        done = len(self.cell_list) - failed
        self.status = self.t("explorer_done", done=done, total=len(self.cell_list)) + (
            self.t("explorer_failed", failed=failed) if failed else ""
        )
        return self.feeds

    async def _run_cell(self, cell: ExplorerCell, request: GenerateRequest) -> None:
        """One cell; its failure is shown in its own result and never stops the others."""
        try:
            cell.feed = await self.send_and_follow(
                self.client.generate(request),
                label=cell.label,
                on_feed=cell.view.show,
                on_status=lambda text: cell.view.update(status_text=text),
            )
        except TaskFailed as failure:
            cell.feed = failure.feed
            cell.error = failure
            cell.view.update(error=describe_error(failure))
        except Exception as error:
            cell.error = error
            cell.view.update(error=describe_error(error), status_text=self.t("status_failed"))
        finally:
            self.refresh_static_view()  # once per cell: its result, or why there is none

    def _show_cell(self, index: int, fields: dict[str, Any]) -> None:
        if 0 <= index < len(self.cells):  # not while the cells are being made
            cells = list(self.cells)
            cells[index] = {**cells[index], **fields}
            self.cells = cells

    def _publish(self) -> None:
        self.cells = [
            {"label": self.t("cell_label", motion=cell.motion.name, seed=cell.seed), **cell.view.fields}
            for cell in self.cell_list
        ]

    def _on_download(self, content: Mapping[str, Any], _buffers: Any) -> None:
        index = content.get("cell")
        if not isinstance(index, int) or not 0 <= index < len(self.cell_list):
            raise ValidationError("cell", index, f"0 to {len(self.cell_list) - 1}")
        self.cell_list[index].view.download()

    def _refresh_cost(self) -> None:
        if not self.has_client:
            return
        self.show_cost(self.price, f"{len(self.cell_list)} × {self.model}", label="this_run")

    def static_html(self) -> str:
        """The grid of posters as standalone HTML (what a reader without a kernel sees)."""
        cells = [
            ExplorerCellView(
                cell.motion.name,
                cell.seed,
                cell.feed,
                describe_error(cell.error) if cell.error is not None and cell.feed is None else "",
            )
            for cell in self.cell_list
        ]
        title = f"Explorer: {len(self.motions)} motion(s) × {len(self.seeds)} seed(s), {self.model}"
        return explorer_html(cells, columns=len(self.seeds), title=title)

    def __repr__(self) -> str:
        names = ", ".join(repr(m.name) for m in self.motions)
        return (
            f"Explorer(motions=[{names}], seeds={len(self.seeds)}, model={self.model!r}, "
            f"cells={len(self.cell_list)}, done={len(self.feeds)})"
        )
