"""The Starlette application: the routes, and `create_app` wiring them to an `EmulatorState`.

Routes (the API ones need `Authorization: Bearer <anything>`):

    POST /higgsfield/generate        -> {"id"}
    POST /higgsfield/ads             -> {"id"}
    GET  /higgsfield/feed/{id}       -> feed JSON shaped like the provider's
    GET  /motions?size=&search=      -> motion listing (no key), previews served here
    GET  /files/{id}.mp4, /files/{id}_min.mp4    rendered clips (Range requests work)
    GET  /previews/{motion_id}.webp  animated WebP preview, rendered on first request
    GET  /samples/{name}.jpg         generated sample pictures (portrait, landscape, cat, product)
    GET  /inputs/{image_id}.jpg      the emulator's copy of a task's input image
    GET  /emulator/status            pid, token, task count and request counters of this emulator

Errors are JSON: {"detail": "<message naming the field>"}, 400 for a body that is
not JSON, 422 for a field the service refuses, 401 without a bearer token, 402
when credits run out, 404 for an unknown task.

Each route only routes: requests are checked in `_validation`, faults applied
before it by `_faults.FaultInjector`, clips made by `_clips`, state kept in
`_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .._catalog import filter_motions, is_motion_id
from .._models import PRICES, Motion
from ._clips import FIT, produce, produce_again
from ._faults import FaultInjector
from ._imagery import SAMPLE_NAMES, sample_jpeg
from ._state import PREVIEW_WIDTH, EmulatorState
from ._tasks import Timing, ads_params, enhanced_prompt, image2video_params
from ._validation import (
    Invalid,
    authorized,
    decoded_images,
    error,
    image_sources,
    json_body,
    unauthorized,
    validate_ads,
    validate_generate,
)

__all__ = ["create_app"]


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def generate(request: Request) -> Response:
    """POST /higgsfield/generate: validate, charge, create the task, start rendering."""
    if not authorized(request):
        return unauthorized()
    state = _state(request)
    try:
        body = await json_body(request)
        fields = validate_generate(body, state.tasks)
        sources = await decoded_images(image_sources(body))
    except Invalid as invalid:
        return error(invalid.detail, invalid.status)
    motion = state.motion(fields["motion_id"])
    prompt = fields["prompt"]
    if fields["enhance_prompt"]:
        prompt = enhanced_prompt(prompt, motion.name, fields["seed"])
    params = image2video_params(fields, motion, prompt)
    return _accept(state, "image2video", fields["model"], params, sources)


async def ads(request: Request) -> Response:
    """POST /higgsfield/ads: an ad task (a product showcase clip)."""
    if not authorized(request):
        return unauthorized()
    state = _state(request)
    try:
        body = await json_body(request)
        template, width, height = validate_ads(body)
        sources = await decoded_images(image_sources(body))
    except Invalid as invalid:
        return error(invalid.detail, invalid.status)
    params = ads_params(template, width, height, seed=state.tasks.random_seed())
    return _accept(state, "ads", "ads", params, sources[:1])


def _accept(
    state: EmulatorState,
    kind: str,
    model: str,
    params: dict[str, Any],
    sources: list[Image.Image | str],
) -> Response:
    """Charge the call, create the task and start producing its clip; 402 when credits run short."""
    cost = PRICES[model]
    short = state.faults.charge(cost)
    if short is not None:
        return error(f"insufficient credits: this call costs {cost} points, {short} left", 402)
    fate = state.faults.take_fate()
    task = state.tasks.create(
        kind=kind,
        model=model,
        cost=cost,
        params=params,
        images=len(sources),
        outcome=fate.outcome,
        jobs=fate.jobs,
    )
    state.keep(asyncio.create_task(produce(state, task, sources, FIT[kind])))
    return JSONResponse({"id": task.id})


async def feed(request: Request) -> Response:
    """GET /higgsfield/feed/{id}."""
    if not authorized(request):
        return unauthorized()
    task_id = request.path_params["task_id"]
    task = _state(request).tasks.get(task_id)
    if task is None:
        return error(f"task {task_id} not found", 404)
    return JSONResponse(task.feed(_base_url(request)))


def _listing_entry(motion: Motion, base_url: str) -> dict[str, Any]:
    entry = motion.to_json()
    media = (
        dict(entry["media"])
        if isinstance(entry.get("media"), Mapping)
        else {"width": PREVIEW_WIDTH, "height": 200, "type": "animated"}
    )
    media["url"] = f"{base_url}/previews/{motion.id}.webp"
    entry["media"] = media
    if isinstance(entry.get("mix"), list):
        parts = []
        for part in entry["mix"]:
            if isinstance(part, Mapping) and isinstance(part.get("id"), str):
                part = dict(part)
                part_media = dict(part["media"]) if isinstance(part.get("media"), Mapping) else {}
                part_media["url"] = f"{base_url}/previews/{part['id']}.webp"
                part["media"] = part_media
            parts.append(part)
        entry["mix"] = parts
    return entry


async def list_motions(request: Request) -> Response:
    """GET /motions?size=&search=: the catalogue, previews pointing at this server."""
    state = _state(request)
    size_text = request.query_params.get("size", "")
    size: int | None = None
    if size_text:
        if not size_text.isdigit() or int(size_text) < 1:
            return error("size must be a positive integer")
        size = int(size_text)
    found = filter_motions(state.catalogue, request.query_params.get("search") or None)
    base = _base_url(request)
    return JSONResponse([_listing_entry(m, base) for m in found[:size]])


async def files(request: Request) -> Response:
    """GET /files/{id}.mp4 and /files/{id}_min.mp4 (Range requests supported)."""
    name: str = request.path_params["name"]
    if not name.endswith(".mp4"):
        return error("not found", 404)
    stem = name.removesuffix(".mp4")
    reduced = stem.endswith("_min")
    task = _state(request).tasks.get(stem.removesuffix("_min"))
    if task is None:
        return error(f"no video named {name}", 404)
    now = time.time()
    if task.clip is None or not any(task.job_status(job, now) == "completed" for job in task.jobs):
        return error(f"video {name} does not exist yet", 404)  # published only once completed
    completed = task.completed_at
    if completed is not None and _state(request).faults.link_expired(completed, now):
        return error(f"the link to video {name} has expired", 404)  # Faults.expire_links
    return FileResponse(task.clip.min if reduced else task.clip.raw, media_type="video/mp4")


async def previews(request: Request) -> Response:
    """GET /previews/{motion_id}.webp: rendered on first request, then cached."""
    name: str = request.path_params["name"]
    motion_id = name.removesuffix(".webp")
    state = _state(request)
    if not name.endswith(".webp") or not (motion_id in state.by_id or is_motion_id(motion_id)):
        return error(f"no preview named {name}", 404)
    data = await asyncio.wrap_future(state.preview(state.motion(motion_id)))
    return Response(data, media_type="image/webp", headers={"Cache-Control": "public, max-age=3600"})


async def samples(request: Request) -> Response:
    """GET /samples/{name}.jpg: generated sample pictures."""
    name: str = request.path_params["name"]
    stem = name.removesuffix(".jpg")
    if not name.endswith(".jpg") or stem not in SAMPLE_NAMES:
        return error(f"no sample named {name}; samples: {', '.join(n + '.jpg' for n in SAMPLE_NAMES)}", 404)
    data = await run_in_threadpool(sample_jpeg, stem)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


async def inputs(request: Request) -> Response:
    """GET /inputs/{image_id}.jpg: the emulator's stored copy of an input image."""
    name: str = request.path_params["name"]
    path = _state(request).inputs.get(name.removesuffix(".jpg"))
    if path is None or not name.endswith(".jpg"):
        return error(f"no input image named {name} (yet)", 404)
    return FileResponse(path, media_type="image/jpeg")


