"""Copy as code: the Python call that reproduces a widget's current settings.

The settings are validated with the same `_requests` checks the client applies,
so the code shown is code the client accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .._models import Motion
from .._requests import check_enhance_prompt, check_model, check_prompt, check_seed, check_side
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
    if not image_sources:
        from .._errors import ValidationError

        raise ValidationError("image", [], "1 or 2 images (first and last frame)")
    image = repr(image_sources[0]) if len(image_sources) == 1 else repr(list(image_sources))
    seed = check_seed(values.seed)
    arguments = [
        f"    {image},",
        f"    motion={motion.id!r},  # {_one_line(motion.name)}",
        f"    prompt={check_prompt(values.prompt)!r},",
        f"    model={check_model(values.model)!r},",
        f"    seed={seed},",
        f"    width={check_side('width', values.width)},",
        f"    height={check_side('height', values.height)},",
        f"    enhance_prompt={check_enhance_prompt(values.enhance_prompt)!r},",
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
    raise ValueError(f"style={style!r} is not allowed: 'run' or 'async'")


def _one_line(text: str) -> str:
    """A motion name made safe for a trailing comment."""
    return " ".join(text.split())
