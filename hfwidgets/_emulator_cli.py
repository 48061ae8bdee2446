"""The emulator's command-line options, readable without the emulator's libraries.

`hfwidgets emulator`, `hfwidgets-emulator` and `python -m hfwidgets.emulator` all
parse with `emulator_parser()`; it imports nothing of the `emulator` extra, so on
a core install `hfwidgets emulator --help` still shows the options before saying
which extra runs the emulator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["emulator_parser"]


def emulator_parser(prog: str = "hfwidgets emulator") -> argparse.ArgumentParser:
    """The emulator's options: --host, --port, --realistic, --seed, --no-render, and --home with its own."""
    parser = argparse.ArgumentParser(prog=prog, description="Local emulator of the Higgsfield video API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8123, help="port (0 picks a free one; default 8123)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="tasks take tens of seconds like the real service (lite ~35 s, standard ~75 s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the realistic durations (default 0)")
    parser.add_argument("--no-render", action="store_true", help="reuse one small clip for every task")
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="serve the emulator of this HFWIDGETS_HOME (127.0.0.1, its recorded port, tasks kept there)",
    )
    parser.add_argument("--seconds", type=float, default=None, help="with --home: seconds each task takes")
    parser.add_argument(
        "--idle-timeout", type=float, default=None, help="with --home: stop after this many idle seconds"
    )
    parser.add_argument("--detach", action="store_true", help=argparse.SUPPRESS)
    return parser
