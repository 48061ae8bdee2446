"""Pure request building and validation: every field is checked before anything is sent.

The functions here do no I/O. The client, the widgets and the property tests all
use them, so a value refused here is refused everywhere with the same message:
a `ValidationError` naming the field, the value given and what is allowed.

Local rules (the service documents fewer; these keep requests inside what it is
known to accept):

- `model` is one of `MODELS` ("lite", "turbo", "standard").
- `seed` is an int (not a bool) in `SEED_MIN..SEED_MAX` (1..1000000).
- `width`/`height` are ints in `MIN_SIDE..MAX_SIDE` (64..2048) and multiples of 8
  (video encoders work on 8-pixel blocks; every size the provider shows is one).
- `prompt` is a str of at most `MAX_PROMPT_CHARS` characters.
- `enhance_prompt` is a bool.
- `image` holds 1 or 2 images (first and last frame); ads take 1..`MAX_ADS_IMAGES`.
  Each is an http(s) URL or a `data:image/...;base64,` URL once prepared.
- the ad template id is a non-empty string without whitespace or slashes.
- the ad `size` is "WxH" with both sides following the width/height rule.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from ._catalog import is_motion_id
from ._errors import ValidationError
from ._models import MAX_SIDE, MIN_SIDE, MODELS, SEED_MAX, SEED_MIN

__all__ = [
    "MAX_ADS_IMAGES",
    "MAX_PROMPT_CHARS",
    "SIDE_MULTIPLE",
    "build_ads_body",
    "build_generate_body",
    "check_enhance_prompt",
    "check_image_values",
    "check_model",
    "check_prompt",
    "check_seed",
    "check_side",
    "check_size",
    "check_template_id",
    "image_inputs",
    "parse_size",
]

MAX_PROMPT_CHARS = 2000
"""Longest prompt accepted locally (the enhanced prompts the service writes stay well below)."""

SIDE_MULTIPLE = 8
"""Video width and height must be multiples of this."""

MAX_ADS_IMAGES = 4
"""Most reference images sent with one ad task."""

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_TEMPLATE_ID = re.compile(r"^[^\s/?#]+$")
_DATA_IMAGE = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,(?=.)", re.ASCII)


def check_model(model: Any) -> str:
    """The model name, or ValidationError."""
    if not isinstance(model, str) or model not in MODELS:
        raise ValidationError("model", model, f"one of {', '.join(map(repr, MODELS))}")
    return model


def check_seed(seed: Any) -> int:
    """The seed, or ValidationError: an int (not a bool) in 1..1000000."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not SEED_MIN <= seed <= SEED_MAX:
        raise ValidationError("seed", seed, f"an int from {SEED_MIN} to {SEED_MAX}")
    return seed


def check_side(field: str, value: Any) -> int:
    """A video width or height, or ValidationError."""
    allowed = f"an int from {MIN_SIDE} to {MAX_SIDE}, a multiple of {SIDE_MULTIPLE}"
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SIDE <= value <= MAX_SIDE:
        raise ValidationError(field, value, allowed)
    if value % SIDE_MULTIPLE:
        lower = value - value % SIDE_MULTIPLE
        raise ValidationError(field, value, allowed, hint=f"try {lower} or {lower + SIDE_MULTIPLE}")
    return value


def check_prompt(prompt: Any) -> str:
    """The prompt, or ValidationError: a str of at most MAX_PROMPT_CHARS characters."""
    if not isinstance(prompt, str):
        raise ValidationError("prompt", prompt, "a str (may be empty)")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "prompt", prompt, "text that is valid Unicode (no unpaired surrogate characters)"
        ) from None
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValidationError("prompt", prompt, f"at most {MAX_PROMPT_CHARS} characters (got {len(prompt)})")
    return prompt


def check_enhance_prompt(enhance_prompt: Any) -> bool:
    """The enhance_prompt flag, or ValidationError: True or False."""
    if not isinstance(enhance_prompt, bool):
        raise ValidationError("enhance_prompt", enhance_prompt, "True or False")
    return enhance_prompt


