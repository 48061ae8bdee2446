"""Probe every hostile case of the fault matrix once and print three figures: tried, typed, leaked.

    python -m tests.reliability.probe_hostile

Each row of `SCENARIOS` (hostile answers, dropped connections, deadlines, bad
keys, bad images, hostile video hosts, broken journals...) runs against its own
emulator with a canary key. A probe is "typed" when it ended, within 90 s, as
the row expects: success, or the row's error class (never a raw httpx,
RecursionError, UnicodeError, ValueError, TypeError or MemoryError, never a
hang). It "leaked" when the canary key appears anywhere in the error: its text,
chain, attributes or attached requests (see key_walk.py). Figures, not
assertions: the fault matrix asserts the same rows one by one.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from .key_walk import CANARY, leaks
from .reliability_scenarios import SCENARIOS, Scenario, run_scenario, serve_for

PROBE_TIMEOUT = 90.0


async def probe(scenario: Scenario, home: Path) -> tuple[bool, bool, str]:
    """(typed, leaked, what happened) for one row."""
    with serve_for(scenario) as server:
        try:
            run = await asyncio.wait_for(
                run_scenario(scenario, server, api_key=CANARY, home=home), PROBE_TIMEOUT
            )
        except asyncio.TimeoutError:
            return False, False, f"hung past {PROBE_TIMEOUT:g} s"
        except BaseException as raw:
            return False, bool(leaks(raw)), f"raw {type(raw).__name__}"
    error = run.error
    expected = scenario.raises
    typed = error is None if expected is None else isinstance(error, expected)
    return typed, bool(leaks(error)), "ok" if error is None else type(error).__name__


async def main() -> None:
    tried = typed = leaked = 0
    with tempfile.TemporaryDirectory() as folder:
        os.environ["HFWIDGETS_HOME"] = folder
        os.environ.pop("OPENAI_HK_API_KEY", None)
        for number, scenario in enumerate(SCENARIOS):
            home = Path(folder) / str(number)
            home.mkdir()
            ok, leak, what = await probe(scenario, home)
            tried, typed, leaked = tried + 1, typed + ok, leaked + leak
            flag = (
                ""
                if ok and not leak
                else "   <-- " + ("LEAK " if leak else "") + ("UNTYPED" if not ok else "")
            )
            print(f"{scenario.name:<72} {what}{flag}", flush=True)
    print(f"\nprobes tried: {tried}   typed outcome: {typed}   key leaked: {leaked}")


if __name__ == "__main__":
    asyncio.run(main())
