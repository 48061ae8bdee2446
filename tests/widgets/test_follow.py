"""The live region while a task runs (`_follow.Announcer`): each new status once, the progress of
one status at most every ANNOUNCE_SECONDS, while the visible progress line gets every tick."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfwidgets.widgets._follow import ANNOUNCE_SECONDS, Announcer

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_status_once_and_progress_every_ten_seconds() -> None:
    said: list[str] = []
    clock = Clock()
    announce = Announcer(said.append, clock=clock)
    announce("queued", "#1 queued · 0 s")
    for second in range(1, 25):  # 24 s in progress, a tick every half second
        for half in (0.0, 0.5):
            clock.now = 100.0 + second + half
            announce("in_progress", f"#1 in progress · {second + half:g} s")
    assert said == [
        "#1 queued · 0 s",
        "#1 in progress · 1 s",
        "#1 in progress · 11 s",
        "#1 in progress · 21 s",
    ]
    assert ANNOUNCE_SECONDS == 10.0


def test_a_status_that_comes_back_is_said_again() -> None:
    said: list[str] = []
    clock = Clock()
    announce = Announcer(said.append, clock=clock)
    announce("queued", "q")
    clock.now += 1
    announce("in_progress", "p")
    clock.now += 1
    announce("queued", "q again")
    assert said == ["q", "p", "q again"]
    assert repr(announce) == "Announcer(status='queued', every=10)"


def test_a_status_said_by_the_caller_is_not_said_again() -> None:
    said: list[str] = []
    clock = Clock()
    announce = Announcer(said.append, clock=clock, said="queued")
    announce("queued", "#1 queued · 0 s")
    clock.now += 10
    announce("queued", "#1 queued · 10 s")
    assert said == ["#1 queued · 10 s"]


async def test_one_generation_changes_the_studio_status_a_few_times_only(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    from .test_studio import click, make_studio

    studio = await make_studio(private_client, photo_bytes, motion="Face Punch")
    shown: list[str] = []
    result_lines: list[str] = []
    studio.observe(lambda change: shown.append(change["new"]), names="status")
    studio.observe(
        lambda change: result_lines.append(change["new"].get("status_text", "")), names="result_state"
    )
    click(studio, "generate")
    await studio.wait()
    # Submitting, submitted, in progress, done: no tick of the elapsed time in between.
    assert len(shown) <= 4, shown
    assert shown[0].startswith("Submitting #1")
    assert shown[1].startswith("#1 submitted: task ")
    assert shown[-1].startswith("#1 completed")
    assert len([line for line in shown if "in progress" in line]) <= 1, shown
    assert not [line for line in shown if "queued" in line], shown
    # The Result region's progress line still ticks.
    assert len({line for line in result_lines if "elapsed" in line}) >= 2, result_lines