def check_template_id(template_id: Any) -> str:
    """An ad template id, or ValidationError: a non-empty string without spaces or slashes."""
    if not isinstance(template_id, str) or not _TEMPLATE_ID.match(template_id):
        raise ValidationError(
            "template_id",
            template_id,
            "a non-empty ad template id without spaces or slashes, e.g. '3hpZ2HB0xS688KnzMIwU16'",
        )
    return template_id


def parse_size(size: Any) -> tuple[int, int]:
    """An ad size "WxH" as (width, height), or ValidationError."""
    match = _SIZE.match(size) if isinstance(size, str) else None
    if match is None:
        raise ValidationError("size", size, 'a size "WxH" such as "1024x1024"')
    allowed = f'"WxH" with sides from {MIN_SIDE} to {MAX_SIDE}, multiples of {SIDE_MULTIPLE}'
    width, height = int(match.group(1)), int(match.group(2))
    for side in (width, height):
        if not MIN_SIDE <= side <= MAX_SIDE or side % SIDE_MULTIPLE:
            raise ValidationError("size", size, allowed)
    return width, height


def check_size(size: Any) -> str:
    """The ad size normalised to "WxH", or ValidationError."""
    width, height = parse_size(size)
    return f"{width}x{height}"


def image_inputs(image: Any, *, most: int = 2) -> list[Any]:
    """Split the `image` argument into its inputs: one input, or a list/tuple of 1..`most`.

    Only lists and tuples count as several images (a numpy array or bytes is one image).
    """
    if image is None:
        raise ValidationError("image", image, "an image (path, URL, bytes, PIL image or array)")
    if isinstance(image, (list, tuple)):
        items = list(image)
        if not 1 <= len(items) <= most:
            allowed = "1 or 2 images (first and last frame)" if most == 2 else f"1 to {most} images"
            raise ValidationError("image", _describe_list(items), allowed)
        for index, item in enumerate(items):
            if item is None:
                raise ValidationError(f"image[{index}]", item, "an image, not None")
        return items
    return [image]


def check_image_values(values: Any, *, most: int = 2) -> list[str]:
    """The `image` list of a request body: 1..`most` http(s) or data:image URLs."""
    if not isinstance(values, (list, tuple)) or not 1 <= len(values) <= most:
        shown = _describe_list(list(values)) if isinstance(values, (list, tuple)) else values
        raise ValidationError("image", shown, f"a list of 1 to {most} image URLs")
    out = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not _is_image_value(value):
            raise ValidationError(f"image[{index}]", value, "an http(s) URL or a data:image/...;base64, URL")
        out.append(value)
    return out


def build_generate_body(
    *,
    images: Sequence[str],
    motion_id: str,
    prompt: str = "",
    model: str = "lite",
    seed: int,
    width: int,
    height: int,
    enhance_prompt: bool = True,
) -> dict[str, Any]:
    """The JSON body of `POST /higgsfield/generate`, every field checked."""
    if not isinstance(motion_id, str) or not is_motion_id(motion_id):
        raise ValidationError(
            "motion", motion_id, "a motion id (a uuid such as 'cd5bfd11-5a1a-46e0-9294-b22b0b733b1e')"
        )
    return {
        "model": check_model(model),
        "motion_id": motion_id,
        "prompt": check_prompt(prompt),
        "enhance_prompt": check_enhance_prompt(enhance_prompt),
        "seed": check_seed(seed),
        "width": check_side("width", width),
        "height": check_side("height", height),
        "image": check_image_values(images),
    }


def build_ads_body(*, images: Sequence[str], template_id: str, size: str = "1024x1024") -> dict[str, Any]:
    """The JSON body of `POST /higgsfield/ads`, every field checked."""
    return {
        "product_placement_sample_id": check_template_id(template_id),
        "image": check_image_values(images, most=MAX_ADS_IMAGES),
        "size": check_size(size),
    }


def _is_image_value(value: str) -> bool:
    """An http(s) URL with a host (no whitespace), or a data:image/...;base64, URL with a base64 payload."""
    if _DATA_IMAGE.match(value):
        try:
            base64.b64decode(value.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            return False
        return True
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _describe_list(items: list[Any]) -> str:
    """A short stand-in for a list of images in an error (never their bytes)."""
    kinds = ", ".join(type(item).__name__ for item in items[:5])
    more = ", ..." if len(items) > 5 else ""
    return f"{len(items)} images [{kinds}{more}]"
