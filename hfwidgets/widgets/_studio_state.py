"""The Studio's synced state: the traits its view reads and sets, and nothing else.

As in jupyter-scatter, the widget model (traits) is apart from what a user calls: `Studio`
(`_studio`) is the user API over this state; its collaborators (`_studio_settings` for the
controls, `_studio_history` for the History and resumed tasks) change it.
"""

from __future__ import annotations

import traitlets

from .._models import SIZE_PRESETS, Feed
from .._options import generate_option
from ._assets import compose_css, compose_esm
from ._compare import CompareChoice
from ._controls import OptionTrait
from ._motion_grid import MotionChoice
from ._submitting import SubmittingWidget

__all__ = ["StudioState"]


class StudioState(SubmittingWidget, MotionChoice, CompareChoice):
    """The synced traits of a Studio (its motion grid's come from `MotionChoice`, the button's
    `busy` from `SubmittingWidget`, the comparison's from `CompareChoice`)."""

    _esm = compose_esm("grid.js", "sketch.js", "frames.js", "result.js", "compare.js", "studio.js")
    _css = compose_css("grid.css", "sketch.css", "frames.css", "result.css", "studio.css", "compare.css")

    frames = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The image slots (first, last frame): name, source, detail, preview ref, url."""
    model = OptionTrait(generate_option("model"), "lite").tag(sync=True)
    """The model of the next Generate."""
    seed = OptionTrait(generate_option("seed"), 1).tag(sync=True)
    """The seed shown; setting it turns `keep_seed` on."""
    keep_seed = traitlets.Bool(False).tag(sync=True)
    """Keep the shown seed for every Generate (off: a new seed is drawn for each)."""
    size = traitlets.Unicode("9:16").tag(sync=True)
    """The size preset ("custom" when width and height match none)."""
    width = OptionTrait(generate_option("width"), SIZE_PRESETS["9:16"][0]).tag(sync=True)
    """Video width in pixels."""
    height = OptionTrait(generate_option("height"), SIZE_PRESETS["9:16"][1]).tag(sync=True)
    """Video height in pixels."""
    prompt = OptionTrait(generate_option("prompt"), "").tag(sync=True)
    """What happens in the video (may be empty)."""
    enhance_prompt = OptionTrait(generate_option("enhance_prompt"), True).tag(sync=True)
    """Let the service rewrite the prompt."""
    choices = traitlets.Dict().tag(sync=True)
    """The options of the Model and Size comboboxes."""
    status = traitlets.Unicode("").tag(sync=True)
    """The progress line."""
    code = traitlets.Unicode("").tag(sync=True)
    """The code shown after Copy as code ("" before); it follows the settings."""
    result_state = traitlets.Dict().tag(sync=True)
    """What the Result region shows (see `ResultState`)."""
    history = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The History list as the view shows it (see `entries` for the Python objects)."""
    shown_entry = traitlets.Int(0).tag(sync=True)
    """Number of the history entry on show (0: the latest result)."""
    progress = traitlets.Dict().tag(sync=True)
    """The progress bar while a task runs: {"value", "max", "text"} in seconds ({}: none shown)."""
    sketch = traitlets.Bool(True).tag(sync=True)
    """Once a first frame is chosen, show each motion tile as a sketch of its camera move on it."""

    result = traitlets.Instance(Feed, allow_none=True, read_only=True)
    """The latest finished task's feed (None before the first one)."""
    results = traitlets.List(trait=traitlets.Instance(Feed), read_only=True)
    """Every finished feed, newest last (tasks resumed from an earlier kernel included)."""
