"""A local emulator of the Higgsfield video API: a real HTTP server that renders real mp4s.

With no API key, the demo, the notebooks and the tests all run against it.

    from hfwidgets.emulator import serve, Timing
    with serve(port=0, timing=Timing(queued=0.2, in_progress=1.0)) as server:
        client = server.client()
        server.faults.rate_limit("feed", count=2)      # see hfwidgets.emulator._faults
        server.counters["generate"], server.tasks[task_id].completed_at

From a shell: `python -m hfwidgets.emulator --port 8123 [--host H] [--realistic]`.

Knobs: `Timing` (fixed short durations, or `Timing.realistic()` drawing per-model
durations from a seeded lognormal), `serve(motions=[...])` for a custom catalogue,
`serve(render=False)` to reuse one small clip for every task, and the fault knobs
documented in `hfwidgets.emulator._faults`.
"""

from __future__ import annotations

from .._extras import require

# Checked before the imports below, so a missing library names the extra to install.
require("emulator", "The local emulator (hfwidgets.emulator)")

from ._app import create_app  # noqa: E402
from ._faults import Faults  # noqa: E402
from ._imagery import SAMPLE_NAMES  # noqa: E402
from ._server import API_KEY, EmulatorServer, serve  # noqa: E402
from ._state import Counters, EmulatorState  # noqa: E402
from ._tasks import REALISTIC_MEDIANS, TaskState, TaskStore, Timing  # noqa: E402

__all__ = [
    "API_KEY",
    "REALISTIC_MEDIANS",
    "SAMPLE_NAMES",
    "Counters",
    "EmulatorServer",
    "EmulatorState",
    "Faults",
    "TaskState",
    "TaskStore",
    "Timing",
    "create_app",
    "serve",
]
