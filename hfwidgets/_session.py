"""The default client: the real service when a key is set, else a shared embedded emulator.

Without `OPENAI_HK_API_KEY` the Studio and the blocking facade still work: they
talk to one emulator server started on first need in this process (a real HTTP
server on 127.0.0.1 making synthetic videos) and stopped when the process exits.
A notice says so once.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import TYPE_CHECKING, Any

from ._config import KEY_ENV, key_from_environment

if TYPE_CHECKING:
    from ._client import Client
    from .emulator import EmulatorServer

__all__ = ["default_client", "shared_emulator"]

logger = logging.getLogger("hfwidgets")

_lock = threading.Lock()
_server: EmulatorServer | None = None


def default_client(**kwargs: Any) -> Client:
    """A Client on the real service when a key is given or set, else on the shared embedded emulator.

    Keyword arguments go to `Client` (or to `server.client()` for the emulator).
    """
    from ._client import Client

    if kwargs.get("api_key") or key_from_environment():
        return Client(**kwargs)
    server = shared_emulator()
    kwargs.pop("api_key", None)
    kwargs.pop("base_url", None)
    return server.client(**kwargs)


def shared_emulator() -> EmulatorServer:
    """The process-wide embedded emulator, started on first call and stopped at exit."""
    global _server
    with _lock:
        if _server is None:
            from .emulator import serve

            server = _server = serve().start()
            atexit.register(server.stop)
            logger.warning(
                "hfwidgets: no API key (%s is not set), so requests go to a local emulator at %s and the "
                "videos are synthetic. Set %s (or pass api_key=...) to use the real service.",
                KEY_ENV,
                server.base_url,
                KEY_ENV,
            )
        return _server
