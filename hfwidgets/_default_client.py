"""The process's default Client: one per (base URL, key, home), shared by the widgets, `run()`
and `resume()` when they are given no client (one pacer, one ledger, one budget).

It sits above the Client: the Client never imports it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import Any

from ._client import Client
from ._config import ApiKey, home_dir

__all__ = ["default_client"]

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Client] = {}
"""The default clients: (base URL, key fingerprint, HFWIDGETS_HOME) -> Client."""
_SECRET = secrets.token_bytes(32)


def default_client(**kwargs: Any) -> Client:
    """The process's default Client: one per (base URL, key, home), made on first need.

    The widgets, `run()` and `resume()` built without a client all use it, so they
    share one pacer (a 429 learnt by one slows them all), one ledger and one budget
    (`default_client().budget = 100` caps them together). It talks to the configured
    service, or to the home's emulator (see `_session`; started again if it stopped). With
    `kwargs`, a new `Client(**kwargs)` of its own instead, not shared.
    """
    if kwargs:
        return Client(**kwargs)
    made = Client()
    identity = (made.base_url, _fingerprint(made._key), str(home_dir() or ""))
    with _lock:
        return _clients.setdefault(identity, made)


def _fingerprint(key: ApiKey) -> str:
    """A stand-in for the key in a dict key: keyed with a secret of this process, so that it
    reveals nothing when shown, and no one can test a guessed key against it."""
    return hmac.new(_SECRET, key.reveal().encode(), hashlib.sha256).hexdigest()
