"""The ESM and CSS of each view, composed in Python from the parts in `static/` (no node, no build step).

A view's ESM is: the part of the string table of `_i18n` it uses, the key's
environment name and the upload limits (`UPLOAD`) as constants, `shared.js`,
the parts it uses, then the view's own file (the one with `export default`).
The result is minified (rjsmin, rcssmin): the composed text is stored in every
saved notebook, so it should be small. For the same reason the ESM is stored packed (`pack`): deflated and in
base64 inside a few lines that inflate it in the browser (`DecompressionStream`)
and import it, about 40 % of its minified size; `unpack` gives the code back.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import zlib
from pathlib import Path

import rcssmin  # type: ignore[import-untyped]  # no type hints
import rjsmin  # type: ignore[import-untyped]  # no type hints

from .._config import KEY_ENV
from .._models import MAX_VIDEO_SIDE
from ._i18n import STRINGS

__all__ = ["STATIC", "UPLOAD_MAX_BYTES", "UPLOAD_PART_BYTES", "compose_css", "compose_esm", "pack", "unpack"]

STATIC = Path(__file__).parent / "static"

UPLOAD_PART_BYTES = 2 * 1024 * 1024
"""A file goes from the browser to the kernel in messages of at most this many bytes: far under
the 10 MiB a Jupyter server accepts in one websocket message (it drops the link above that)."""
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
"""The largest file sent as it is (one the browser cannot decode, e.g. HEIC in Chromium)."""
UPLOAD = {
    "part_bytes": UPLOAD_PART_BYTES,
    "max_bytes": UPLOAD_MAX_BYTES,
    # A picture whose shorter side is at most this covers every video size (each side at most
    # MAX_VIDEO_SIDE): larger photos are reduced in the browser before they are sent.
    "short_side": MAX_VIDEO_SIDE,
    # Files up to this size that need no reduction are sent as they are.
    "whole_bytes": 8 * 1024 * 1024,
}


def _source(name: str) -> str:
    return (STATIC / name).read_text("utf-8")


# Keys the views build at run time (`badge_${tag}`) rather than spell out.
_DYNAMIC_KEYS = ("badge_",)


def _table_for(code: str) -> dict[str, dict[str, str]]:
    """The part of the string table `code` uses (its quoted keys and the dynamic ones)."""
    used = {key for key in STRINGS["en"] if f'"{key}"' in code or key.startswith(_DYNAMIC_KEYS)}
    return {
        lang: {key: text for key, text in table.items() if key in used} for lang, table in STRINGS.items()
    }


# Inflates the packed module and imports it: what a view's `_esm` is (see `pack`).
_LOADER = (
    'const packed = "{packed}";\n'
    "const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));\n"
    'const code = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));\n'
    'const type = "text/javascript";\n'
    "const url = URL.createObjectURL(new Blob([await new Response(code).blob()], {{ type }}));\n"
    "const view = await import(url);\n"
    "URL.revokeObjectURL(url);\n"
    "export default view.default;\n"
)
_PACKED = re.compile(r'^const packed = "([A-Za-z0-9+/=]*)";')


def pack(code: str) -> str:
    """`code` (an ES module) as a module that inflates and imports it: what is saved is small."""
    packed = base64.b64encode(zlib.compress(code.encode("utf-8"), 9)).decode("ascii")
    return _LOADER.format(packed=packed)


def unpack(esm: str) -> str:
    """The code a packed ESM imports (for tests and for reading a saved notebook)."""
    found = _PACKED.match(esm)
    if found is None:
        raise ValueError("not an ESM made by pack()")
    return zlib.decompress(base64.b64decode(found.group(1))).decode("utf-8")


@functools.cache
def compose_esm(*parts: str) -> str:
    """The ESM of a view, packed: constants, shared.js, then `parts` (file names in static/), in order."""
    code = str(rjsmin.jsmin("\n".join(_source(name) for name in ("shared.js", *parts))))
    table = json.dumps(_table_for(code), ensure_ascii=False, separators=(",", ":"))
    return pack(
        f"const STRINGS = {table};\nconst KEY_ENV = {json.dumps(KEY_ENV)};\n"
        f"const UPLOAD = {json.dumps(UPLOAD)};\n{code}\n"
    )


@functools.cache
def compose_css(*parts: str) -> str:
    """The CSS of a view: base.css, then `parts`, in order."""
    return str(rcssmin.cssmin("\n".join(_source(name) for name in ("base.css", *parts)))) + "\n"
