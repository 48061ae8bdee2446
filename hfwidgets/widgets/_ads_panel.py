"""AdsPanel: an ad video from a product image and an ad template id."""

from __future__ import annotations

import asyncio
import html
from typing import TYPE_CHECKING

import ipywidgets
import traitlets

from .._errors import ValidationError
from .._images import ImageSource
from .._models import SIZE_PRESETS, Feed
from .._requests import AdsRequest, check_size
from .._static import StaticRepr, results_html
from ._base import ErrorArea, JournalWarning, shows_errors, start_task
from ._follow import follow
from ._image_input import ImageInput
from ._result_view import ResultView
from ._studio import cost_line, emulator_banner

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["AD_SIZES", "DEFAULT_TEMPLATE_ID", "AdsPanel"]

DEFAULT_TEMPLATE_ID = "3hpZ2HB0xS688KnzMIwU16"
"""The provider's example ad template."""

AD_SIZES: tuple[str, ...] = tuple(f"{w}x{h}" for w, h in SIZE_PRESETS.values())
"""Sizes offered in the dropdown (any "WxH" the request rules accept can be set from Python)."""


class AdsPanel(StaticRepr, ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Make an ad video: template id, one product image, size; 13 points a video.

    `result` is the latest finished feed (observable); `submit()` is what the
    button does, `await panel.wait()` waits for it.
    """

    result = traitlets.Instance(Feed, allow_none=True, read_only=True)
    """The latest finished ad task's feed."""

    def __init__(
        self,
        client: Client | None = None,
        *,
        template_id: str = DEFAULT_TEMPLATE_ID,
        image: ImageSource | None = None,
        size: str = "1024x1024",
    ) -> None:
        if client is None:
            from .._session import default_client

            client = default_client()
        self.client = client
        self.errors = ErrorArea()
        self.journal_warning = JournalWarning(client)
        self.template = ipywidgets.Text(
            value=template_id, description="template id", layout=ipywidgets.Layout(width="360px")
        )
        self.template.add_class("hfw-template-id")
        self.image_input = ImageInput(frames=1)
        size = check_size(size)
        options = list(AD_SIZES) if size in AD_SIZES else [size, *AD_SIZES]
        self.size = ipywidgets.Dropdown(options=options, value=size, description="size")
        self.size.add_class("hfw-ad-size")
        self.cost = ipywidgets.HTML()
        self.cost.add_class("hfw-cost")
        self.submit_button = ipywidgets.Button(description="Make the ad", icon="play", button_style="primary")
        self.submit_button.add_class("hfw-generate")
        self.submit_button.on_click(self._on_submit)
        self.status = ipywidgets.HTML("")
        self.status.add_class("hfw-status")
        self.result_view = ResultView()
        self._submission: asyncio.Task[Feed] | None = None
        self._submitting = False
        children: list[ipywidgets.Widget] = []
        if getattr(client, "emulated", False):
            children.append(emulator_banner())
        children += [
            self.errors,
            self.journal_warning,
            self.template,
            self.image_input,
            self.size,
            self.cost,
            self.submit_button,
            self.status,
            self.result_view,
        ]
        super().__init__(children=children)
        self.add_class("hfw-ads-panel")
        if image is not None:
            self.image_input.set_frame("first", image)
        self._refresh_cost()

    def submit(self) -> asyncio.Task[Feed] | None:
        """Validate, check the budget, then submit and wait in a task; None when nothing was sent."""
        if self._submitting:
            return None
        self._submitting = True
        self.errors.clear()
        try:
            images = self.image_input.value
            if not images:
                raise ValidationError("image", [], "one product image: upload it or paste its URL")
            request = AdsRequest(images[0], self.template.value.strip(), size=self.size.value)
            self.client.check_budget(self.client.price("ads"))
            task = start_task(self._run(request), self.errors, name="hfwidgets-ads")
        except Exception as error:
            self._submitting = False
            self.errors.show(error)
            return None
        self._submission = task
        self.submit_button.disabled = True
        return task

    async def wait(self) -> Feed | None:
        """Wait for the running submission; the latest result."""
        if self._submission is not None:
            await asyncio.gather(self._submission, return_exceptions=True)
        return self.result

    async def _run(self, request: AdsRequest) -> Feed:
        self.status.value = "Submitting the ad task…"
        try:
            task = await self.client.ads(request)
            self._refresh_cost()
            feed = await follow(
                self.client,
                task,
                self.result_view,
                label="ad",
                on_status=lambda text: setattr(self.status, "value", html.escape(text)),
            )
            self.set_trait("result", feed)
            self.status.value = html.escape(f"ad {feed.status}: task {feed.id}")
            return feed
        except BaseException:
            self.status.value = "The ad task did not finish: see the message above."
            raise
        finally:
            self._submitting = False
            self.submit_button.disabled = False
            self._refresh_cost()
            self.journal_warning.refresh()

    @shows_errors
    def _on_submit(self, _button: ipywidgets.Button) -> None:
        self.submit()

    def _refresh_cost(self) -> None:
        self.cost.value = cost_line(self.client, self.client.price("ads"), "ad")

    def static_html(self) -> str:
        """The latest ad as standalone HTML (what a reader without a kernel sees)."""
        feeds = [self.result] if self.result is not None else []
        return results_html(
            feeds, title="Ads", empty="No ad when this was saved: run the cell to use the panel."
        )

    def __repr__(self) -> str:
        return (
            f"AdsPanel(template_id={self.template.value!r}, size={self.size.value!r}, "
            f"images={len(self.image_input.value)}, emulated={bool(getattr(self.client, 'emulated', False))})"
        )
