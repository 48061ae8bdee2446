"""AdsPanel: an ad video from a product image and an ad template id, in one widget model."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import traitlets

from .._errors import ValidationError
from .._images import ImageSource
from .._models import SIZE_PRESETS, Feed
from .._options import ads_option
from .._requests import AdsRequest, check_size
from .._static import StaticRepr, results_html
from ._assets import compose_css, compose_esm
from ._controls import OptionTrait
from ._history import status_label
from ._image_input import FrameSet
from ._result_view import ResultState
from ._submitting import SubmittingWidget

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["AD_SIZES", "DEFAULT_TEMPLATE_ID", "AdsPanel"]

DEFAULT_TEMPLATE_ID = "3hpZ2HB0xS688KnzMIwU16"
"""The provider's example ad template."""

AD_SIZES: tuple[str, ...] = tuple(f"{w}x{h}" for w, h in SIZE_PRESETS.values())
"""Sizes offered in the Size combobox (any "WxH" the request rules accept can be set from Python)."""


class AdsPanel(StaticRepr, SubmittingWidget):
    """Make an ad video: template id, one product image, size; 13 points a video.

    `result` is the latest finished feed (observable); `generate()` is what the
    button does, `await panel.wait()` waits for it.
    """

    _esm = compose_esm("frames.js", "result.js", "ads.js")
    _css = compose_css("frames.css", "result.css", "studio.css")

    template_id = OptionTrait(ads_option("template_id"), DEFAULT_TEMPLATE_ID).tag(sync=True)
    """The ad template id."""
    size = OptionTrait(ads_option("size"), "1024x1024").tag(sync=True)
    """The ad size "WxH"."""
    sizes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Sizes offered in the Size combobox."""
    frames = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The product image slot."""
    status = traitlets.Unicode("").tag(sync=True)
    """The progress line."""
    result_state = traitlets.Dict().tag(sync=True)
    """What the Result region shows."""

    result = traitlets.Instance(Feed, allow_none=True, read_only=True)
    """The latest finished ad task's feed."""

    def __init__(
        self,
        client: Client | None = None,
        *,
        template_id: str = DEFAULT_TEMPLATE_ID,
        image: ImageSource | None = None,
        size: str = "1024x1024",
        lang: str | None = None,
    ) -> None:
        super().__init__(client=client, lang=lang)
        size = check_size(size)
        self.sizes = list(AD_SIZES) if size in AD_SIZES else [size, *AD_SIZES]
        self.size = size
        self.template_id = template_id
        self._frames = FrameSet(self, 1)
        self._result = ResultState(
            self.media, lambda: self.lang, lambda fields: setattr(self, "result_state", fields)
        )
        self.handle("generate", lambda _c, _b: self.generate())
        self.handle("download", lambda _c, _b: self._result.download())
        self.observe(lambda _change: self._refresh_cost(), names="lang")
        if image is not None:
            self._frames.set_frame("first", image)
        self._refresh_cost()

    @property
    def images(self) -> list[Any]:
        """The product image (a list of one, or empty)."""
        return self._frames.images

    def set_image(self, source: ImageSource) -> None:
        """Set the product image from a path, URL, bytes, PIL image or array."""
        self._frames.set_frame("first", source)

    def upload(self, data: bytes, filename: str) -> None:
        """What a file chosen, dropped or pasted in the view does."""
        self._frames.upload("first", data, filename)

    def generate(self) -> asyncio.Task[Feed] | None:
        """Validate, check the budget, then submit and wait in a task; None when nothing was sent."""
        return self.start_submission(
            self._validated_request,
            lambda _request: self.client.price("ads"),
            self._run,
            name="hfwidgets-ads",
        )

    def _validated_request(self) -> AdsRequest:
        images = self._frames.images
        if not images:
            raise ValidationError("image", [], "one product image: choose it or paste its URL")
        return AdsRequest(images[0], self.template_id.strip(), size=self.size)

    async def wait(self) -> Feed | None:
        """Wait for the running submission; the latest result."""
        await self.submission_settled()
        await self.static_view_settled()
        return self.result

    async def _run(self, request: AdsRequest) -> Feed:
        self.status = self.t("ad_submitting")
        try:
            feed = await self.send_and_follow(
                self.client.ads(request),
                label=self.t("ad"),
                on_feed=self._result.show,
                on_status=lambda text: self._result.update(status_text=text),
                on_announce=lambda text: setattr(self, "status", text),
            )
            self.set_trait("result", feed)
            self.refresh_static_view()
            self.status = self.t("ad_done", status=status_label(feed.status, self.lang), task=feed.id)
            return feed
        except BaseException:
            self.status = self.t("ad_failed")
            raise
        finally:
            self._refresh_cost()
            self.refresh_notice()

    def _refresh_cost(self) -> None:
        if not self.has_client:
            return
        self.show_cost(self.client.price("ads"), self.t("ad"))

    def static_html(self) -> str:
        """The latest ad as standalone HTML (what a reader without a kernel sees)."""
        feeds = [self.result] if self.result is not None else []
        return results_html(
            feeds, title="Ads", empty="No ad when this was saved: run the cell to use the panel."
        )

    def __repr__(self) -> str:
        return (
            f"AdsPanel(template_id={self.template_id!r}, size={self.size!r}, "
            f"images={len(self._frames.images)}, emulated={self.emulated})"
        )
