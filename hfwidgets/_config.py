"""Where the key and base URL come from, and the wrapper that keeps the key out of sight."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from ._errors import MissingKeyError, ValidationError

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MOTIONS_URL",
    "EMULATOR_KEY",
    "HOME_ENV",
    "KEY_ENV",
    "MOTIONS_URL_ENV",
    "ApiKey",
    "check_key",
    "data_dir",
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
EMULATOR_KEY = "hk-emulator"
"""The key clients send the local emulator: it accepts any bearer token; this one says where it belongs."""
DEFAULT_MOTIONS_URL = "https://fnf.higgsfield.ai/motions"


_NAMED_CHARACTERS = {
    " ": "a space",
    "\t": "a tab",
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\u00a0": "a no-break space (U+00A0)",
    "\u200b": "a zero-width space (U+200B)",
    "\ufeff": "a byte-order mark (U+FEFF)",
}


def _character_kind(character: str) -> str | None:
    """What is wrong with one character of a key, or None when it is fine (printable ASCII)."""
    if "!" <= character <= "~":
        return None
    if character in _NAMED_CHARACTERS:
        return _NAMED_CHARACTERS[character]
    code = f"U+{ord(character):04X}"
    if character.isspace():
        return f"a whitespace character ({code})"
    if unicodedata.category(character)[0] in "CZ" or not character.isprintable():
        return f"an invisible character ({code})"
    return f"a non-ASCII character ({code})"


def check_key(value: str, field: str = "api_key") -> str:
    """Refuse a key holding anything but printable ASCII: a space, CR/LF, an invisible or non-ASCII
    character (from a copy and paste, a file read with its newline) would only fail later, as a
    401 or as an unsendable header.

    The ValidationError names the position and kind of the first bad character and the key's
    length, never the key itself.
    """
    for index, character in enumerate(value):
        kind = _character_kind(character)
        if kind is None:
            continue
        where = (
            "the first character" if index == 0 else "the last character" if index == len(value) - 1 else ""
        )
        at = f"position {index + 1} of {len(value)}" + (f" ({where})" if where else "")
        raise ValidationError(
            field,
            f"<a key of {len(value)} characters, not shown>",
            "printable ASCII characters only (no spaces, line breaks or invisible characters)",
            hint=f"{at} holds {kind}; copy the key again without it",
        )
    return value


class ApiKey:
    """Holds the key; its repr, str and pickling never reveal it. Use `.reveal()` to send it.

    The key is checked when it is wrapped (`check_key`): printable ASCII only.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str, *, field: str = "api_key") -> None:
        self._value = check_key(value, field)

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
    """OPENAI_HK_API_KEY as set (None when unset or blank); checked when a Client wraps it."""
    value = os.environ.get(KEY_ENV, "")
    return value if value.strip() else None


def resolve_key(api_key: str | ApiKey | None) -> ApiKey:
    """The key from the argument, else the environment; MissingKeyError when neither has one.

    A key holding whitespace, line breaks, invisible or non-ASCII characters is
    refused with a ValidationError (see `check_key`), not trimmed silently.
    """
    if isinstance(api_key, ApiKey):
        return api_key
    if api_key is not None and api_key.strip():
        return ApiKey(api_key)
    value = key_from_environment()
    if value is None:
        raise MissingKeyError()
    return ApiKey(value, field=KEY_ENV)


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
        raise ValidationError(field, url, "an http:// or https:// URL")
    return url


def home_dir() -> Path | None:
    """`$HFWIDGETS_HOME` when set: the one folder holding the journal and the video cache."""
    home = os.environ.get(HOME_ENV, "").strip()
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """Where hfwidgets keeps its files: `$HFWIDGETS_HOME` when set, else the per-user data directory
    (the journal, the local emulator's tasks and its state file)."""
    home = home_dir()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir("hfwidgets"))
