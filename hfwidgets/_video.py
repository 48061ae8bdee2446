"""Finished videos: download the mp4, decode its frames, describe it.

Videos live on the provider's CDN, not behind the API: they are fetched with the
one media fetch (`_fetch`: no API key, redirects, proxies, time and size limits,
the errors below). Downloads are atomic: the bytes go to a temporary
file beside the destination, renamed into place only once complete, so a
failed or interrupted download never leaves a truncated mp4 behind.

Errors name the task:

- the feed has no video yet (still queued or running): `ValidationError`
  (a `ValueError`) on the field "feed", with a hint to wait for the task first;
- the task failed (`failed`, `nsfw`, `canceled`): `TaskFailed`;
- the video server answers an HTTP error, or no answer arrives: `APIError`
  (status None when nothing arrived);
- it answers something that is not a video (an HTML or JSON page), or the mp4
  cannot be decoded: `MalformedResponse`;
- the download takes longer than its overall deadline (`timeout`, 5 minutes by
  default): `DownloadTimeout`; the video is larger than `max_bytes` (256 MB by
  default): `LimitExceeded`. The partial file is removed either way;
- the decoded frames would need more memory than `max_bytes` (1 GB by default):
  `LimitExceeded`, before anything is allocated (a 2 KB mp4 may claim 2**31
  frames); `frames(step=..., max_frames=..., size=...)` takes fewer or smaller ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import httpx

from ._config import home_dir
from ._errors import (
    APIError,
    LimitExceeded,
    MalformedResponse,
    TaskFailed,
    ValidationError,
    is_dead_link,
)
from ._extras import require
from ._fetch import CHUNK_BYTES, fetch_async, in_worker_thread, shown_url
from ._kept import kept_file

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ._models import Feed

__all__ = [
    "VARIANTS",
    "atomic_file",
    "cache_dir",
    "cached_path",
    "clear_cache",
    "copy_atomically",
    "decode_frames",
    "download_async",
    "download_sync",
    "keep_async",
    "read_frames",
    "video_info",
    "video_url",
]

VARIANTS: Final = ("raw", "min")
""""raw": the full video (the job's result); "min": the reduced one the service also makes."""


DOWNLOAD_DEADLINE_S: Final = 300.0
"""Overall limit of one download: a 5 s clip (a few MB) takes seconds even on a slow line."""
MAX_VIDEO_BYTES: Final = 256 * 1024 * 1024
"""Largest video downloaded: a 5 s clip is a few MB; a server sending gigabytes is stopped."""
MAX_FRAMES_BYTES: Final = 1024 * 1024 * 1024
"""Memory the decoded frames may take: a 5 s 1312x736 clip at 24 fps needs about 350 MB."""
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


# --------------------------------------------------------------------------- which URL, where to


def video_url(feed: Feed, variant: str = "raw") -> str:
    """The URL of the feed's mp4 for `variant`; raises when the task has none (yet)."""
    if variant not in VARIANTS:
        raise ValidationError("variant", variant, "'raw' (the full video) or 'min' (the reduced one)")
    if feed.failed:
        raise TaskFailed(feed)
    if variant == "min":
        url = feed.min_url
    else:
        url = feed.video_url or next((job.raw_url for job in feed.jobs if job.raw_url), None)
    if url:
        return url
    if not feed.done:
        raise ValidationError(
            "feed",
            feed.id,
            "a finished task with a video",
            hint=f"task {feed.id} is {feed.status!r}: wait for it first (client.wait(task))",
        )
    if variant == "min":
        raise ValidationError(
            "variant",
            variant,
            "'raw'",
            hint=f"task {feed.id} has no reduced ('min') video, only the full one",
        )
    raise MalformedResponse("the task is completed but its feed names no video URL", task_id=feed.id)


def default_filename(feed: Feed, variant: str = "raw") -> str:
    """`{task id}.mp4` (`{task id}_min.mp4` for the reduced video), safe as a file name."""
    stem = _UNSAFE_NAME_CHARS.sub("_", feed.id) or "video"
    return f"{stem}_min.mp4" if variant == "min" else f"{stem}.mp4"


def _destination(feed: Feed, path: str | os.PathLike[str] | None, variant: str) -> Path:
    if path is None:
        return Path.cwd() / default_filename(feed, variant)
    text = os.fspath(path)
    target = Path(text).expanduser()
    if target.is_dir() or text.endswith(("/", os.sep)):
        return target / default_filename(feed, variant)
    return target


# --------------------------------------------------------------------------- downloading


async def download_async(
    feed: Feed,
    path: str | os.PathLike[str] | None = None,
    *,
    variant: str = "raw",
    timeout: float = DOWNLOAD_DEADLINE_S,
    max_bytes: int = MAX_VIDEO_BYTES,
) -> Path:
    """Save the feed's mp4 and return its path; the transfer does not block the event loop.

    `path` defaults to `./{task id}.mp4`; an existing directory (or a path ending
    in a separator) receives that file name inside it. Missing parent
    directories are created. The API key is never sent: the video host gets a
    plain request. `timeout` bounds the whole download (DownloadTimeout) and
    `max_bytes` its size (LimitExceeded); a partial file is removed.
    When the link is dead (403, 404, 410, or the host cannot be reached), the copy of the
    full video kept on this machine (`_keep`) is saved instead, and a warning says so once.
    """
    _check_limits(timeout, max_bytes)
    url = video_url(feed, variant)
    target = _destination(feed, path, variant)
    try:
        return await _download(feed, url, target, max_bytes=max_bytes, timeout=timeout)
    except APIError as error:
        if variant != "raw" or not is_dead_link(error):
            raise
        return await asyncio.to_thread(_save_kept_copy, feed.id, target, error)


download_sync = in_worker_thread(download_async)
download_sync.__name__ = download_sync.__qualname__ = "download_sync"
download_sync.__doc__ = "`download_async`, blocking: save the feed's mp4 and return its path."


async def keep_async(
    feed: Feed,
    folder: Path,
    *,
    timeout: float = DOWNLOAD_DEADLINE_S,
    max_bytes: int = MAX_VIDEO_BYTES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Path:
    """Save the feed's full video in `folder` as `<sha256>.mp4`, durably and atomically (for `_keep`).

    `transport`: the client's own httpx transport when it was given one (tests plug in there).
    """
    url = video_url(feed)
    return await _download(
        feed, url, folder, max_bytes=max_bytes, timeout=timeout, content_addressed=True, transport=transport
    )


async def _download(
    feed: Feed,
    url: str,
    target: Path,
    *,
    max_bytes: int,
    timeout: float,
    content_addressed: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Path:
    """Fetch the video (`_fetch`) into `target` through a temporary file beside it (`atomic_file`).

    With `content_addressed`, `target` is a folder and the file is named `<sha256>.mp4` after its
    content, and written durably (fsync'd before it is renamed into place).
    """
    import anyio

    folder = target if content_addressed else target.parent
    digest = hashlib.sha256() if content_addressed else None
    with atomic_file(folder, target.name, durable=content_addressed) as partial:
        writer = anyio.wrap_file(partial.file)  # chunk writes go through a worker thread

        async def write(chunk: bytes) -> bool:
            if digest is not None:
                digest.update(chunk)
            await writer.write(chunk)
            return False

        await fetch_async(
            url,
            what="the video's link",
            expected="a video",
            max_bytes=max_bytes,
            timeout=timeout,
            task_id=feed.id,
            sink=write,
            transport=transport,
        )
        partial.file.flush()
        partial.name = f"{digest.hexdigest()}.mp4" if digest is not None else target.name
    return folder / partial.name


def _check_limits(timeout: float, max_bytes: int) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValidationError("timeout", timeout, "a number of seconds > 0")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValidationError("max_bytes", max_bytes, "an int > 0 (bytes)")


class _Partial:
    """A temporary file being written, and the name it takes in its folder once complete."""

    def __init__(self, file: IO[bytes], name: str) -> None:
        self.file = file
        self.name = name


@contextlib.contextmanager
def atomic_file(folder: Path, name: str, *, durable: bool = False) -> Iterator[_Partial]:
    """A temporary file in `folder`, renamed to `partial.name` on success and removed on any failure.

    `durable`: the bytes (and the rename) are synced to disk before it returns, so a power cut
    never leaves a file that looks complete but is not.
    """
    folder.mkdir(parents=True, exist_ok=True)
    # Created with mode 0o666 and the umask applied, like any file the user saves (a
    # NamedTemporaryFile would be 0600); O_EXCL and a random name keep it private to this call.
    temporary = folder / f".{name}.{secrets.token_hex(6)}.part"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            partial = _Partial(handle, name)
            yield partial
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, folder / partial.name)
        if durable and hasattr(os, "O_DIRECTORY"):
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _save_kept_copy(task_id: str, target: Path, error: APIError) -> Path:
    """Save the kept copy of a task whose link failed with `error` to `target` (`_kept.kept_file`)."""
    return copy_atomically(kept_file(task_id, error), target)


def copy_atomically(source: Path, target: Path) -> Path:
    """Copy a file to `target` through a temporary file beside it (never half a file); returns `target`."""
    with atomic_file(target.parent, target.name) as partial, source.open("rb") as data:
        shutil.copyfileobj(data, partial.file, CHUNK_BYTES)
    return target


# --------------------------------------------------------------------------- frames


def cache_dir() -> Path:
    """Where decoded videos are cached: `$HFWIDGETS_HOME/cache`, else the per-user cache directory."""
    home = home_dir()
    if home:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("hfwidgets"))


def cached_path(url: str) -> Path:
    """The cache file for a video URL (one file per distinct URL)."""
    return cache_dir() / "videos" / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.mp4"


def clear_cache() -> int:
    """Delete the cached videos that `read_frames` keeps; returns how many files were removed."""
    folder = cache_dir() / "videos"
    removed = 0
    for entry in folder.glob("*.mp4") if folder.is_dir() else ():
        entry.unlink(missing_ok=True)
        removed += 1
    return removed


def read_frames(
    feed: Feed,
    *,
    variant: str = "raw",
    step: int = 1,
    max_frames: int | None = None,
    size: tuple[int, int] | None = None,
    max_bytes: int = MAX_FRAMES_BYTES,
) -> npt.NDArray[np.uint8]:
    """The feed's video as a uint8 array of shape (frames, height, width, 3), RGB.

    The mp4 is downloaded once into the cache directory (keyed by its URL) and
    reused by later calls. See `decode_frames` for `step`, `max_frames`, `size`
    and `max_bytes`.
    """
    url = video_url(feed, variant)
    local = cached_path(url)
    if not local.is_file():
        download_sync(feed, local, variant=variant)
    try:
        return decode_frames(local, step=step, max_frames=max_frames, size=size, max_bytes=max_bytes)
    except LimitExceeded as exc:
        raise LimitExceeded(exc.message, limit=exc.limit, task_id=feed.id, endpoint=shown_url(url)) from None
    except MalformedResponse as exc:
        local.unlink(missing_ok=True)  # a bad cached file must not stick: the next call downloads again
        raise MalformedResponse(exc.message, task_id=feed.id, endpoint=shown_url(url)) from exc


def decode_frames(
    path: str | os.PathLike[str],
    *,
    step: int = 1,
    max_frames: int | None = None,
    size: tuple[int, int] | None = None,
    max_bytes: int = MAX_FRAMES_BYTES,
) -> npt.NDArray[np.uint8]:
    """Decode a video file's first video stream to a (T, H, W, 3) uint8 RGB array.

    `step` keeps every step-th frame, `max_frames` stops after that many, `size`
    (width, height) scales each frame. When the frames the file declares would
    take more than `max_bytes`, LimitExceeded is raised before decoding (and
    while decoding, should the file have under-declared them).
    """
    require("video", "Decoding video frames (Feed.frames())")
    import av
    import numpy as np

    step, max_frames, size = _check_frame_options(step, max_frames, size, max_bytes)
    shown = os.fspath(path)
    try:
        with av.open(shown) as container:
            if not container.streams.video:
                raise MalformedResponse(f"{shown!r} has no video stream")
            stream = container.streams.video[0]
            width, height = size or (stream.codec_context.width, stream.codec_context.height)
            frame_bytes = max(1, width * height * 3)
            declared = max(0, int(stream.frames or 0))
            wanted = math.ceil(declared / step)
            if max_frames is not None:
                wanted = min(wanted, max_frames)
            if wanted * frame_bytes > max_bytes:
                raise _frames_too_large(shown, wanted, width, height, max_bytes, declared=True)
            most = max_bytes // frame_bytes
            stream.thread_type = "AUTO"  # frame threads: decoding is the slow part

            def kept() -> Iterator[npt.NDArray[np.uint8]]:
                count = 0
                for index, frame in enumerate(container.decode(stream)):
                    if index % step:
                        continue
                    if max_frames is not None and count >= max_frames:
                        return
                    if count >= most:
                        raise _frames_too_large(shown, count + 1, width, height, max_bytes, declared=False)
                    picture = frame.reformat(width=width, height=height, format="rgb24") if size else frame
                    yield np.asarray(picture.to_ndarray(format="rgb24"), np.uint8)
                    count += 1

            frames = _collect(kept(), expected=wanted)
    except av.FFmpegError as exc:
        raise MalformedResponse(f"the video cannot be decoded: {exc}") from None
    if frames.shape[0] == 0:
        raise MalformedResponse(f"{shown!r} holds no frames")
    return frames


def _check_frame_options(
    step: int, max_frames: int | None, size: tuple[int, int] | None, max_bytes: int
) -> tuple[int, int | None, tuple[int, int] | None]:
    def positive_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0

    if not positive_int(step):
        raise ValidationError("step", step, "an int >= 1 (1 keeps every frame, 2 every other one)")
    if max_frames is not None and not positive_int(max_frames):
        raise ValidationError("max_frames", max_frames, "None or an int >= 1")
    if size is not None and not (
        isinstance(size, tuple) and len(size) == 2 and all(positive_int(v) for v in size)
    ):
        raise ValidationError("size", size, "None or a (width, height) tuple of ints >= 1")
    if not positive_int(max_bytes):
        raise ValidationError("max_bytes", max_bytes, "an int > 0 (bytes)")
    return step, max_frames, size


def _frames_too_large(
    shown: str, frames: int, width: int, height: int, max_bytes: int, *, declared: bool
) -> LimitExceeded:
    need = frames * width * height * 3
    what = (
        f"declares frames that would take {need:,} bytes" if declared else f"holds over {frames - 1} frames"
    )
    return LimitExceeded(
        f"{shown!r} {what} ({width}x{height}, RGB), over max_bytes={max_bytes:,}: take fewer or smaller "
        "frames with frames(step=..., max_frames=..., size=(w, h)), or pass a larger max_bytes=",
        limit=max_bytes,
    )


def _collect(frames: Iterator[npt.NDArray[np.uint8]], *, expected: int) -> npt.NDArray[np.uint8]:
    """Stack frames into one array without holding two copies when the count is known upfront."""
    import numpy as np

    first = next(frames, None)
    if first is None:
        return np.empty((0, 0, 0, 3), np.uint8)
    out = np.empty((max(expected, 1), *first.shape), np.uint8)
    out[0] = first
    count, extra = 1, []
    for frame in frames:
        if count < out.shape[0]:
            out[count] = frame
        else:
            extra.append(frame)  # the container under-reported its frame count
        count += 1
    if extra:
        return np.concatenate([out, np.stack(extra)])
    return out[:count]


def video_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Frames, fps, duration (s), width, height, codec, pixel format and file size of a video file."""
    require("video", "Reading a video's information")
    import av

    try:
        with av.open(os.fspath(path)) as container:
            if not container.streams.video:
                raise MalformedResponse(f"{os.fspath(path)!r} has no video stream")
            stream = container.streams.video[0]
            rate: Fraction | None = stream.average_rate or stream.guessed_rate
            frames = int(stream.frames or 0)
            if frames == 0:  # not in the header: count the packets (no decoding)
                frames = sum(1 for packet in container.demux(stream) if packet.size)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                duration = frames / float(rate) if rate else 0.0
            return {
                "frames": frames,
                "fps": float(rate) if rate else None,
                "duration": duration,
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
                "codec": stream.codec_context.name,
                "pix_fmt": stream.codec_context.pix_fmt,
                "bytes": os.path.getsize(path),
            }
    except av.FFmpegError as exc:
        raise MalformedResponse(f"the video cannot be read: {exc}") from None
