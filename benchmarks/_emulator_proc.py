"""An emulator in its own process, so a benchmark's CPU and memory figures are the client's alone.

    python -m benchmarks._emulator_proc [--realistic] [--seed N] [--render] [--rps N] [--submit-latency S]

Prints one JSON line `{"base_url": ..., "motions_url": ...}` once the server
accepts connections, then answers commands read from stdin, one JSON line each:
`counters` (the server's request counters), `tasks` (per task: status, model,
created_at and completed_at), `stop` (or end of input) stops it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import IO, Any

from ._common import REPO_ROOT

__all__ = ["EmulatorProcess", "main"]


def _timing(realistic: bool, seed: int) -> Any:
    from hfwidgets.emulator import Timing

    return Timing.realistic(seed=seed) if realistic else Timing()


def _state(value: Any) -> dict[str, Any]:
    def read(name: str) -> Any:
        return value.get(name) if isinstance(value, dict) else getattr(value, name, None)

    params = read("params") or {}
    return {
        "status": read("status"),
        "model": params.get("model"),
        "created_at": read("created_at"),
        "completed_at": read("completed_at"),
    }


def main() -> None:
    """Serve until told to stop."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realistic", action="store_true", help="realistic per-model job durations")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--render", action="store_true", help="render real clips (default: one shared clip)")
    parser.add_argument("--rps", type=float, default=None, help="global request-per-second limit")
    parser.add_argument("--motions", type=int, default=0, help="serve a catalogue of this many motions")
    parser.add_argument(
        "--submit-latency", type=float, default=0.0, help="seconds each generate/ads answer takes"
    )
    args = parser.parse_args()

    from hfwidgets.emulator import serve

    kwargs: dict[str, Any] = {"port": 0, "timing": _timing(args.realistic, args.seed), "render": args.render}
    if args.motions:
        from .bench_grid import many_motions

        kwargs["motions"] = many_motions(args.motions)
    with serve(**kwargs) as server:
        if args.rps:
            server.faults.max_requests_per_second(args.rps)
        if args.submit_latency:
            server.faults.delay("generate", args.submit_latency)
            server.faults.delay("ads", args.submit_latency)
        print(json.dumps({"base_url": server.base_url, "motions_url": server.motions_url}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "counters":
                print(json.dumps(dict(server.counters)), flush=True)
            elif command == "tasks":
                print(
                    json.dumps({key: _state(value) for key, value in dict(server.tasks).items()}), flush=True
                )
            elif command == "stop":
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)


@dataclass
class EmulatorProcess:
    """Client side of the above: `with EmulatorProcess(realistic=True) as emulator: emulator.base_url`."""

    realistic: bool = False
    seed: int = 1
    render: bool = False
    rps: float | None = None
    motions: int = 0
    submit_latency: float = 0.0
    base_url: str = ""
    motions_url: str = ""
    _process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        command = [sys.executable, "-m", "benchmarks._emulator_proc", "--seed", str(self.seed)]
        if self.realistic:
            command.append("--realistic")
        if self.render:
            command.append("--render")
        if self.rps:
            command += ["--rps", str(self.rps)]
        if self.motions:
            command += ["--motions", str(self.motions)]
        if self.submit_latency:
            command += ["--submit-latency", str(self.submit_latency)]
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        first = self._ask(None)
        self.base_url, self.motions_url = first["base_url"], first["motions_url"]
        return self

    def _ask(self, command: str | None) -> Any:
        assert self._process is not None and self._process.stdout is not None
        stdin: IO[str] | None = self._process.stdin
        if command is not None and stdin is not None:
            stdin.write(command + "\n")
            stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited (code {self._process.poll()})")
        return json.loads(line)

    def counters(self) -> dict[str, int]:
        """The server's per-endpoint request counters (faulted requests included)."""
        return dict(self._ask("counters"))

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Per task id: status, model, created_at and completed_at as the server records them."""
        return dict(self._ask("tasks"))

    @property
    def pid(self) -> int | None:
        """The emulator process id (for its own CPU figures)."""
        return self._process.pid if self._process else None

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        try:
            if self._process.stdin:
                self._process.stdin.write("stop\n")
                self._process.stdin.close()
            self._process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def __repr__(self) -> str:
        return (
            f"EmulatorProcess({self.base_url or 'not started'!r}, realistic={self.realistic}, rps={self.rps})"
        )


if __name__ == "__main__":
    main()
