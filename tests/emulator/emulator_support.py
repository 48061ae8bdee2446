"""Helpers for the emulator tests: task submission and waiting, over real HTTP with httpx."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import httpx
from PIL import Image

from hfwidgets import motions
from hfwidgets.emulator import EmulatorServer, Timing

AUTH = {"Authorization": "Bearer hk-test"}
FACE_PUNCH = "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"
STATIC = next(m.id for m in motions("static") if m.name == "Static")
SMALL: dict[str, Any] = {"width": 128, "height": 224}
FAST = Timing(queued=0.1, in_progress=0.4)


def data_url(colour: tuple[int, int, int], size: tuple[int, int] = (64, 112)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def generate_body(server: EmulatorServer, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "lite",
        "motion_id": FACE_PUNCH,
        "prompt": "the cat is eating",
        "enhance_prompt": True,
        "seed": 42,
        "image": [f"{server.base_url}/samples/cat.jpg"],
        **SMALL,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def submit(server: EmulatorServer, path: str = "/higgsfield/generate", **overrides: Any) -> str:
    body = generate_body(server, **overrides) if path.endswith("generate") else overrides
    response = httpx.post(server.base_url + path, json=body, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def read_feed(server: EmulatorServer, task_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/higgsfield/feed/{task_id}", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    feed: dict[str, Any] = response.json()
    return feed


def wait_for(
    server: EmulatorServer, task_id: str, *, until: set[str] | None = None, timeout: float = 60
) -> dict[str, Any]:
    """Poll the feed until every job's status is in `until` (default: terminal)."""
    until = until or {"completed", "failed", "nsfw", "canceled"}
    deadline = time.monotonic() + timeout
    while True:
        feed = read_feed(server, task_id)
        if feed["jobs"] and all(job["status"] in until for job in feed["jobs"]):
            return feed
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {[j['status'] for j in feed['jobs']]}")
        time.sleep(0.05)
