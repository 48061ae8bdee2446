"""The Starlette application: routes, request validation, fault injection, file serving.

Routes (the API ones need `Authorization: Bearer <anything>`):

    POST /higgsfield/generate        -> {"id"}
    POST /higgsfield/ads             -> {"id"}
    GET  /higgsfield/feed/{id}       -> feed JSON shaped like the provider's
    GET  /motions?size=&search=      -> motion listing (no key), previews served here
    GET  /files/{id}.mp4, /files/{id}_min.mp4    rendered clips (Range requests work)
    GET  /previews/{motion_id}.webp  animated WebP preview, rendered on first request
    GET  /samples/{name}.jpg         generated sample pictures (portrait, landscape, cat, product)
    GET  /inputs/{image_id}.jpg      the emulator's copy of a task's input image

Errors are JSON: {"detail": "<message naming the field>"}, 400 for a body that is
not JSON, 422 for a field the service refuses, 401 without a bearer token, 402
when credits run out, 404 for an unknown task.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import io
import logging
import math
import re
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._catalog import bundled_motions, filter_motions, is_motion_id, resolve_motion
from .._models import MAX_SIDE, MIN_SIDE, MODELS, PRICES, SEED_MAX, SEED_MIN, SIZE_PRESETS, Motion
from ._faults import ENDPOINTS, Fault, Faults
from ._imagery import SAMPLE_NAMES, placeholder_image, preview_webp, sample_image, sample_jpeg
from ._render import recipe_for, render_clip
from ._tasks import ClipFiles, TaskState, TaskStore, Timing, enhanced_prompt

__all__ = ["ConnectionDropped", "Counters", "EmulatorState", "create_app"]

FETCH_TIMEOUT = 2.0  # seconds to fetch an input image given by URL
MAX_DATA_URL = 30_000_000  # characters; a data: URL beyond this is refused
PREVIEW_WIDTH = 320
PREVIEW_FRAMES = 14
SHARED_CLIP_SIZE = (128, 224)  # the one clip every task reuses when render=False

_DATA_URL = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,", re.ASCII)
_BEARER = re.compile(r"^bearer\s+\S+", re.IGNORECASE | re.ASCII)
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")

log = logging.getLogger("hfwidgets.emulator")


class ConnectionDropped(Exception):
    """Raised on purpose to make the server abort a connection mid-answer (a fault knob)."""


class _Invalid(Exception):
    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


class Counters(Mapping[str, int]):
    """Requests seen per endpoint ("generate", "ads", "feed", "motions", "files", "previews",
    "samples", "inputs"), faulted ones included. Also readable as "POST /higgsfield/generate" etc."""

    ALIASES: Mapping[str, str] = {
        "POST /higgsfield/generate": "generate",
        "POST /higgsfield/ads": "ads",
        "GET /higgsfield/feed": "feed",
        "GET /motions": "motions",
    }
    NAMES: tuple[str, ...] = (*ENDPOINTS, "files", "previews", "samples", "inputs", "other")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)

    def increment(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts = dict.fromkeys(self.NAMES, 0)

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[self.ALIASES.get(name, name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)

    def __repr__(self) -> str:
        with self._lock:
            return f"Counters({ {k: v for k, v in self._counts.items() if v} })"


# --------------------------------------------------------------------------- state


class EmulatorState:
    """What one emulator instance holds: tasks, catalogue, knobs, counters, files, render pool."""

    def __init__(
        self, timing: Timing | None, motions: Sequence[Motion | Mapping[str, Any]] | None, render: bool
    ):
        self.timing = timing or Timing()
        self.render = render
        self.faults = Faults()
        self.counters = Counters()
        self.tasks = TaskStore(self.timing)
        self.catalogue: list[Motion] = (
            list(bundled_motions())
            if motions is None
            else [m if isinstance(m, Motion) else Motion.from_json(m) for m in motions]
        )
        self._by_id = {m.id: m for m in self.catalogue}
        self.directory = Path(tempfile.mkdtemp(prefix="hfwidgets-emulator-"))
        (self.directory / "inputs").mkdir()
        self.inputs: dict[str, Path] = {}
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hfwidgets-emulator-render")
        self._previews: dict[str, Future[bytes]] = {}
        self._shared_clip: Future[ClipFiles] | None = None
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()  # request times, for the requests-per-second limit
        self._background: set[asyncio.Task[None]] = set()
        self.closed = False

    def motion(self, motion_id: str) -> Motion:
        """The catalogue's motion (or mix part) with this id; an unknown id gets a default one."""
        known = self._by_id.get(motion_id)
        if known is not None:
            return known
        motion = resolve_motion(motion_id, self.catalogue)
        if motion.name == motion.id:  # not in the catalogue: the default effect applies
            return Motion(id=motion.id, name=f"Motion {motion.id[:8]}")
        return motion

    def preview(self, motion: Motion) -> Future[bytes]:
        """The motion's animated WebP, rendered once in the pool and cached."""
        with self._lock:
            future = self._previews.get(motion.id)
            if future is None:
                width = PREVIEW_WIDTH
                height = 200
                if motion.preview_width > 0 and motion.preview_height > 0:
                    height = round(width * motion.preview_height / motion.preview_width)
                height = min(max(height, 64), 640)
                recipe = recipe_for(motion.name, [(p.name, p.strength) for p in motion.parts])
                future = self.executor.submit(preview_webp, recipe, width, height, PREVIEW_FRAMES)
                self._previews[motion.id] = future
            return future

    def shared_clip(self) -> Future[ClipFiles]:
        """The one small clip all tasks reuse when rendering is off."""
        with self._lock:
            if self._shared_clip is None:
                files = ClipFiles(self.directory / "shared.mp4", self.directory / "shared_min.mp4")
                width, height = SHARED_CLIP_SIZE

                def make() -> ClipFiles:
                    render_clip(
                        [sample_image("portrait")], (("push_in", 1.0),), width, height, files.raw, files.min
                    )
                    return files

                self._shared_clip = self.executor.submit(make)
            return self._shared_clip

    def admit(self) -> float | None:
        """Count a request against the requests-per-second limit; seconds to wait when over it."""
        limit = self.faults.requests_per_second
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= limit:
                return max(0.0, self._recent[0] + 1.0 - now)
            self._recent.append(now)
            return None

    def keep(self, job: asyncio.Task[None]) -> None:
        """Hold a reference to a background job until it ends (asyncio keeps only weak ones)."""
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def close(self) -> None:
        """Stop rendering and delete every file the emulator wrote. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for job in list(self._background):
            job.cancel()
        self.executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __repr__(self) -> str:
        return f"EmulatorState(tasks={len(self.tasks)}, motions={len(self.catalogue)}, render={self.render})"


# --------------------------------------------------------------------------- fault injection


def _endpoint_of(scope: Scope) -> str:
    path: str = scope.get("path", "")
    method: str = scope.get("method", "GET")
    if method == "POST" and path == "/higgsfield/generate":
        return "generate"
    if method == "POST" and path == "/higgsfield/ads":
        return "ads"
    if path.startswith("/higgsfield/feed/"):
        return "feed"
    if path == "/motions":
        return "motions"
    for prefix in ("files", "previews", "samples", "inputs"):
        if path.startswith(f"/{prefix}/"):
            return prefix
    return "other"


class FaultInjector:
    """ASGI middleware: counts requests, then applies the rate limit, delays and queued faults."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = _endpoint_of(scope)
        self.state.counters.increment(endpoint)
        faults = self.state.faults
        if endpoint in ENDPOINTS:
            wait = self.state.admit()
            if wait is not None:
                seconds = str(max(1, math.ceil(wait)))
                body = {"detail": "rate limit exceeded: too many requests per second"}
                await JSONResponse(body, 429, headers={"Retry-After": seconds})(scope, receive, send)
                return
        delay = faults.take_delay(endpoint)
        if delay > 0:
            await asyncio.sleep(delay)
        fault = faults.take(endpoint)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "drop_connection":
            await self._drop(fault, scope, receive, send)
        else:
            await _fault_response(fault)(scope, receive, send)

    async def _drop(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
        body = b'{"id": "a-task-id-that-never-arrives", "detail": "this answer is cut short"}'
        if fault.processed:
            captured: list[Message] = []

            async def capture(message: Message) -> None:
                captured.append(message)

            await self.app(scope, receive, capture)
            start = next(m for m in captured if m["type"] == "http.response.start")
            body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
        else:
            while (await receive()).get("more_body", False):
                pass
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)], "more_body": True})
        raise ConnectionDropped("connection dropped on purpose by a fault knob")


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return JSONResponse({"detail": "rate limited: too many requests"}, 429, headers=headers)
    if fault.kind == "server_error":
        reasons = {
            500: "internal server error",
            502: "bad gateway",
            503: "service unavailable",
            504: "gateway timeout",
        }
        return JSONResponse({"detail": reasons.get(fault.status, "server error")}, fault.status)
    if fault.kind == "html_error":
        page = (
            f"<!DOCTYPE html><html><head><title>{fault.status} Error</title></head>"
            f"<body><center><h1>{fault.status} Error</h1></center><hr><center>nginx</center></body></html>"
        )
        return Response(page, fault.status, media_type="text/html")
    # malformed_json: a 200 whose JSON was cut off
    return Response(b'{"id": "3f6c1e2a-9b7d-4c1e-8f0a-', 200, media_type="application/json")


