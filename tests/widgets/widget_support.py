"""Helpers of the widget tests: images, uploads in the ipywidgets 8 format, fast emulator clients."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ipywidgets
from PIL import Image

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


def png_bytes(width: int = 320, height: int = 240, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A real PNG of the given size (a gradient, so it is not trivially compressible)."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 8):
        image.paste((x % 256, 120, 255 - x % 256), (x, 0, x + 4, height))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload_value(name: str, data: bytes, mime: str = "image/png") -> tuple[dict[str, Any], ...]:
    """What ipywidgets 8 puts in `FileUpload.value` after the browser sends one file."""
    return (
        {
            "name": name,
            "type": mime,
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime(2024, 5, 1, tzinfo=timezone.utc),
        },
    )


def widget_tree(root: ipywidgets.Widget) -> Iterator[ipywidgets.Widget]:
    """The widget and every widget below it (children, and widget-valued traits)."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        widget = stack.pop()
        if widget.model_id in seen:
            continue
        seen.add(widget.model_id)
        yield widget
        for name in widget.keys:
            value = getattr(widget, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            stack.extend(v for v in values if isinstance(v, ipywidgets.Widget))


def fast_client(server: EmulatorServer, **kwargs: Any) -> Client:
    """A client of `server` that polls every 0.1 s (the emulator's tasks take a second or two)."""
    from hfwidgets._polling import PollPolicy

    priors = {kind: (0.1, 30.0) for kind in ("lite", "turbo", "standard", "ads")}
    policy = PollPolicy(priors=priors, first_delay=0.1, window_interval=0.1, cap=0.5)
    return server.client(poll=policy, **kwargs)
