"""Where the key and base URL come from, and the wrapper that keeps the key out of sight."""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import MissingKeyError

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MOTIONS_URL",
    "HOME_ENV",
    "KEY_ENV",
    "MOTIONS_URL_ENV",
    "ApiKey",
    "home_dir",
    "resolve_base_url",
    "resolve_key",
    "resolve_motions_url",
]

HOME_ENV = "HFWIDGETS_HOME"
KEY_ENV = "OPENAI_HK_API_KEY"
BASE_URL_ENV = "OPENAI_HK_BASE_URL"
DEFAULT_BASE_URL = "https://api.openai-hk.com"
MOTIONS_URL_ENV = "HFWIDGETS_MOTIONS_URL"
DEFAULT_MOTIONS_URL = "https://fnf.higgsfield.ai/motions"


class ApiKey:
    """Holds the key; its repr, str and pickling never reveal it. Use `.reveal()` to send it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("an API key is not picklable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("ApiKey", self._value))


def key_from_environment() -> str | None:
    value = os.environ.get(KEY_ENV, "").strip()
    return value or None


def resolve_key(api_key: str | ApiKey | None) -> ApiKey:
    """The key from the argument, else the environment; MissingKeyError when neither has one."""
    if isinstance(api_key, ApiKey):
        return api_key
    value = (api_key or "").strip() or key_from_environment()
    if not value:
        raise MissingKeyError()
    return ApiKey(value)


def resolve_base_url(base_url: str | None) -> str:
    """The base URL from the argument, else OPENAI_HK_BASE_URL, else the provider's."""
    return _http_url("base_url", base_url or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL)


def resolve_motions_url(motions_url: str | None) -> str:
    """The motions listing URL from the argument, else HFWIDGETS_MOTIONS_URL, else the provider's."""
    return _http_url(
        "motions_url", motions_url or os.environ.get(MOTIONS_URL_ENV, "").strip() or DEFAULT_MOTIONS_URL
    )


def _http_url(field: str, url: str) -> str:
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        from ._errors import ValidationError

        raise ValidationError(field, url, "an http:// or https:// URL")
    return url


def home_dir() -> Path | None:
    """`$HFWIDGETS_HOME` when set: the one folder holding the journal and the video cache."""
    home = os.environ.get(HOME_ENV, "").strip()
    return Path(home).expanduser() if home else None