async def status(request: Request) -> Response:
    """GET /emulator/status: this emulator process (pid, the token of a home's emulator), its tasks
    and requests so far; what the processes sharing a home's emulator check it by."""
    state = _state(request)
    return JSONResponse(
        {
            "service": "hfwidgets emulator",
            "pid": os.getpid(),
            "token": getattr(request.app.state, "token", None),
            "tasks": len(state.tasks),
            "counters": dict(state.counters),
        }
    )


async def index(request: Request) -> Response:
    """GET /: what this server is."""
    base = _base_url(request)
    return JSONResponse(
        {
            "service": "hfwidgets emulator of the Higgsfield video API",
            "base_url": base,
            "motions_url": f"{base}/motions",
            "samples": [f"{base}/samples/{name}.jpg" for name in SAMPLE_NAMES],
        }
    )


def create_app(
    timing: Timing | None = None,
    motions: Sequence[Motion | Mapping[str, Any]] | None = None,
    render: bool = True,
    directory: Path | None = None,
) -> Starlette:
    """The emulator as an ASGI app; `app.state.emulator` is its EmulatorState.

    `motions` replaces the bundled catalogue; `render=False` makes every task reuse one
    small pre-rendered clip (for benchmarks with many tasks). With `directory`, the tasks
    and their files are kept there and loaded from there (see EmulatorState); clips an
    earlier emulator did not finish are made when the app starts.
    """
    state = EmulatorState(timing, motions, render, directory)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for task in state.tasks.unrendered():
            state.keep(asyncio.create_task(produce_again(state, task)))
        yield
        await state.aclose_fetcher()
        state.close()

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/emulator/status", status, methods=["GET"]),
            Route("/higgsfield/generate", generate, methods=["POST"]),
            Route("/higgsfield/ads", ads, methods=["POST"]),
            Route("/higgsfield/feed/{task_id}", feed, methods=["GET"]),
            Route("/motions", list_motions, methods=["GET"]),
            Route("/files/{name}", files, methods=["GET", "HEAD"]),
            Route("/previews/{name}", previews, methods=["GET"]),
            Route("/samples/{name}", samples, methods=["GET"]),
            Route("/inputs/{name}", inputs, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.emulator = state
    app.add_middleware(FaultInjector, faults=state.faults, count=state.counters.increment)
    return app
