"""The motion listing, previews, samples and custom catalogues."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from hfwidgets import Motion
from hfwidgets.emulator import SAMPLE_NAMES, EmulatorServer, Timing, serve

from .emulator_support import AUTH, submit, wait_for

SNAPSHOT = json.loads((Path(__file__).parents[2] / "hfwidgets" / "data" / "motions.json").read_text())


def test_listing_matches_the_snapshot_with_previews_served_here(emulator: EmulatorServer) -> None:
    listing = httpx.get(emulator.motions_url).json()
    assert {m["id"] for m in listing} == {m["id"] for m in SNAPSHOT}
    by_id = {m["id"]: m for m in SNAPSHOT}
    for motion in listing:
        original = by_id[motion["id"]]
        assert set(original) == set(motion)  # mixes keep having no "categories" key
        assert motion["media"]["url"] == f"{emulator.base_url}/previews/{motion['id']}.webp"
        assert motion["media"]["width"] == original["media"]["width"]
        for part in motion.get("mix", []):
            assert part["media"]["url"].startswith(f"{emulator.base_url}/previews/")


def test_listing_size_and_search(emulator: EmulatorServer) -> None:
    assert len(httpx.get(emulator.motions_url, params={"size": 5}).json()) == 5
    found = httpx.get(emulator.motions_url, params={"size": 30, "search": "melting"}).json()
    assert {m["name"] for m in found} == {"Melting", "Turning Metal + Melting"}
    assert httpx.get(emulator.motions_url, params={"search": "zzz-nothing"}).json() == []


@pytest.mark.parametrize("name", ["Eyes In", "Turning Metal + Melting", "Disintegration"])
def test_previews_are_animated_webp(emulator: EmulatorServer, name: str) -> None:
    motion = next(m for m in httpx.get(emulator.motions_url).json() if m["name"] == name)
    response = httpx.get(motion["media"]["url"], timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "WEBP" and getattr(picture, "n_frames", 1) > 1
    assert picture.size == (320, round(320 * motion["media"]["height"] / motion["media"]["width"]))
    assert httpx.get(motion["media"]["url"]).content == response.content  # cached


def test_preview_of_a_mix_part_missing_from_the_listing(emulator: EmulatorServer) -> None:
    mix = next(m for m in httpx.get(emulator.motions_url).json() if m["name"].startswith("Thunder God"))
    part = next(p for p in mix["mix"] if p["name"] == "Thunder God")
    part_preview = Image.open(io.BytesIO(httpx.get(part["media"]["url"], timeout=60).content))
    assert getattr(part_preview, "n_frames", 1) > 1
    assert httpx.get(f"{emulator.base_url}/previews/not-a-motion.webp").status_code == 404


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_are_jpegs(emulator: EmulatorServer, name: str) -> None:
    response = httpx.get(f"{emulator.base_url}/samples/{name}.jpg")
    assert response.status_code == 200
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG" and min(picture.size) >= 512


def test_unknown_sample_lists_the_known_ones(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.base_url}/samples/dog.jpg")
    assert response.status_code == 404
    assert "portrait.jpg" in response.json()["detail"]


def listing_entry(motion_id: str, name: str, priority: int) -> dict[str, object]:
    media = {"width": 320, "height": 180, "url": "https://elsewhere.test/p.webp", "type": "animated"}
    return {"id": motion_id, "name": name, "media": media, "priority": priority, "tags": [], "params": None,
            "categories": ["vfx"]}  # fmt: skip


def test_custom_catalogue_with_hostile_names_and_a_thousand_motions() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    custom: list[dict[str, object] | Motion] = [
        listing_entry("aaaaaaaa-0000-4000-8000-000000000000", hostile, priority=-1),
        Motion(id="bbbbbbbb-0000-4000-8000-000000000000", name="Made In Python", preview_width=320),
    ]
    custom += [
        listing_entry(f"{n:08x}-1111-4111-8111-111111111111", f"Motion number {n}", n) for n in range(998)
    ]
    with serve(timing=Timing(queued=0.05, in_progress=0.1), motions=custom) as server:
        listing = httpx.get(server.motions_url).json()
        assert len(listing) == 1000
        assert listing[0]["name"] == hostile
        assert listing[1]["name"] == "Made In Python"
        assert httpx.get(server.motions_url, params={"search": "onerror"}).json()[0]["name"] == hostile
        preview = httpx.get(listing[0]["media"]["url"], timeout=60)
        assert getattr(Image.open(io.BytesIO(preview.content)), "n_frames", 1) > 1
        feed = wait_for(server, submit(server, motion_id="aaaaaaaa-0000-4000-8000-000000000000"))
        assert feed["params"]["motion"]["name"] == hostile
        assert feed["jobs"][0]["status"] == "completed"
        assert httpx.get(f"{server.base_url}/higgsfield/feed/{feed['id']}", headers=AUTH).status_code == 200
