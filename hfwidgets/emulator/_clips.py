"""Producing a task's clip: fetch or decode the inputs, keep a copy of each, render the mp4 in the pool."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from pathlib import Path

import httpx
from PIL import Image

from .._moves import motion_recipe, recipe_for
from ._imagery import placeholder_image
from ._render import render_clip
from ._state import EmulatorState
from ._tasks import ClipFiles, TaskState

__all__ = ["FIT", "produce", "produce_again"]

FIT = {"image2video": "cover", "ads": "contain"}
"""How the input images fill the frame, per task kind."""

FETCH_TIMEOUT = 2.0  # seconds to fetch an input image given by URL

logger = logging.getLogger("hfwidgets.emulator")


async def fetch_bytes(state: EmulatorState, url: str) -> bytes:
    async def get() -> bytes:
        response = await state.fetcher().get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        return response.content

    return await asyncio.wait_for(get(), FETCH_TIMEOUT + 0.5)


def keep_fetched(content: bytes, path: Path) -> Image.Image:
    """Decode a fetched image and keep a JPEG copy at `path` (a JPEG is kept as sent, not re-encoded)."""
    picture = Image.open(io.BytesIO(content))
    original_format = picture.format
    picture.load()
    rgb = picture.convert("RGB")
    if original_format == "JPEG":
        path.write_bytes(content)
    else:
        save_jpeg(rgb, path)
    return rgb


async def produce(state: EmulatorState, task: TaskState, sources: list[Image.Image | str], fit: str) -> None:
    """Fetch the inputs, keep a copy of each, and render the clip in the pool."""
    width, height = int(task.params["width"]), int(task.params["height"])
    loop = asyncio.get_running_loop()
    try:
        pictures: list[Image.Image] = []
        for index, source in enumerate(sources):
            path = state.directory / "inputs" / f"{task.input_ids[index]}.jpg"
            if isinstance(source, str):
                try:
                    content = await fetch_bytes(state, source)
                    source = await loop.run_in_executor(state.executor, keep_fetched, content, path)
                except (
                    httpx.HTTPError,
                    OSError,
                    ValueError,
                    asyncio.TimeoutError,
                    Image.DecompressionBombError,
                ) as exc:
                    reason = f"could not fetch image[{index}]: {type(exc).__name__}: {exc}".strip().rstrip(
                        ":"
                    )
                    task.notes.update(input_image="placeholder", reason=reason[:300])
                    source = placeholder_image(width, height, "placeholder")
                    await loop.run_in_executor(state.executor, save_jpeg, source, path)
            else:
                await loop.run_in_executor(state.executor, save_jpeg, source, path)
            state.inputs[task.input_ids[index]] = path
            pictures.append(source)
        if state.render:
            files = ClipFiles(state.directory / f"{task.id}.mp4", state.directory / f"{task.id}_min.mp4")
            motion_name = str(task.params.get("motion_name") or "")
            motion = state.motion(str(task.params["motion_id"])) if task.params.get("motion_id") else None
            recipe = (
                motion_recipe(motion)
                if motion
                else (("showcase", 1.0),)
                if task.kind == "ads"
                else recipe_for(motion_name)
            )
            await loop.run_in_executor(
                state.executor,
                lambda: render_clip(
                    pictures,
                    recipe,
                    width,
                    height,
                    files.raw,
                    files.min,
                    seed=int(task.params.get("seed") or 0),
                    fit=fit,
                ),
            )
        else:
            files = await asyncio.wrap_future(state.shared_clip())
        task.clip = files
        task.rendered_at = time.time()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a render that fails must show as a failed task, not vanish
        logger.exception("rendering task %s failed", task.id)
        task.render_error = f"{type(exc).__name__}: {exc}"
    state.tasks.save(task)


async def produce_again(state: EmulatorState, task: TaskState) -> None:
    """Make the clip of a task an earlier emulator stopped making, from the inputs it kept."""
    paths = [state.directory / "inputs" / f"{image_id}.jpg" for image_id in task.input_ids]
    if not all(path.exists() for path in paths):
        task.render_error = "the emulator stopped before it kept this task's input image"
        state.tasks.save(task)
        return
    loop = asyncio.get_running_loop()
    pictures: list[Image.Image | str] = [
        await loop.run_in_executor(state.executor, _open_rgb, p) for p in paths
    ]
    await produce(state, task, pictures, FIT.get(task.kind, "cover"))


def _open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as picture:
        rgb: Image.Image = picture.convert("RGB")
    return rgb


def save_jpeg(picture: Image.Image, path: Path) -> None:
    picture.convert("RGB").save(path, format="JPEG", quality=90)
