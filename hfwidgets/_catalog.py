"""The bundled motion catalogue (a snapshot of the provider's listing) and motion lookup."""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from ._errors import MalformedResponse, ValidationError
from ._models import Motion

logger = logging.getLogger("hfwidgets")

__all__ = ["bundled_motions", "filter_motions", "motions", "parse_motions", "resolve_motion"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def is_motion_id(text: str) -> bool:
    return bool(_UUID.fullmatch(text))


def parse_motions(payload: Any) -> list[Motion]:
    """Parse a motions listing: a JSON list, or an object holding it under `items`/`motions`/`data`."""
    if isinstance(payload, dict):
        for key in ("items", "motions", "data", "results"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    if not isinstance(payload, list):
        raise MalformedResponse(f"motions listing is a {type(payload).__name__}, expected a list")
    parsed, skipped = [], 0
    for item in payload:
        try:
            parsed.append(Motion.from_json(item))
        except (MalformedResponse, TypeError, ValueError, AttributeError):
            skipped += 1
    if skipped:
        logger.warning(
            "motions listing: %d of %d entries are unusable and were skipped", skipped, len(payload)
        )
    if payload and not parsed:
        raise MalformedResponse(f"motions listing: none of its {len(payload)} entries is a usable motion")
    return sort_motions(parsed)


def sort_motions(items: Iterable[Motion]) -> list[Motion]:
    """Order as the provider shows them: by priority (lower first), then name."""
    return sorted(items, key=lambda m: (m.priority, m.name.casefold()))


@cache
def bundled_motions() -> tuple[Motion, ...]:
    """The offline snapshot shipped with the package, sorted by priority."""
    text = resources.files("hfwidgets").joinpath("data/motions.json").read_text("utf-8")
    return tuple(parse_motions(json.loads(text)))


def filter_motions(
    items: Iterable[Motion],
    search: str | None = None,
    category: str | None = None,
    tag: str | None = None,
) -> list[Motion]:
    """Keep motions whose name (or a mix part's name) contains `search`, case-insensitive,
    and that carry `category` and `tag` when given."""
    needle = (search or "").strip().casefold()
    out = []
    for motion in items:
        if category and category not in motion.categories:
            continue
        if tag and tag not in motion.tags:
            continue
        if (
            needle
            and needle not in motion.name.casefold()
            and not any(needle in part.name.casefold() for part in motion.parts)
        ):
            continue
        out.append(motion)
    return out


def motions(search: str | None = None, category: str | None = None, tag: str | None = None) -> list[Motion]:
    """Motion templates from the bundled catalogue (no network), sorted by priority.

    ```pycon
    >>> [m.name for m in motions("punch")]
    ['Face Punch']
    ```
    """
    return filter_motions(bundled_motions(), search, category, tag)


def resolve_motion(motion: Motion | str, catalogue: Sequence[Motion] | None = None) -> Motion:
    """Turn a Motion, a motion id or a case-insensitive name into a Motion.

    Names are looked up among the catalogue's motions and the parts of its mixes;
    an ambiguous or unknown name raises ValidationError listing what would match.
    """
    if isinstance(motion, Motion):
        return motion
    if not isinstance(motion, str) or not motion.strip():
        raise ValidationError("motion", motion, "a Motion, a motion id (uuid) or a motion name")
    items = bundled_motions() if catalogue is None else catalogue
    text = motion.strip()
    candidates = _named_candidates(items)
    if is_motion_id(text):
        for candidate in candidates:
            if candidate.id.lower() == text.lower():
                return candidate
        # The live catalogue is far larger than any snapshot: an unknown id is passed on.
        return Motion(id=text.lower(), name=text.lower())
    matches = [m for m in candidates if m.name.casefold() == text.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listing = "; ".join(f"{m.name!r} id={m.id}" for m in matches)
        raise ValidationError(
            "motion",
            motion,
            f"one motion, but {len(matches)} share this name: {listing}",
            hint="pass the id instead",
        )
    names = sorted({m.name for m in candidates})
    close = (
        difflib.get_close_matches(text, names, n=5, cutoff=0.5)
        or [n for n in names if text.casefold() in n.casefold()][:5]
    )
    hint = f"did you mean {', '.join(map(repr, close))}?" if close else "see hfwidgets.motions()"
    raise ValidationError("motion", motion, "a known motion name or a motion id", hint=hint)


def _named_candidates(items: Sequence[Motion]) -> list[Motion]:
    """The catalogue's motions, plus mix parts that are not listed on their own."""
    out = list(items)
    known = {m.id for m in items}
    for mix in items:
        for part in mix.parts:
            if part.id not in known:
                known.add(part.id)
                out.append(Motion(id=part.id, name=part.name, preview_url=part.preview_url))
    return out
