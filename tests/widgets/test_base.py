"""The error line, and the functions that route callback and task failures into it."""

from __future__ import annotations

import asyncio

import pytest
import traitlets

from hfwidgets._errors import APIError, NoEventLoop
from hfwidgets.widgets import ImageInput
from hfwidgets.widgets._base import ErrorLine, describe_error, shows_errors, start_task

from .widget_support import from_view, sent_to_view


class Holder(traitlets.HasTraits):
    error = traitlets.Unicode("")


def ErrorArea() -> ErrorLine:
    return ErrorLine(Holder())


class Owner:
    def __init__(self) -> None:
        self.errors = ErrorArea()

    @shows_errors
    def explode(self, value: int) -> int:
        if value < 0:
            raise ValueError(f"negative: {value}")
        return value * 2


def test_shows_errors_puts_type_and_message_in_the_area() -> None:
    owner = Owner()
    assert owner.explode(2) == 4
    assert owner.errors.message == ""
    assert owner.explode(-1) is None
    assert owner.errors.message == "ValueError: negative: -1"


def test_messages_are_plain_text_with_keys_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_HK_API_KEY", "secret-value-123")
    area = ErrorArea()
    area.show(APIError("<b>bad</b> key hk-abcdef123456 and secret-value-123", status=401))
    assert "<b>bad</b>" in area.message  # the view writes it as text, never as HTML
    assert "hk-abcdef123456" not in area.message and "secret-value-123" not in area.message
    assert "HTTP 401" in area.message
    assert describe_error(RuntimeError()) == "RuntimeError"


async def test_start_task_reports_failures_but_not_cancellation() -> None:
    area = ErrorArea()

    async def fail() -> None:
        raise APIError("boom", status=503)

    task = start_task(fail(), area, name="test-fail")
    with pytest.raises(APIError):
        await task
    await asyncio.sleep(0)  # done callbacks run on the next loop iteration
    assert area.message == "APIError: HTTP 503: boom"

    quiet = ErrorArea()
    sleeper = start_task(asyncio.sleep(10), quiet, name="test-cancel")
    sleeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeper
    assert quiet.message == ""


def test_start_task_without_a_loop_says_what_to_do() -> None:
    async def never() -> None:  # pragma: no cover - closed unstarted
        pass

    with pytest.raises(NoEventLoop, match=r"hfwidgets\.run"):
        start_task(never(), ErrorArea(), name="no-loop")


def test_a_views_ping_is_answered_with_its_id() -> None:
    """A view asks whether a kernel is behind it (shared.js `watchConnection`)."""
    widget = ImageInput()
    sent = sent_to_view(widget)
    from_view(widget, {"type": "ping", "id": "7-abc"})
    assert sent == [({"type": "pong", "id": "7-abc"}, [])]
