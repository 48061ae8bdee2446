"""Requests: `GenerateRequest` and `AdsRequest`, validated once, and the JSON bodies built from them.

A request object is frozen and valid by construction: its constructor is the one
place the parameters of a submission are checked, and it raises a
`ValidationError` naming the field, the value given and what is allowed.
`Client.generate`/`Client.ads`, `hfwidgets.run`, the widgets and copy-as-code
all build one, so a value refused anywhere is refused with the same message,
before anything is sent. Nothing here does I/O: images stay as given (a path,
URL, bytes, PIL image, array...) until the client loads them.

`build_generate_body`/`build_ads_body` check the wire body (images by then are
URLs or data: URLs); the property tests drive them with arbitrary values.

The options and their rules are declared once in `_options` (`GENERATE_OPTIONS`,
`ADS_OPTIONS`): a request is its image(s) plus those options, checked by
`check_options`. Here, besides: `image` holds 1 or 2 images (first and last
frame); ads take 1..`MAX_ADS_IMAGES`. Each is an http(s) URL or a
`data:image/...;base64,` URL once prepared.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import os
import re
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ._catalog import is_motion_id
from ._errors import ValidationError
from ._models import SEED_MAX, SEED_MIN, Motion, Task
from ._options import (
    ADS_OPTIONS,
    DEFAULT_AD_SIZE,
    GENERATE_OPTIONS,
    MAX_PROMPT_CHARS,
    SIDE_MULTIPLE,
    GenerateOptions,
    Unpack,
    check_enhance_prompt,
    check_model,
    check_options,
    check_prompt,
    check_seed,
    check_side,
    check_size,
    check_template_id,
    parse_size,
    spell_out_options,
)

__all__ = [
    "DEFAULT_AD_SIZE",
    "MAX_ADS_IMAGES",
    "MAX_PROMPT_CHARS",
    "SIDE_MULTIPLE",
    "AdsRequest",
    "GenerateRequest",
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

MAX_ADS_IMAGES = 4
"""Most reference images sent with one ad task."""

_DATA_IMAGE = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,(?=.)", re.ASCII)


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


# --------------------------------------------------------------------------- request objects


@dataclass(frozen=True, init=False, repr=False)
class GenerateRequest:
    """An image-to-video submission, validated: what `Client.generate` sends.

    >>> request = GenerateRequest("cat.jpg", "Face Punch", "the cat eats", seed=7)
    >>> request.image, request.motion.name, request.model, request.size
    (('cat.jpg',), 'Face Punch', 'lite', None)

    Built with the same arguments as `Client.generate`; every field is checked
    here and a `ValidationError` names the first bad one. `image` is kept as given
    (one image, or a first and last frame) and loaded only when submitted.
    `seed=None` means a seed is drawn at submission; `width`/`height` None means
    the size preset closest to the first image's aspect ratio. A request is
    frozen: `dataclasses.replace(request, seed=8)` makes a new, re-validated one.
    """

    image: tuple[Any, ...]
    """One image, or two (first and last frame)."""
    motion: Motion
    prompt: str
    model: str
    seed: int | None
    width: int | None
    height: int | None
    enhance_prompt: bool

    @spell_out_options
    def __init__(
        self, image: Any, motion: Motion | str, prompt: str = "", **options: Unpack[GenerateOptions]
    ) -> None:
        images = tuple(image_inputs(image))
        checked = check_options({"motion": motion, "prompt": prompt, **options})
        object.__setattr__(self, "image", images)
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def options(self) -> dict[str, Any]:
        """Every option (`GENERATE_OPTIONS`) by name: all of the request but its image."""
        return {option.name: getattr(self, option.name) for option in GENERATE_OPTIONS}

    @classmethod
    def from_args(
        cls,
        image: Any,
        motion: Motion | str | None = None,
        prompt: str = "",
        **options: Unpack[GenerateOptions],
    ) -> GenerateRequest:
        """The request `image` already is, or one built from the arguments of the constructor.

        What `Client.generate` and `run` do with their arguments: they take either
        a ready GenerateRequest alone, or the fields of one.
        """
        if isinstance(image, GenerateRequest):
            _only_the_request(cls, {"motion": motion, "prompt": prompt, **options})
            return image
        if motion is None:
            raise ValidationError("motion", None, "a Motion, a motion id (uuid) or a motion name")
        return cls(image, motion, prompt, **options)

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height), or None when it is chosen from the first image at submission."""
        if self.width is None or self.height is None:
            return None
        return self.width, self.height

    def to_body(self, image_values: Sequence[str]) -> dict[str, Any]:
        """The JSON body of `POST /higgsfield/generate`, with the images as prepared URLs.

        Seed and size must be set by then (the client draws and sizes them first).
        """
        if self.seed is None:
            raise ValidationError(
                "seed", None, f"an int from {SEED_MIN} to {SEED_MAX} (drawn before sending)"
            )
        if self.width is None or self.height is None:
            raise ValidationError("width", None, "width and height in pixels (sized before sending)")
        return build_generate_body(
            images=image_values,
            motion_id=self.motion.id,
            prompt=self.prompt,
            model=self.model,
            seed=self.seed,
            width=self.width,
            height=self.height,
            enhance_prompt=self.enhance_prompt,
        )

    def to_task(self, task_id: str, cost: int) -> Task:
        """The Task the service accepted for this request (seed and size set, as sent)."""
        return Task(id=task_id, kind="image2video", cost=cost, **self.options)

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}" if self.size else "auto"
        return (
            f"GenerateRequest(image={_describe_images(self.image)}, motion={self.motion.name!r}, "
            f"model={self.model!r}, seed={self.seed}, size={size}, prompt={_SHORT.repr(self.prompt)}, "
            f"enhance_prompt={self.enhance_prompt})"
        )


