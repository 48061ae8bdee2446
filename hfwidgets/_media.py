"""Media bytes for the widgets' channel: read a video or picture the kernel can reach but a browser may not.

The embedded emulator serves its media on 127.0.0.1. On a remote kernel
(JupyterHub, Colab, Codespaces) the browser cannot reach that address, so the
widgets read such media here, in the kernel, and send the bytes over the widget
channel. Media requests carry no API key at all (neither the emulator's files
nor the service's CDN need one), so the key can never leave the base URL this
way. The reading is the one media fetch (`_fetch`), as for downloads and posters.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from ._fetch import fetch_sync

__all__ = ["MAX_MEDIA_BYTES", "Media", "fetch_media", "is_loopback_url"]

MAX_MEDIA_BYTES: Final = 64 * 1024 * 1024
"""Largest media read for the channel (a generated clip is a few MB at most)."""
MEDIA_TIMEOUT: Final = 30.0


@dataclass(frozen=True, repr=False)
class Media:
    """Bytes of one media file and their type."""

    data: bytes
    mime: str

    def __repr__(self) -> str:
        return f"Media({self.mime}, {len(self.data)} bytes)"


def is_loopback_url(url: str | None) -> bool:
    """True for an http(s) URL on this machine (localhost, 127.0.0.0/8, ::1)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_media(url: str, *, limit: int = MAX_MEDIA_BYTES, timeout: float = MEDIA_TIMEOUT) -> Media:
    """GET `url` with the one media fetch (`_fetch`: no credentials at all); a `HiggsfieldError`
    naming the URL when it cannot be read: an `APIError` with the status when it answered an
    error, a `NetworkError` (status None) when it could not be reached, `LimitExceeded` over
    `limit` bytes, `DownloadTimeout` past `timeout` seconds, a `ValidationError` for a URL that
    is not http(s).

    Blocking: the widgets call it from a worker thread.
    """
    fetched = fetch_sync(url, what="the media", max_bytes=limit, timeout=timeout)
    return Media(fetched.data, fetched.mime or "application/octet-stream")
