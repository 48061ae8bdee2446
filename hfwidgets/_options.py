"""The options of a video request, declared once.

`GENERATE_OPTIONS` lists every option of an image-to-video request besides its
image: the motion, the prompt, the model, the seed, the size and whether the
service may rewrite the prompt. `ADS_OPTIONS` does the same for an ad. Each
`RequestOption` carries what its consumers need: its name, type, default, check,
label, help line, command-line flags, trait kind and journal column(s).

What is made from it: `GenerateRequest`/`AdsRequest` check their options with
it (`check_options`), `Task` and `TaskRecord` carry every option under the same
name, the journal's columns and rows (schema 3), copy-as-code, the command
line's options and the Studio's values and history entries. `Client.generate`,
`run` and `GenerateRequest` take the keyword options as `**options:
Unpack[GenerateOptions]` (the type checkers' view) and show each by name to
`help()` and Jupyter (`spell_out_options`). The signatures still written out by
hand (`Studio`, `Explorer`, `AdsPanel`, `Client.ads`), `GenerateOptions` and the
other consumers are compared with it by tests/core/test_options.py: an option
added in one place only fails there.

The checks raise a `ValidationError` naming the field, the value given and what
is allowed (local rules; the service documents fewer). An "int" is any integer
type, numpy's included (`numpy.int64(7)` is 7); a float is refused even when
integral (`3.0`), everywhere alike: the checks return plain Python values.

- `model` is one of `MODELS` ("lite", "turbo", "standard").
- `seed` is an int (not a bool) in `SEED_MIN..SEED_MAX` (1..1000000); None: drawn at submission.
- `width`/`height` are ints in `MIN_VIDEO_SIDE..MAX_VIDEO_SIDE` (64..2048) and multiples of 8
  (video encoders work on 8-pixel blocks; every size the provider shows is one); None (both):
  the preset closest to the first image.
- `prompt` is a str of at most `MAX_PROMPT_CHARS` characters.
- `enhance_prompt` is a bool.
- the ad template id is a non-empty string without whitespace or slashes; the ad `size` is
  "WxH" with both sides following the width/height rule.
"""

from __future__ import annotations

import inspect
import numbers
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, TypeVar

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import Unpack

from ._catalog import resolve_motion
from ._errors import ValidationError
from ._models import MAX_VIDEO_SIDE, MIN_VIDEO_SIDE, MODELS, SEED_MAX, SEED_MIN, Motion

__all__ = [
    "ADS_OPTIONS",
    "DEFAULT_AD_SIZE",
    "GENERATE_OPTIONS",
    "MAX_PROMPT_CHARS",
    "REQUIRED",
    "SIDE_MULTIPLE",
    "GenerateOptions",
    "RequestOption",
    "TraitKind",
    "Unpack",
    "ads_option",
    "ads_option_names",
    "check_enhance_prompt",
    "check_model",
    "check_motion",
    "check_options",
    "check_prompt",
    "check_seed",
    "check_side",
    "check_size",
    "check_template_id",
    "generate_option",
    "generate_option_names",
    "journal_columns",
    "option_columns",
    "option_values_from_columns",
    "parse_size",
    "spell_out_options",
]

MAX_PROMPT_CHARS = 2000
"""Longest prompt accepted locally (the enhanced prompts the service writes stay well below)."""

SIDE_MULTIPLE = 8
"""Video width and height must be multiples of this."""

DEFAULT_AD_SIZE = "1024x1024"
"""The size of an ad video unless another is asked for."""

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_TEMPLATE_ID = re.compile(r"[^\s/?#]+")


# --------------------------------------------------------------------------- checks


