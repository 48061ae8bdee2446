"""Jupyter widgets for hfwidgets: every one talks to the service through a `Client`, never over HTTP itself.

- `Studio`: image(s) + motion + settings -> video, with history and copy-as-code.
- `MotionGrid`, `ImageInput`, `ResultView`: the Studio's parts, each usable alone.
- `Explorer`: one image across several motions and seeds, side by side.
- `AdsPanel`: an ad video from a product image and an ad template.
- `Comparison` (`compare(feeds)`): two to four results side by side, played in sync.

Each widget shows its own errors inside itself (`.hfw-error`), and none holds the
API key or base64 media in its synced state.
"""

from __future__ import annotations

from ._ads_panel import AdsPanel
from ._compare import Comparison, compare
from ._explorer import Explorer
from ._image_input import ImageInput
from ._motion_grid import MotionGrid
from ._result_view import ResultView
from ._studio import Studio

__all__ = [
    "AdsPanel",
    "Comparison",
    "Explorer",
    "ImageInput",
    "MotionGrid",
    "ResultView",
    "Studio",
    "compare",
]
