"""Walks everything an error carries and reports where an API key appears.

Used on every error of the fault matrix: the error's str, repr and formatted
traceback, its `args`, every attribute (instance dict and slots), its
`__cause__`/`__context__` chain, and any attached `httpx.Request`/`httpx.Response`
with their URL, headers and body. Containers are walked too; the walk stops at
modules, classes and functions and never visits an object twice.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Any

import httpx

CANARY = "hk-CANARY-0d9c8b7a6f5e4d3c2b1a00112233445566"
"""A distinctive key used by the fault matrix: any trace of it in an error is a leak."""

_MAX_DEPTH = 8
_LEAF_TYPES = (int, float, bool, complex, type(None))


def fragments(key: str) -> list[str]:
    """The key itself and a distinctive middle part of it (a partial leak counts too)."""
    middle = key[len(key) // 4 : len(key) // 4 + 12] if len(key) >= 24 else key
    return [key, middle]


def leaks(obj: Any, key: str = CANARY) -> list[str]:
    """Where, under `obj`, the key (or its middle) appears: a list of attribute paths, empty when clean."""
    found: list[str] = []
    _walk(obj, fragments(key), "error", found, set(), 0)
    return found


def assert_no_key(error: BaseException | None, key: str = CANARY) -> int:
    """Fail when the key appears anywhere in `error`; returns how many objects were inspected."""
    if error is None:
        return 0
    seen: set[int] = set()
    found: list[str] = []
    _walk(error, fragments(key), "error", found, seen, 0)
    assert not found, f"the key appears in {', '.join(found[:5])}"
    return len(seen)


def _contains(text: str | bytes, needles: list[str]) -> bool:
    if isinstance(text, bytes):
        return any(n.encode() in text for n in needles)
    return any(n in text for n in needles)


def _walk(obj: Any, needles: list[str], path: str, found: list[str], seen: set[int], depth: int) -> None:
    if isinstance(obj, _LEAF_TYPES) or depth > _MAX_DEPTH:
        return
    if isinstance(obj, (str, bytes, bytearray, memoryview)):
        if _contains(bytes(obj) if not isinstance(obj, str) else obj, needles):
            found.append(path)
        return
    if id(obj) in seen or isinstance(obj, type) or (callable(obj) and not isinstance(obj, BaseException)):
        return
    seen.add(id(obj))
    step = depth + 1
    if isinstance(obj, BaseException):
        texts = [str(obj), repr(obj), "".join(traceback.format_exception(obj))]
        for label, text in zip(("str", "repr", "traceback"), texts, strict=True):
            if _contains(text, needles):
                found.append(f"{path}.<{label}>")
        _walk(obj.args, needles, f"{path}.args", found, seen, step)
        _walk(obj.__cause__, needles, f"{path}.__cause__", found, seen, step)
        _walk(obj.__context__, needles, f"{path}.__context__", found, seen, step)
        _walk(getattr(obj, "__notes__", None), needles, f"{path}.__notes__", found, seen, step)
    if isinstance(obj, httpx.Request):
        _walk(str(obj.url), needles, f"{path}.url", found, seen, step)
        _walk(list(obj.headers.raw), needles, f"{path}.headers", found, seen, step)
        with contextlib.suppress(httpx.RequestNotRead):
            _walk(obj.content, needles, f"{path}.content", found, seen, step)
    if isinstance(obj, httpx.Response):
        _walk(list(obj.headers.raw), needles, f"{path}.headers", found, seen, step)
        with contextlib.suppress(httpx.ResponseNotRead):
            _walk(obj.content, needles, f"{path}.content", found, seen, step)
        with contextlib.suppress(RuntimeError):  # a response built without a request
            _walk(obj.request, needles, f"{path}.request", found, seen, step)
    if isinstance(obj, dict):
        for name, value in obj.items():
            _walk(name, needles, f"{path}[{name!r}]", found, seen, step)
            _walk(value, needles, f"{path}[{name!r}]", found, seen, step)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for index, value in enumerate(obj):
            _walk(value, needles, f"{path}[{index}]", found, seen, step)
        return
    if type(obj).__module__ in ("builtins", "types"):
        return
    attributes: dict[str, Any] = dict(getattr(obj, "__dict__", {}) or {})
    for klass in type(obj).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if isinstance(slot, str) and slot not in attributes:
                with contextlib.suppress(AttributeError):
                    attributes[slot] = getattr(obj, slot)
    for name, value in attributes.items():
        _walk(value, needles, f"{path}.{name}", found, seen, step)
    if _contains(repr(obj), needles):
        found.append(f"{path}.<repr>")