def _integer(value: Any) -> int | None:
    """`value` as a plain int when it is an integer (numpy's too, never a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def check_model(model: Any) -> str:
    """The model name, or ValidationError."""
    if not isinstance(model, str) or model not in MODELS:
        raise ValidationError("model", model, f"one of {', '.join(map(repr, MODELS))}")
    return model


def check_seed(seed: Any) -> int:
    """The seed, or ValidationError: an int (not a bool) in 1..1000000."""
    number = _integer(seed)
    if number is None or not SEED_MIN <= number <= SEED_MAX:
        raise ValidationError("seed", seed, f"an int from {SEED_MIN} to {SEED_MAX}")
    return number


def check_side(field: str, value: Any) -> int:
    """A video width or height, or ValidationError."""
    allowed = f"an int from {MIN_VIDEO_SIDE} to {MAX_VIDEO_SIDE}, a multiple of {SIDE_MULTIPLE}"
    number = _integer(value)
    if number is None or not MIN_VIDEO_SIDE <= number <= MAX_VIDEO_SIDE:
        raise ValidationError(field, value, allowed)
    if number % SIDE_MULTIPLE:
        lower = number - number % SIDE_MULTIPLE
        raise ValidationError(field, value, allowed, hint=f"try {lower} or {lower + SIDE_MULTIPLE}")
    return number


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


def check_motion(motion: Any) -> Motion:
    """A Motion from a Motion, a motion id or a name (the bundled catalogue), or ValidationError."""
    if motion is None:
        raise ValidationError("motion", None, "a Motion, a motion id (uuid) or a motion name")
    return resolve_motion(motion)


def check_template_id(template_id: Any) -> str:
    """An ad template id, or ValidationError: a non-empty string without spaces or slashes."""
    if not isinstance(template_id, str) or not _TEMPLATE_ID.fullmatch(template_id):
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
    allowed = f'"WxH" with sides from {MIN_VIDEO_SIDE} to {MAX_VIDEO_SIDE}, multiples of {SIDE_MULTIPLE}'
    width, height = int(match.group(1)), int(match.group(2))
    for side in (width, height):
        if not MIN_VIDEO_SIDE <= side <= MAX_VIDEO_SIDE or side % SIDE_MULTIPLE:
            raise ValidationError("size", size, allowed)
    return width, height


def check_size(size: Any) -> str:
    """The ad size normalised to "WxH", or ValidationError."""
    width, height = parse_size(size)
    return f"{width}x{height}"


# --------------------------------------------------------------------------- the declaration


class _Required:
    """The default of an option that has none (the motion, the ad template)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""`RequestOption.default` of an option that must be given."""

TraitKind = Literal["motion", "str", "int", "bool"]
"""How a widget holds an option: a motion (chosen in the grid), or a Unicode, Int or Bool trait."""


@dataclass(frozen=True)
class RequestOption:
    """One option of a request: what every place that takes, shows, stores or prints it needs.

    `default` is the request's default (`REQUIRED` when it must be given);
    `optional` means None is accepted and decided at submission (the seed is
    drawn, the size taken from the image). `check(value)` returns the value to
    use or raises a ValidationError naming the option. `flags` are the command
    line's (a "--a/--b" pair for a bool); `columns` the journal's (name, SQLite type).
    """

    name: str
    type: str
    """The annotation, as the signatures write it."""
    default: Any
    check: Callable[[Any], Any]
    label: str
    """A short name for people ("Seed")."""
    help: str
    """One line: what the option does (the command line's help)."""
    flags: tuple[str, ...]
    trait: TraitKind
    columns: tuple[tuple[str, str], ...]
    optional: bool = False
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        """True when the option has no default."""
        return self.default is REQUIRED

    def validate(self, value: Any) -> Any:
        """The value to use, or ValidationError (None passes through when the option is optional)."""
        if value is None and self.optional:
            return None
        return self.check(value)

    def to_columns(self, value: Any) -> dict[str, Any]:
        """The journal columns of a value of this option."""
        if self.trait == "motion":
            return {"motion_id": value.id if value else None, "motion_name": value.name if value else None}
        if self.trait == "bool":
            return {self.name: None if value is None else int(bool(value))}
        if value is None and self.default == "":
            return {self.name: ""}  # the prompt: a column of text, never NULL
        return {self.name: value}

    def from_columns(self, row: Mapping[str, Any]) -> Any:
        """The value stored in a journal row (None when not recorded, e.g. a row of an older schema)."""
        if self.trait == "motion":
            motion_id = row["motion_id"]
            return Motion(id=motion_id, name=row["motion_name"] or motion_id) if motion_id else None
        value = row[self.name]
        if self.trait == "bool":
            return None if value is None else bool(value)
        return value

    def __repr__(self) -> str:
        return f"RequestOption({self.name!r}, {self.type}, default={self.default!r})"


def _side(name: str) -> Callable[[Any], int]:
    return lambda value: check_side(name, value)


GENERATE_OPTIONS: tuple[RequestOption, ...] = (
    RequestOption(
        name="motion",
        type="Motion | str",
        default=REQUIRED,
        check=check_motion,
        label="Motion",
        help="Motion template: a name (e.g. 'Face Punch') or an id.",
        flags=("-m", "--motion"),
        trait="motion",
        columns=(("motion_id", "TEXT"), ("motion_name", "TEXT")),
    ),
    RequestOption(
        name="prompt",
        type="str",
        default="",
        check=check_prompt,
        label="Prompt",
        help="What happens in the video.",
        flags=("-p", "--prompt"),
        trait="str",
        columns=(("prompt", "TEXT"),),
    ),
    RequestOption(
        name="model",
        type="str",
        default="lite",
        check=check_model,
        label="Model",
        help="The video model (a dearer one looks better).",
        flags=("--model",),
        trait="str",
        columns=(("model", "TEXT"),),
        choices=MODELS,
    ),
    RequestOption(
        name="seed",
        type="int | None",
        default=None,
        check=check_seed,
        label="Seed",
        help=f"{SEED_MIN}..{SEED_MAX}; random when omitted.",
        flags=("--seed",),
        trait="int",
        columns=(("seed", "INTEGER"),),
        optional=True,
    ),
    RequestOption(
        name="width",
        type="int | None",
        default=None,
        check=_side("width"),
        label="Width",
        help=f"Video width in pixels, a multiple of {SIDE_MULTIPLE}; with --height.",
        flags=("--width",),
        trait="int",
        columns=(("width", "INTEGER"),),
        optional=True,
    ),
    RequestOption(
        name="height",
        type="int | None",
        default=None,
        check=_side("height"),
        label="Height",
        help=f"Video height in pixels, a multiple of {SIDE_MULTIPLE}; with --width.",
        flags=("--height",),
        trait="int",
        columns=(("height", "INTEGER"),),
        optional=True,
    ),
    RequestOption(
        name="enhance_prompt",
        type="bool",
        default=True,
        check=check_enhance_prompt,
        label="Enhance prompt",
        help="Let the service rewrite the prompt (--no-enhance: send it as written).",
        flags=("--enhance/--no-enhance",),
        trait="bool",
        columns=(("enhance_prompt", "INTEGER"),),
    ),
)
"""Every option of an image-to-video request besides the image, in the order of the signatures."""

ADS_OPTIONS: tuple[RequestOption, ...] = (
    RequestOption(
        name="template_id",
        type="str",
        default=REQUIRED,
        check=check_template_id,
        label="Template",
        help="Ad template id.",
        flags=("-t", "--template"),
        trait="str",
        columns=(("template_id", "TEXT"),),
    ),
    RequestOption(
        name="size",
        type="str",
        default=DEFAULT_AD_SIZE,
        check=check_size,
        label="Size",
        help="Ad size WxH.",
        flags=("--size",),
        trait="str",
        columns=(("size", "TEXT"),),
    ),
)
"""Every option of an ad request besides the product image(s)."""

_GENERATE_BY_NAME = {option.name: option for option in GENERATE_OPTIONS}


def generate_option_names() -> tuple[str, ...]:
    """The names of `GENERATE_OPTIONS`, in order."""
    return tuple(_GENERATE_BY_NAME)


class GenerateOptions(TypedDict, total=False):
    """The keyword options of an image-to-video request, for type checkers.

    What `**options` takes in `Client.generate`, `run` and `GenerateRequest`
    (after the image, the motion and the prompt). Their defaults and checks are
    those of `GENERATE_OPTIONS`.
    """

    model: str
    seed: int | None
    width: int | None
    height: int | None
    enhance_prompt: bool


_Function = TypeVar("_Function", bound=Callable[..., Any])


def spell_out_options(function: _Function) -> _Function:
    """`function`, whose signature ends in `**options`, showing each generate option by name.

    `inspect.signature` (so `help()`, Jupyter's Shift-Tab and the documentation)
    then lists every option of `GENERATE_OPTIONS` it does not name itself as a
    keyword-only parameter with its declared type and default, before the
    function's own keyword-only parameters.
    """
    signature = inspect.signature(function)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    spelled = [
        inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default, annotation=o.type)
        for o in GENERATE_OPTIONS
        if o.name not in signature.parameters
    ]
    at = next((i for i, p in enumerate(own) if p.kind is inspect.Parameter.KEYWORD_ONLY), len(own))
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*own[:at], *spelled, *own[at:]]
    )
    return function


