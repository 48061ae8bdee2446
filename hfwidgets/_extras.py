"""Optional dependencies: which extra brings which module, and the error that names the extra.

The core (client, journal, widgets) needs none of them. Each feature imports its
libraries at the point of use through `require`, so a missing one raises
`MissingExtra` saying what to install instead of a bare ModuleNotFoundError.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Final

from ._errors import MissingExtra

__all__ = ["EXTRAS", "available", "require"]

EXTRAS: Final[Mapping[str, tuple[str, ...]]] = {
    "emulator": ("starlette", "uvicorn", "av", "numpy"),
    "video": ("av", "numpy"),
    "analysis": ("pandas",),
    "aiohttp": ("httpx_aiohttp", "aiohttp"),
    "heic": ("pillow_heif",),
    "tutorials": ("jupyterlab", "ipykernel", "nbconvert", "nbformat", "matplotlib"),
}
"""Modules each extra installs (the names imported, not the distributions)."""


def available(extra: str) -> bool:
    """True when every module of `extra` can be imported (nothing is imported)."""
    return all(importlib.util.find_spec(module) is not None for module in EXTRAS[extra])


def require(extra: str, feature: str, *, modules: Sequence[str] | None = None) -> None:
    """Raise MissingExtra naming `extra` unless all its modules are installed; imports nothing.

    `feature` says what needs it, e.g. "Feed.frames()"; it opens the error message.
    `modules` narrows the check to the ones the feature imports (all of the extra's by default).
    Call it right before the imports it guards, which then keep their static types.
    """
    for module in EXTRAS[extra] if modules is None else modules:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, feature, module)
