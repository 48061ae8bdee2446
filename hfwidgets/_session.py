"""The embedded default: with neither a key nor a base URL, hfwidgets talks to a local emulator.

One rule for `Client()`, `run()`, `resume()` and the widgets: without a key
(`api_key=` or `OPENAI_HK_API_KEY`) and without a base URL (`base_url=` or
`OPENAI_HK_BASE_URL`), requests go to one emulator server started on first need
in this process (a real HTTP server on 127.0.0.1 making synthetic videos) and
stopped when the process exits. A notice says so once. With a base URL but no
key, `MissingKeyError`; without the "emulator" extra, `MissingKeyError` saying
how to get either a key or the emulator.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from ._config import BASE_URL_ENV, KEY_ENV, ApiKey, key_from_environment

if TYPE_CHECKING:
    from ._client import Client
    from .emulator import EmulatorServer

__all__ = ["default_client", "shared_emulator", "wants_emulator"]

logger = logging.getLogger("hfwidgets")

_lock = threading.Lock()
_server: EmulatorServer | None = None


def wants_emulator(api_key: str | ApiKey | None, base_url: str | None) -> bool:
    """True when neither a key nor a base URL is given or set: the embedded emulator applies."""
    if isinstance(api_key, ApiKey) or (api_key or "").strip() or key_from_environment():
        return False
    return not ((base_url or "").strip() or os.environ.get(BASE_URL_ENV, "").strip())


def default_client(**kwargs: Any) -> Client:
    """`Client(**kwargs)`: the configured service, or the shared embedded emulator (see above)."""
    from ._client import Client

    return Client(**kwargs)


def shared_emulator(*, announce: bool = True) -> EmulatorServer:
    """The process-wide embedded emulator, started on first call and stopped at exit.

    The notice that videos are synthetic is logged when it starts, unless
    `announce=False` (the widgets show it in themselves, as a banner, not on stderr).

    Raises MissingKeyError (saying how to get a key or the emulator) when the
    "emulator" extra is not installed.
    """
    global _server
    with _lock:
        if _server is None:
            from ._errors import MissingKeyError
            from ._extras import available

            if not available("emulator"):
                raise MissingKeyError(emulator_installed=False)
            from .emulator import serve

            server = _server = serve().start()
            atexit.register(server.stop)
            if announce:
                logger.warning(
                    "hfwidgets: no API key (%s is not set), so requests go to a local emulator at %s and the "
                    "videos are synthetic. Set %s (or pass api_key=...) to use the real service.",
                    KEY_ENV,
                    server.base_url,
                    KEY_ENV,
                )
        return _server
