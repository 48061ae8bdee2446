"""Copy as code: the Python call that reproduces a widget's current settings.

The settings go through the same `GenerateRequest` the client builds, so the
code shown is code the client accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .._errors import ValidationError
from .._models import Motion
from .._requests import GenerateRequest, check_seed
from ._controls import ControlValues

__all__ = ["CodeStyle", "generate_code"]

CodeStyle = Literal["run", "async"]
"""`"run"`: the blocking `hfwidgets.run(...)`; `"async"`: `await client.generate(...)` then `wait`."""


def generate_code(
    image_sources: Sequence[str], motion: Motion, values: ControlValues, *, style: CodeStyle = "run"
) -> str:
    """Python source of the call that makes the same video.

    Images appear as the uploaded file's name or the URL given; the motion by its
    id, with its name in a comment (ids are stable, names are not unique).
    """
    request = GenerateRequest(
        list(image_sources),
        motion,
        values.prompt,
        model=values.model,
        seed=check_seed(values.seed),  # the code repeats this very video: its seed is part of it
        width=values.width,
        height=values.height,
        enhance_prompt=values.enhance_prompt,
    )
    image = repr(request.image[0]) if len(request.image) == 1 else repr(list(request.image))
    arguments = [
        f"    {image},",
        f"    motion={request.motion.id!r},  # {_one_line(request.motion.name)}",
        f"    prompt={request.prompt!r},",
        f"    model={request.model!r},",
        f"    seed={request.seed},",
        f"    width={request.width},",
        f"    height={request.height},",
        f"    enhance_prompt={request.enhance_prompt!r},",
    ]
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


def _one_line(text: str) -> str:
    """A motion name made safe for a trailing comment."""
    return " ".join(text.split())
