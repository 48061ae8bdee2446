"""One state per process: widgets and `run()` built without a client share one default Client per
(base URL, key), so one pacer, one ledger, one budget; and the budget has one rule, shown by every
cost line exactly as the guard applies it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hfwidgets import BudgetExceeded, SubmissionUncertain
from hfwidgets.emulator import EmulatorServer
from hfwidgets.widgets import Explorer, Studio

from .widget_support import fast_client, png_bytes

SCRIPT = textwrap.dedent(
    """
    import sys
    import hfwidgets
    from hfwidgets.widgets import AdsPanel, Explorer, Studio

    image = sys.argv[1]
    first, second = Studio(image=image), Studio()
    shared = first.client
    assert second.client is shared, "two Studios, two clients"
    assert AdsPanel().client is shared and Explorer(image, ["Face Punch"]).client is shared
    explicit = hfwidgets.Client(journal=False)
    assert Studio(explicit).client is explicit, "client= not honoured"

    shared.budget = 12  # one budget for every widget and run() of the process
    feed = hfwidgets.run(image, "Face Punch", width=256, height=256, progress=False)
    assert feed.status == "completed", feed
    print("SPENT", shared.spent, explicit.spent)
    print("COST", second.cost_line())  # followed the ledger by itself
    try:
        hfwidgets.run(image, "Face Punch", model="standard", width=256, height=256, progress=False)
    except hfwidgets.BudgetExceeded as refused:
        print("REFUSED", refused)
    print("CLIENTS", repr(hfwidgets._default_client._clients))
    """
)


def test_widgets_and_run_share_one_default_client(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(png_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL")}
    env["HFWIDGETS_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(image)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["SPENT"] == "5 0"  # run() booked its points on the widgets' ledger
    assert "spent so far: 5 pts of 12 (7 left)" in lines["COST"]
    assert "costs 10 points, 5 already spent, budget is 12 (7 left)" in lines["REFUSED"]
    assert "hk-emulator" not in lines["CLIENTS"]  # the key is never part of what can be shown


def test_one_default_client_per_base_url_and_key(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwidgets import _default_client

    monkeypatch.setattr(_default_client, "_clients", {})
    monkeypatch.setenv("OPENAI_HK_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-first-key-0001")
    first = _default_client.default_client()
    assert _default_client.default_client() is first
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-second-key-0002")
    second = _default_client.default_client()
    assert second is not first and _default_client.default_client() is second
    monkeypatch.setenv("OPENAI_HK_BASE_URL", emulator.base_url + "/")  # the same service, written otherwise
    assert _default_client.default_client() is second
    shown = repr(_default_client._clients) + str(list(_default_client._clients))
    assert "first-key" not in shown and "second-key" not in shown
    assert _default_client.default_client(journal=False) is not second  # options: a client of its own


async def test_the_cost_line_shows_what_the_guard_allows(private_emulator: EmulatorServer) -> None:
    client = fast_client(private_emulator, budget=30)
    image = png_bytes()
    try:
        # 5 points uncertain: the connection dropped after the service took the task.
        private_emulator.faults.drop_connection("generate", processed=True)
        with pytest.raises(SubmissionUncertain):
            await client.generate(image, "Face Punch", width=256, height=256)
        # 5 points in flight: a submission the service is slow to answer.
        private_emulator.faults.delay("generate", 30.0, count=1)
        studio = Studio(client, image=image, motion="Face Punch", resume_pending=False)
        explorer = Explorer(image, ["Face Punch", "Eyes In"], [1, 2, 3], client=client)  # 6 x 5 points
        loop = asyncio.get_running_loop()
        sent = asyncio.Event()

        def on_ledger() -> None:
            if client.in_flight:
                loop.call_soon_threadsafe(sent.set)

        client.watch_ledger(on_ledger)
        sending = studio.generate()
        assert sending is not None
        await asyncio.wait_for(sent.wait(), 60)  # the POST is being sent; the service holds it
        assert (client.spent, client.uncertain, client.in_flight) == (0, 5, 5)

        left = client.remaining
        assert left == 20  # budget 30 - 5 uncertain - 5 in flight; the old line said 30
        # The widgets' refreshes were scheduled on this loop before `sent` was set: they have run.
        assert f"of 30 ({left} left)" in studio.cost["text"]  # the line followed the ledger by itself
        assert "5 pts uncertain" in studio.cost["text"] and "5 pts being sent" in studio.cost["text"]
        client.check_budget(left)  # what the line says is left is allowed...
        with pytest.raises(BudgetExceeded) as refused:
            client.check_budget(left + 1)  # ...and not a point more
        assert refused.value.left == left
        assert f"({left} left: 5 uncertain and 5 in flight counted too)" in str(refused.value)

        # The Explorer's line followed too: 30 points asked, 20 left: warned, and refused the same way.
        assert explorer.cost["warning"] and f"({left} left" in explorer.cost["text"]
        assert explorer.generate() is None and "BudgetExceeded" in explorer.error
        studio.cancel()
        sending.cancel()
    finally:
        private_emulator.faults.clear()
        await client.aclose()
