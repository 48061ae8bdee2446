"""Checks on what clients send the emulator, answered the way the service answers.

Errors are JSON: {"detail": "<message naming the field>"}, 400 for a body that is
not JSON, 422 for a field the service refuses, 401 without a bearer token.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from .._catalog import is_motion_id
from .._models import MAX_VIDEO_SIDE, MIN_VIDEO_SIDE, MODELS, SEED_MAX, SEED_MIN, SIZE_PRESETS
from ._tasks import TaskStore

__all__ = [
    "Invalid",
    "authorized",
    "decoded_images",
    "error",
    "image_sources",
    "json_body",
    "unauthorized",
    "validate_ads",
    "validate_generate",
]

MAX_DATA_URL = 30_000_000  # characters; a data: URL beyond this is refused

_DATA_URL = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,", re.ASCII)
_BEARER = re.compile(r"^bearer\s+\S+", re.IGNORECASE | re.ASCII)
_SIZE = re.compile(r"(\d{1,5})x(\d{1,5})")


class Invalid(Exception):
    """A request the service would refuse: `detail` names the field, `status` is 400 or 422."""

    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


def error(detail: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def authorized(request: Request) -> bool:
    return bool(_BEARER.match(request.headers.get("authorization", "")))


def unauthorized() -> JSONResponse:
    return error("missing or malformed Authorization header: expected 'Bearer <key>'", 401)


MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body read: two images of the largest size fit well within it."""


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 413 past MAX_BODY_BYTES (before reading it all), 400 when not JSON."""
    too_large = Invalid(f"request body over {MAX_BODY_BYTES // (1024 * 1024)} MB", 413)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except RecursionError as exc:  # "[" * 100000: a client error, not a server one
        raise Invalid("body is nested too deeply to be a request", 400) from exc
    except ValueError as exc:
        raise Invalid("body is not valid JSON", 400) from exc
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object", 400)
    return body


def _integer(body: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{name} must be an integer in {low}..{high}")
    return value


def image_sources(body: Mapping[str, Any]) -> list[str]:
    images = body.get("image")
    if not isinstance(images, list) or not 1 <= len(images) <= 2:
        raise Invalid("image must be a list of 1 or 2 images (http(s) URLs or data:image/...;base64 URLs)")
    for index, item in enumerate(images):
        if not isinstance(item, str):
            raise Invalid(f"image[{index}] must be a string")
        if _DATA_URL.match(item):
            if len(item) > MAX_DATA_URL:
                raise Invalid(f"image[{index}] is too large: at most {MAX_DATA_URL} characters")
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(f"image[{index}] must be an http(s) URL or a data:image/...;base64,... URL")
    return list(images)


def _decode_data_url(index: int, source: str) -> Image.Image:
    try:
        raw = base64.b64decode(source.split(",", 1)[1], validate=True)
        picture = Image.open(io.BytesIO(raw))
        picture.load()
        return picture.convert("RGB")
    except (binascii.Error, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid(f"image[{index}] is not a decodable base64 image") from exc


async def decoded_images(sources: list[str]) -> list[Image.Image | str]:
    """Data URLs decoded (a bad one is refused now); http(s) URLs kept, fetched later."""
    out: list[Image.Image | str] = []
    for index, source in enumerate(sources):
        out.append(
            await run_in_threadpool(_decode_data_url, index, source) if _DATA_URL.match(source) else source
        )
    return out


def validate_generate(body: Mapping[str, Any], store: TaskStore) -> dict[str, Any]:
    model = body.get("model")
    if model not in MODELS:
        raise Invalid(f"model must be one of {', '.join(sorted(MODELS))}")
    motion_id = body.get("motion_id")
    if not isinstance(motion_id, str) or not is_motion_id(motion_id):
        raise Invalid("motion_id must be a uuid string")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise Invalid("prompt must be a string")
    enhance = body.get("enhance_prompt", True)
    if not isinstance(enhance, bool):
        raise Invalid("enhance_prompt must be a boolean")
    seed = _integer(body, "seed", SEED_MIN, SEED_MAX) if "seed" in body else store.random_seed()
    if ("width" in body) != ("height" in body):
        raise Invalid("width and height must be given together")
    width, height = SIZE_PRESETS["9:16"]
    if "width" in body:
        width = _integer(body, "width", MIN_VIDEO_SIDE, MAX_VIDEO_SIDE)
        height = _integer(body, "height", MIN_VIDEO_SIDE, MAX_VIDEO_SIDE)
    return {
        "model": model,
        "motion_id": motion_id.lower(),
        "prompt": prompt,
        "enhance_prompt": enhance,
        "seed": seed,
        "width": width,
        "height": height,
    }


def validate_ads(body: Mapping[str, Any]) -> tuple[str, int, int]:
    template = body.get("product_placement_sample_id")
    if not isinstance(template, str) or not template.strip():
        raise Invalid("product_placement_sample_id must be a non-empty string")
    size = body.get("size", "1024x1024")
    match = _SIZE.fullmatch(size) if isinstance(size, str) else None
    if match is None:
        raise Invalid('size must be a string like "1024x1024"')
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_VIDEO_SIDE <= width <= MAX_VIDEO_SIDE and MIN_VIDEO_SIDE <= height <= MAX_VIDEO_SIDE):
        raise Invalid(f"size must have each side in {MIN_VIDEO_SIDE}..{MAX_VIDEO_SIDE}")
    return template, width, height
