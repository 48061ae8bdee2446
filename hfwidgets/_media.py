"""Media bytes for the widgets' channel: read a video or picture the kernel can reach but a browser may not.

The embedded emulator serves its media on 127.0.0.1. On a remote kernel
(JupyterHub, Colab, Codespaces) the browser cannot reach that address, so the
widgets read such media here, in the kernel, and send the bytes over the widget
channel. Media requests carry no API key at all (neither the emulator's files
nor the service's CDN need one), so the key can never leave the base URL this
way.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx

from ._errors import APIError, HiggsfieldError

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
    """GET `url` without any credentials; `HiggsfieldError` naming the URL when it cannot be read
    (an `APIError` with the status when it answered an error, or with none when it could not be reached).

    Blocking: the widgets call it from a worker thread.
    """
    if not url.startswith(("http://", "https://")):
        raise HiggsfieldError(f"media URL {url!r} is not http(s)")
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise APIError(
                    f"media {url} answered HTTP {response.status_code}", status=response.status_code
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise HiggsfieldError(f"media {url} is larger than {limit} bytes")
                chunks.append(chunk)
            mime = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    except httpx.HTTPError as error:
        raise APIError(f"media {url} could not be read: {type(error).__name__}") from error
    return Media(b"".join(chunks), mime or "application/octet-stream")