def ads_option_names() -> tuple[str, ...]:
    """The names of `ADS_OPTIONS`, in order."""
    return tuple(option.name for option in ADS_OPTIONS)


def generate_option(name: str) -> RequestOption:
    """The declaration of one generate option (KeyError for a name that is none)."""
    return _GENERATE_BY_NAME[name]


def ads_option(name: str) -> RequestOption:
    """The declaration of one ad option (KeyError for a name that is none)."""
    return {option.name: option for option in ADS_OPTIONS}[name]


def check_options(
    values: Mapping[str, Any], options: tuple[RequestOption, ...] = GENERATE_OPTIONS
) -> dict[str, Any]:
    """Every option of `options` checked, from `values` (the default for those missing).

    The motion is resolved last (a catalogue lookup); width and height go together.
    Unknown names raise ValidationError.
    """
    known = {option.name for option in options}
    for name in values:
        if name not in known:
            raise ValidationError(name, values[name], f"one of the options {', '.join(sorted(known))}")
    checked: dict[str, Any] = {}
    for option in sorted(options, key=lambda o: o.trait == "motion"):
        value = values.get(option.name, option.default)
        if value is REQUIRED:
            value = None
        checked[option.name] = option.validate(value)
    if "width" in known and "height" in known and (checked["width"] is None) != (checked["height"] is None):
        missing = "height" if checked["height"] is None else "width"
        raise ValidationError(missing, None, "both width and height, or neither (sized from the image)")
    return {option.name: checked[option.name] for option in options}


def journal_columns(options: tuple[RequestOption, ...] = GENERATE_OPTIONS) -> tuple[tuple[str, str], ...]:
    """(column, SQLite type) of every option's journal columns."""
    return tuple(column for option in options for column in option.columns)


def option_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """The journal columns of generate option values (options missing from `values` are left out)."""
    row: dict[str, Any] = {}
    for option in GENERATE_OPTIONS:
        if option.name in values:
            row.update(option.to_columns(values[option.name]))
    return row


def option_values_from_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every generate option's value as a journal row stores it."""
    return {option.name: option.from_columns(row) for option in GENERATE_OPTIONS}