@dataclass(frozen=True, init=False, repr=False)
class AdsRequest:
    """An ad (product placement) submission, validated: what `Client.ads` sends.

    >>> AdsRequest("bottle.png", "3hpZ2HB0xS688KnzMIwU16", size=" 1024 X 768 ")
    AdsRequest(image='bottle.png', template_id='3hpZ2HB0xS688KnzMIwU16', size='1024x768')

    `image` holds 1 to `MAX_ADS_IMAGES` product images, kept as given; `size` is
    normalised to "WxH".
    """

    image: tuple[Any, ...]
    template_id: str
    size: str

    def __init__(self, image: Any, template_id: str, *, size: str = DEFAULT_AD_SIZE) -> None:
        images = tuple(image_inputs(image, most=MAX_ADS_IMAGES))
        checked = check_options({"template_id": template_id, "size": size}, ADS_OPTIONS)
        object.__setattr__(self, "image", images)
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_args(cls, image: Any, template_id: str | None = None, **options: Any) -> AdsRequest:
        """The request `image` already is, or one built from the arguments of the constructor."""
        if isinstance(image, AdsRequest):
            _only_the_request(cls, {"template_id": template_id, **options})
            return image
        if template_id is None:
            raise ValidationError("template_id", None, "an ad template id, e.g. '3hpZ2HB0xS688KnzMIwU16'")
        return cls(image, template_id, **options)

    @property
    def width(self) -> int:
        return parse_size(self.size)[0]

    @property
    def height(self) -> int:
        return parse_size(self.size)[1]

    def to_body(self, image_values: Sequence[str]) -> dict[str, Any]:
        """The JSON body of `POST /higgsfield/ads`, with the images as prepared URLs."""
        return build_ads_body(images=image_values, template_id=self.template_id, size=self.size)

    def to_task(self, task_id: str, cost: int) -> Task:
        """The Task the service accepted for this request."""
        return Task(
            id=task_id,
            kind="ads",
            cost=cost,
            template_id=self.template_id,
            size=self.size,
            width=self.width,
            height=self.height,
        )

    def __repr__(self) -> str:
        return (
            f"AdsRequest(image={_describe_images(self.image)}, template_id={self.template_id!r}, "
            f"size={self.size!r})"
        )


def _only_the_request(cls: type, arguments: dict[str, Any]) -> None:
    """Refuse arguments given beside a ready request (they would be silently ignored otherwise)."""
    defaults = inspect.signature(cls).parameters
    for name, value in arguments.items():
        default = defaults[name].default if name in defaults else None
        if value is not None and value != default:
            raise ValidationError(
                name, value, f"nothing besides a {cls.__name__}: use dataclasses.replace(request, ...)"
            )


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def _describe_images(images: tuple[Any, ...]) -> str:
    """Images as a repr shows them: file names and URLs (shortened), other inputs by type; never bytes."""
    shown = [_describe_image(item) for item in images]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def _describe_image(item: Any) -> str:
    if isinstance(item, str):
        if item.startswith("data:"):
            return f"<data URL, {len(item)} chars>"
        return _SHORT.repr(item)
    if isinstance(item, os.PathLike):
        return _SHORT.repr(os.fspath(item))
    return f"<{type(item).__name__}>"


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
