"""What a `Feed`'s media methods call: its downloads, frames and static HTML.

`Feed.adownload` (`.download` runs it in a worker thread), `.frames`, `.show` and
its `_repr_html_` reach `_video`, `_fetch` and `_static` through `FeedMedia`.
`_models` holds the feeds as data and imports nothing that fetches; it imports
this module when one of those methods is first used. `_video` and `_static` need
the models only for type hints, so no import cycle passes through here.
"""

from __future__ import annotations

from . import _fetch, _static, _video

__all__ = ["FeedMedia"]


class FeedMedia:
    """The functions behind a Feed's media methods (one namespace: one import made late)."""

    in_worker_thread = staticmethod(_fetch.in_worker_thread)
    download_async = staticmethod(_video.download_async)
    read_frames = staticmethod(_video.read_frames)
    StaticResult = _static.StaticResult
    result_html = staticmethod(_static.result_html)