class DropFilter(logging.Filter):
    """Keeps the server's log free of the tracebacks of connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


# --------------------------------------------------------------------------- validation


def _error(detail: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def _authorized(request: Request) -> bool:
    return bool(_BEARER.match(request.headers.get("authorization", "")))


def _unauthorized() -> JSONResponse:
    return _error("missing or malformed Authorization header: expected 'Bearer <key>'", 401)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _Invalid("body is not valid JSON", 400) from exc
    if not isinstance(body, dict):
        raise _Invalid("body must be a JSON object", 400)
    return body


def _integer(body: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Invalid(f"{name} must be an integer in {low}..{high}")
    return value


def _image_sources(body: Mapping[str, Any]) -> list[str]:
    images = body.get("image")
    if not isinstance(images, list) or not 1 <= len(images) <= 2:
        raise _Invalid("image must be a list of 1 or 2 images (http(s) URLs or data:image/...;base64 URLs)")
    for index, item in enumerate(images):
        if not isinstance(item, str):
            raise _Invalid(f"image[{index}] must be a string")
        if _DATA_URL.match(item):
            if len(item) > MAX_DATA_URL:
                raise _Invalid(f"image[{index}] is too large: at most {MAX_DATA_URL} characters")
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _Invalid(f"image[{index}] must be an http(s) URL or a data:image/...;base64,... URL")
    return list(images)


def _decode_data_url(index: int, source: str) -> Image.Image:
    try:
        raw = base64.b64decode(source.split(",", 1)[1], validate=True)
        picture = Image.open(io.BytesIO(raw))
        picture.load()
        return picture.convert("RGB")
    except (binascii.Error, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _Invalid(f"image[{index}] is not a decodable base64 image") from exc


async def _decoded(sources: list[str]) -> list[Image.Image | str]:
    """Data URLs decoded (a bad one is refused now); http(s) URLs kept, fetched later."""
    out: list[Image.Image | str] = []
    for index, source in enumerate(sources):
        out.append(
            await run_in_threadpool(_decode_data_url, index, source) if _DATA_URL.match(source) else source
        )
    return out


def _validate_generate(body: Mapping[str, Any], store: TaskStore) -> dict[str, Any]:
    model = body.get("model")
    if model not in MODELS:
        raise _Invalid(f"model must be one of {', '.join(sorted(MODELS))}")
    motion_id = body.get("motion_id")
    if not isinstance(motion_id, str) or not is_motion_id(motion_id):
        raise _Invalid("motion_id must be a uuid string")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise _Invalid("prompt must be a string")
    enhance = body.get("enhance_prompt", True)
    if not isinstance(enhance, bool):
        raise _Invalid("enhance_prompt must be a boolean")
    seed = _integer(body, "seed", SEED_MIN, SEED_MAX) if "seed" in body else store.random_seed()
    if ("width" in body) != ("height" in body):
        raise _Invalid("width and height must be given together")
    width, height = SIZE_PRESETS["9:16"]
    if "width" in body:
        width = _integer(body, "width", MIN_SIDE, MAX_SIDE)
        height = _integer(body, "height", MIN_SIDE, MAX_SIDE)
    return {
        "model": model,
        "motion_id": motion_id.lower(),
        "prompt": prompt,
        "enhance_prompt": enhance,
        "seed": seed,
        "width": width,
        "height": height,
    }


def _validate_ads(body: Mapping[str, Any]) -> tuple[str, int, int]:
    template = body.get("product_placement_sample_id")
    if not isinstance(template, str) or not template.strip():
        raise _Invalid("product_placement_sample_id must be a non-empty string")
    size = body.get("size", "1024x1024")
    match = _SIZE.match(size) if isinstance(size, str) else None
    if match is None:
        raise _Invalid('size must be a string like "1024x1024"')
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise _Invalid(f"size must have each side in {MIN_SIDE}..{MAX_SIDE}")
    return template, width, height


# --------------------------------------------------------------------------- producing the clip


async def _fetch_image(url: str) -> Image.Image:
    async def get() -> bytes:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
            response = await client.get(url)
            response.raise_for_status()
            return response.content

    content = await asyncio.wait_for(get(), FETCH_TIMEOUT + 0.5)
    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture.convert("RGB")


async def _produce(state: EmulatorState, task: TaskState, sources: list[Image.Image | str], fit: str) -> None:
    """Fetch the inputs, keep a copy of each, and render the clip in the pool."""
    width, height = int(task.params["width"]), int(task.params["height"])
    loop = asyncio.get_running_loop()
    try:
        pictures: list[Image.Image] = []
        for index, source in enumerate(sources):
            if isinstance(source, str):
                try:
                    source = await _fetch_image(source)
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
            path = state.directory / "inputs" / f"{task.input_ids[index]}.jpg"
            await loop.run_in_executor(state.executor, _save_jpeg, source, path)
            state.inputs[task.input_ids[index]] = path
            pictures.append(source)
        if state.render:
            files = ClipFiles(state.directory / f"{task.id}.mp4", state.directory / f"{task.id}_min.mp4")
            motion_name = str(task.params.get("motion_name") or "")
            motion = state.motion(str(task.params["motion_id"])) if task.params.get("motion_id") else None
            recipe = (
                recipe_for(motion.name, [(p.name, p.strength) for p in motion.parts])
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
        log.exception("rendering task %s failed", task.id)
        task.render_error = f"{type(exc).__name__}: {exc}"


def _save_jpeg(picture: Image.Image, path: Path) -> None:
    picture.convert("RGB").save(path, format="JPEG", quality=90)


# --------------------------------------------------------------------------- routes


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def generate(request: Request) -> Response:
    """POST /higgsfield/generate: validate, charge, create the task, start rendering."""
    if not _authorized(request):
        return _unauthorized()
    state = _state(request)
    try:
        body = await _json_body(request)
        fields = _validate_generate(body, state.tasks)
        sources = await _decoded(_image_sources(body))
    except _Invalid as invalid:
        return _error(invalid.detail, invalid.status)
    cost = PRICES[fields["model"]]
    short = state.faults.charge(cost)
    if short is not None:
        return _error(f"insufficient credits: this call costs {cost} points, {short} left", 402)
    motion = state.motion(fields["motion_id"])
    prompt = fields["prompt"]
    if fields["enhance_prompt"]:
        prompt = enhanced_prompt(prompt, motion.name, fields["seed"])
    params = {
        "prompt": prompt,
        "seed": fields["seed"],
        "steps": 20,
        "guide_scale": 6,
        "frames": 81,
        "width": fields["width"],
        "height": fields["height"],
        "strength": 1,
        "model": fields["model"],
        "motion_id": motion.id,
        "motion_name": motion.name,
        "enhance_prompt": fields["enhance_prompt"],
        "guide_end": 1,
        "is_chain": False,
        "chain_sample": None,
        "product_placement_sample": None,
    }
    fate = state.faults.take_fate()
    task = state.tasks.create(
        kind="image2video",
        duration_kind=fields["model"],
        cost=cost,
        params=params,
        images=len(sources),
        outcome=fate.outcome,
        jobs=fate.jobs,
    )
    state.keep(asyncio.create_task(_produce(state, task, sources, "cover")))
    return JSONResponse({"id": task.id})


async def ads(request: Request) -> Response:
    """POST /higgsfield/ads: an ad task (a product showcase clip)."""
    if not _authorized(request):
        return _unauthorized()
    state = _state(request)
    try:
        body = await _json_body(request)
        template, width, height = _validate_ads(body)
        sources = await _decoded(_image_sources(body))
    except _Invalid as invalid:
        return _error(invalid.detail, invalid.status)
    cost = PRICES["ads"]
    short = state.faults.charge(cost)
    if short is not None:
        return _error(f"insufficient credits: this call costs {cost} points, {short} left", 402)
    params = {
        "prompt": "",
        "seed": state.tasks.random_seed(),
        "steps": 20,
        "guide_scale": 6,
        "frames": 81,
        "width": width,
        "height": height,
        "strength": 1,
        "model": None,
        "motion_id": None,
        "motion": None,
        "enhance_prompt": False,
        "guide_end": 1,
        "is_chain": False,
        "chain_sample": None,
        "product_placement_sample": {"id": template},
        "size": f"{width}x{height}",
    }
    fate = state.faults.take_fate()
    task = state.tasks.create(
        kind="ads",
        duration_kind="ads",
        cost=cost,
        params=params,
        images=len(sources[:1]),
        outcome=fate.outcome,
        jobs=fate.jobs,
    )
    state.keep(asyncio.create_task(_produce(state, task, sources[:1], "contain")))
    return JSONResponse({"id": task.id})


async def feed(request: Request) -> Response:
    """GET /higgsfield/feed/{id}."""
    if not _authorized(request):
        return _unauthorized()
    task_id = request.path_params["task_id"]
    task = _state(request).tasks.get(task_id)
    if task is None:
        return _error(f"task {task_id} not found", 404)
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
            return _error("size must be a positive integer")
        size = int(size_text)
    found = filter_motions(state.catalogue, request.query_params.get("search") or None)
    base = _base_url(request)
    return JSONResponse([_listing_entry(m, base) for m in found[:size]])


async def files(request: Request) -> Response:
    """GET /files/{id}.mp4 and /files/{id}_min.mp4 (Range requests supported)."""
    name: str = request.path_params["name"]
    if not name.endswith(".mp4"):
        return _error("not found", 404)
    stem = name.removesuffix(".mp4")
    reduced = stem.endswith("_min")
    task = _state(request).tasks.get(stem.removesuffix("_min"))
    if task is None:
        return _error(f"no video named {name}", 404)
    now = time.time()
    if task.clip is None or not any(task.job_status(job, now) == "completed" for job in task.jobs):
        return _error(f"video {name} does not exist yet", 404)  # published only once completed
    return FileResponse(task.clip.min if reduced else task.clip.raw, media_type="video/mp4")


async def previews(request: Request) -> Response:
    """GET /previews/{motion_id}.webp: rendered on first request, then cached."""
    name: str = request.path_params["name"]
    motion_id = name.removesuffix(".webp")
    state = _state(request)
    if not name.endswith(".webp") or not (motion_id in state._by_id or is_motion_id(motion_id)):
        return _error(f"no preview named {name}", 404)
    data = await asyncio.wrap_future(state.preview(state.motion(motion_id)))
    return Response(data, media_type="image/webp", headers={"Cache-Control": "public, max-age=3600"})


async def samples(request: Request) -> Response:
    """GET /samples/{name}.jpg: generated sample pictures."""
    name: str = request.path_params["name"]
    stem = name.removesuffix(".jpg")
    if not name.endswith(".jpg") or stem not in SAMPLE_NAMES:
        return _error(f"no sample named {name}; samples: {', '.join(n + '.jpg' for n in SAMPLE_NAMES)}", 404)
    data = await run_in_threadpool(sample_jpeg, stem)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


async def inputs(request: Request) -> Response:
    """GET /inputs/{image_id}.jpg: the emulator's stored copy of an input image."""
    name: str = request.path_params["name"]
    path = _state(request).inputs.get(name.removesuffix(".jpg"))
    if path is None or not name.endswith(".jpg"):
        return _error(f"no input image named {name} (yet)", 404)
    return FileResponse(path, media_type="image/jpeg")


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
) -> Starlette:
    """The emulator as an ASGI app; `app.state.emulator` is its EmulatorState.

    `motions` replaces the bundled catalogue; `render=False` makes every task reuse one
    small pre-rendered clip (for benchmarks with many tasks).
    """
    state = EmulatorState(timing, motions, render)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
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
    app.add_middleware(FaultInjector, state=state)
    return app
