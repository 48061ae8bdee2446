"""Kept videos: every finished video is saved on this machine, so a dead link loses nothing paid for.

Providers' video links stop working after hours or days. As soon as a client sees
a task complete (`Client.wait`, and through it `run()`, `resume()`, the widgets
and the command line) it saves the full video beside the journal, in
`videos/<sha256>.mp4`:

- content-addressed: the file is named after its SHA-256, so a video is stored once;
- never half a file: the bytes go to a temporary file in the same folder, are
  fsync'd, then renamed into place (`os.replace`); an interrupted or failed
  download (a full disk included) leaves nothing, and the task stays completed;
- booked in the journal's own `kept_videos` table (`TaskRecord.video_path`,
  `Journal.kept_video`), so `hfwidgets history` and `History.export` know them;
- capped: the files take at most `HFWIDGETS_KEEP_MAX_BYTES` (2 GB by default;
  a number of bytes, or with a K, M or G suffix); past it the oldest are removed
  first, never a pinned one (`Journal.pin(task_id)`, `hfwidgets keep --pin ID`);
- off with `Client(keep_videos=False)` or `HFWIDGETS_KEEP_VIDEOS=0` (and with
  `journal=False`, since the journal books them).

Interactive callers (the widgets, on the kernel's event loop) keep in the
background; `run()`, `resume()` and the command line wait for the copy before
they return (`Client.wait_kept()`, which `Client.aclose()` awaits too). The
download is a plain request that never carries the API key.

When a link is dead (403, 404, 410, or the host cannot be reached),
`Feed.download()`, `hfwidgets download`, the ResultView and the Studio use the
kept copy and say so once per task; when the copy is gone too, the error says both
(`kept_file`, in `_kept`: below the models, so downloads reach it without the journal).
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Final

from ._errors import DEAD_LINK_STATUSES, ValidationError, is_dead_link
from ._journal import Journal
from ._kept import KeptVideo, kept_file
from ._video import keep_async

if TYPE_CHECKING:
    import httpx

    from ._models import Feed

__all__ = [
    "DEAD_LINK_STATUSES",
    "DEFAULT_MAX_BYTES",
    "KEEP_ENV",
    "MAX_BYTES_ENV",
    "is_dead_link",
    "keep",
    "keeps_videos",
    "kept_file",
    "max_kept_bytes",
]

logger = logging.getLogger("hfwidgets")

KEEP_ENV: Final = "HFWIDGETS_KEEP_VIDEOS"
"""Set to 0 (or false, no, off) to keep no videos."""
MAX_BYTES_ENV: Final = "HFWIDGETS_KEEP_MAX_BYTES"
"""The size cap of the kept videos: bytes, or a number with a K, M or G suffix (powers of 1024)."""
DEFAULT_MAX_BYTES: Final = 2 * 1024**3
_OFF = ("0", "false", "no", "off")
_ON = ("", "1", "true", "yes", "on")
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)b?\s*", re.IGNORECASE)


def keeps_videos(option: bool | None = None) -> bool:
    """Whether finished videos are kept: `option` when given, else `HFWIDGETS_KEEP_VIDEOS` (on by default)."""
    if option is not None:
        if not isinstance(option, bool):
            raise ValidationError("keep_videos", option, "True, False or None (HFWIDGETS_KEEP_VIDEOS)")
        return option
    value = os.environ.get(KEEP_ENV, "").strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    raise ValidationError(KEEP_ENV, value, "1 (keep finished videos, the default) or 0 (keep none)")


def max_kept_bytes() -> int:
    """The size cap of the kept videos: `HFWIDGETS_KEEP_MAX_BYTES`, else 2 GB."""
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    matched = _SIZE.fullmatch(value)
    if matched is None:
        raise ValidationError(MAX_BYTES_ENV, value, "a number of bytes, or with a suffix: 500M, 2G")
    number, unit = int(matched.group(1)), matched.group(2).lower()
    scale: int = 1024 ** " kmg".index(unit or " ")
    return number * scale


async def keep(
    feed: Feed,
    journal: Journal,
    *,
    max_bytes: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> KeptVideo | None:
    """Keep the completed feed's full video beside `journal`, then hold the kept files to the cap.

    Returns the kept video (None when it alone is larger than the cap). A video already
    kept is not downloaded again. Raises like `Feed.download` (APIError...), OSError when
    the folder cannot be written (a full disk), JournalError when the journal cannot.
    """
    known = journal.kept_video(feed.id)
    if known is not None and known.exists:
        return known
    path = await keep_async(feed, journal.videos_dir, transport=transport)
    journal.keep_video(feed.id, path.stem, path.stat().st_size, url=feed.video_url)
    for removed in journal.evict_kept(max_kept_bytes() if max_bytes is None else max_bytes):
        removed.unlink(missing_ok=True)
        logger.info("kept videos over the cap: removed %s", removed)
    kept = journal.kept_video(feed.id)
    if kept is None:
        logger.warning(
            "the video of task %s is larger than the cap of kept videos (%s=%d bytes): it was not kept",
            feed.id,
            MAX_BYTES_ENV,
            max_kept_bytes() if max_bytes is None else max_bytes,
        )
    return kept
