"""Copy as code: the Python call that reproduces a widget's current settings.

The settings go through the same `GenerateRequest` the client builds, so the
code shown is code the client accepts; its arguments are the request's options
(`_options.GENERATE_OPTIONS`), each as the request holds it. An image that came from the
browser (or from memory) is saved once, content-addressed, next to the notebook
(`hfwidgets-inputs/<sha256-prefix>.<ext>` under the kernel's working directory),
and the code names that path, so it runs again from the notebook's folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from .._errors import ValidationError
from .._images import LoadedImage
from .._models import Motion
from .._options import GENERATE_OPTIONS, RequestOption
from .._requests import GenerateRequest, check_seed
from ._controls import ControlValues

__all__ = ["INPUTS_FOLDER", "CodeStyle", "generate_code", "save_input"]

CodeStyle = Literal["run", "async"]
"""`"run"`: the blocking `hfwidgets.run(...)`; `"async"`: `await client.generate(...)` then `wait`."""

INPUTS_FOLDER = "hfwidgets-inputs"
"""Where copy-as-code saves images that exist only in memory, under the kernel's working directory."""

_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tiff"}
_DIGEST_CHARS = 16


def save_input(image: LoadedImage, folder: str | os.PathLike[str] | None = None) -> str:
    """Save an image's bytes once under `folder` (default ./hfwidgets-inputs) named by their sha256;
    returns the path to put in code (relative when under the working directory)."""
    data = image.encoded
    extension = _EXTENSIONS.get((image.format or "").upper())
    if data is None or extension is None:
        if image.pixels is None:
            raise ValidationError("image", repr(image), "an image with bytes or pixels to save")
        buffer = io.BytesIO()
        image.pixels.save(buffer, "PNG")
        data, extension = buffer.getvalue(), "png"
    base = Path(folder) if folder is not None else Path.cwd() / INPUTS_FOLDER
    target = base / f"{hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]}.{extension}"
    if not target.exists():
        base.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(target)
    try:
        return target.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(target)


def generate_code(
    image_sources: Sequence[str], motion: Motion, values: ControlValues, *, style: CodeStyle = "run"
) -> str:
    """Python source of the call that makes the same video.

    Images appear as the path or URL given; the motion by its id, with its name in
    a comment (ids are stable, names are not unique).
    """
    options = {**dataclasses.asdict(values), "motion": motion}
    # The code repeats this very video: its seed is part of it.
    request = GenerateRequest(list(image_sources), **{**options, "seed": check_seed(values.seed)})
    image = repr(request.image[0]) if len(request.image) == 1 else repr(list(request.image))
    arguments = [f"    {image},", *(_argument(option, request) for option in GENERATE_OPTIONS)]
    body = "\n".join(arguments)
    if style == "run":
        return f"import hfwidgets\n\nfeed = hfwidgets.run(\n{body}\n)\nfeed.video_url\n"
    if style == "async":
        return (
            "import hfwidgets\n\n"
            "client = hfwidgets.Client()  # the key comes from OPENAI_HK_API_KEY\n"
            f"task = await client.generate(\n{body}\n)\n"
            "feed = await client.wait(task)\n"
            "feed.video_url\n"
        )
    raise ValidationError("style", style, "'run' or 'async'")


def _argument(option: RequestOption, request: GenerateRequest) -> str:
    """One keyword argument of the call: the option's value as the request holds it."""
    value = getattr(request, option.name)
    if isinstance(value, Motion):
        return f"    {option.name}={value.id!r},  # {_one_line(value.name)}"
    return f"    {option.name}={value!r},"


def _one_line(text: str) -> str:
    """A motion name made safe for a trailing comment."""
    return " ".join(text.split())
