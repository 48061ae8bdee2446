"""Helpers of the widget tests: images, messages as the views send them, fast emulator clients."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

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


def from_view(widget: Any, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
    """Deliver a custom message as the widget's view sends it (through the comm handler)."""
    widget._handle_custom_msg(content, buffers or [])


def sent_to_view(widget: Any) -> list[tuple[dict[str, Any], list[bytes]]]:
    """Record the custom messages (and buffers) the widget sends to its views from now on."""
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    original = widget.send

    def record(content: dict[str, Any], buffers: Any = None) -> None:
        sent.append((content, [bytes(b) for b in buffers or []]))
        original(content, buffers)

    widget.send = record
    return sent


def fast_client(server: EmulatorServer, **kwargs: Any) -> Client:
    """A client of `server` that polls every 0.1 s (the emulator's tasks take a second or two)."""
    from hfwidgets._polling import PollPolicy

    priors = {kind: (0.1, 30.0) for kind in ("lite", "turbo", "standard", "ads")}
    policy = PollPolicy(priors=priors, first_delay=0.1, window_interval=0.1, cap=0.5)
    return server.client(poll=policy, **kwargs)
