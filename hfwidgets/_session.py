"""The default: with neither a key nor a base URL, hfwidgets talks to the local emulator of its home.

One rule for `Client()`, `run()`, `resume()`, the widgets and the command line:
without a key (`api_key=` or `OPENAI_HK_API_KEY`) and without a base URL
(`base_url=` or `OPENAI_HK_BASE_URL`), requests go to the emulator of the home
(`$HFWIDGETS_HOME`, else the per-user data directory): one background process
per home, shared by every process using it, started on first need (a real HTTP
server on 127.0.0.1 making synthetic videos; see `hfwidgets._home_emulator`).
A notice says so once per process. With a base URL but no key,
`MissingKeyError`; without the "emulator" extra, `MissingKeyError` saying how to
get either a key or the emulator.

The Client asks this module (`wants_emulator`, `shared_emulator`); the one default
Client per process is made above it, in `_default_client`.
"""

from __future__ import annotations

import logging
import os
import threading

from ._config import BASE_URL_ENV, KEY_ENV, ApiKey, key_from_environment
from ._errors import JournalError, MissingKeyError
from ._extras import available
from ._home_emulator import BackgroundEmulator, ensure_emulator
from ._journal import Journal

__all__ = ["nothing_to_resume", "shared_emulator", "wants_emulator"]

logger = logging.getLogger("hfwidgets")

_lock = threading.Lock()
_announced = False


def wants_emulator(api_key: str | ApiKey | None, base_url: str | None) -> bool:
    """True when neither a key nor a base URL is given or set: the home's emulator applies."""
    if isinstance(api_key, ApiKey) or (api_key or "").strip() or key_from_environment():
        return False
    return not ((base_url or "").strip() or os.environ.get(BASE_URL_ENV, "").strip())


def nothing_to_resume() -> bool:
    """True when the embedded emulator would be used and the journal holds no unfinished task:
    `resume()` then starts no emulator (and says nothing about one)."""
    if not wants_emulator(None, None):
        return False
    try:
        return not Journal().pending()
    except JournalError:
        return False  # the client reports the journal's problem


def shared_emulator(*, announce: bool = True) -> BackgroundEmulator:
    """The emulator of this process's home, started in the background when it is not running.

    Checked on every call (one local request), so an emulator that stopped
    meanwhile (idle, `hfwidgets emulator stop`) is started again, on the same
    port. The notice that videos are synthetic is logged by the first call of
    the process, unless it passes `announce=False` (the widgets show it in
    themselves, as a banner).

    Raises MissingKeyError (saying how to get a key or the emulator) when the
    "emulator" extra is not installed, EmulatorError when it cannot start.
    """
    global _announced
    if not available("emulator"):
        raise MissingKeyError(emulator_installed=False)
    with _lock:
        emulator = ensure_emulator()
        first, _announced = not _announced, True
        if announce and first:
            logger.warning(
                "hfwidgets: no API key (%s is not set), so requests go to the local emulator at %s and the "
                "videos are synthetic. Set %s (or pass api_key=...) to use the real service.",
                KEY_ENV,
                emulator.base_url,
                KEY_ENV,
            )
        return emulator
