"""MotionGrid, Python side: catalogue, selection, callbacks, filters and what is synced."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hfwidgets import ValidationError
from hfwidgets._catalog import bundled_motions
from hfwidgets._models import Motion, MotionPart
from hfwidgets.widgets._motion_grid import MotionGrid

STATIC = Path(__file__).resolve().parents[2] / "hfwidgets" / "widgets" / "static"
ITEM_KEYS = {"id", "name", "preview", "tags", "categories", "parts"}
HOSTILE = "<img src=x onerror=alert(1)>"


def _motion(name: str, ident: str, **kw: Any) -> Motion:
    return Motion(id=ident, name=name, **kw)


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def test_default_catalogue_is_the_bundled_one_sorted_by_priority() -> None:
    grid = MotionGrid()
    bundled = bundled_motions()
    assert [item["id"] for item in grid.items] == [m.id for m in bundled]
    by_id = {m.id: m for m in bundled}
    keys = [(by_id[item["id"]].priority, item["name"].casefold()) for item in grid.items]
    assert keys == sorted(keys)
    assert all(set(item) == ITEM_KEYS for item in grid.items)
    assert grid.value is None
    assert grid.selected_id is None


def test_given_motions_are_sorted_by_priority_then_name() -> None:
    grid = MotionGrid(
        [
            _motion("b", _uuid(1), priority=2),
            _motion("a", _uuid(2), priority=2),
            _motion("z", _uuid(3), priority=-1),
        ]
    )
    assert [m.name for m in grid.motions] == ["z", "a", "b"]
    assert [item["name"] for item in grid.items] == ["z", "a", "b"]


def test_mix_parts_are_serialised_with_their_strengths() -> None:
    grid = MotionGrid()
    mix = next(item for item in grid.items if item["parts"])
    assert "mix" in mix["tags"]
    assert all(set(part) == {"id", "name", "strength"} for part in mix["parts"])
    source = next(m for m in bundled_motions() if m.id == mix["id"])
    assert [(p["name"], p["strength"]) for p in mix["parts"]] == [(p.name, p.strength) for p in source.parts]


@pytest.mark.parametrize("how", ["motion", "id", "name", "name in other case"])
def test_value_accepts_a_motion_an_id_or_a_name(how: str) -> None:
    target = next(m for m in bundled_motions() if m.name == "Face Punch")
    choices: dict[str, Motion | str] = {
        "motion": target,
        "id": target.id,
        "name": "Face Punch",
        "name in other case": "fAcE pUnCh",
    }
    given = choices[how]
    grid = MotionGrid(value=given)
    assert grid.value == target
    assert grid.selected_id == target.id
    grid.value = None
    assert grid.value is None
    assert grid.selected_id is None


def test_a_mix_part_name_selects_that_part() -> None:
    mix = next(m for m in bundled_motions() if m.parts)
    part = mix.parts[0]
    grid = MotionGrid()
    grid.value = part.name
    assert grid.selected_id == part.id
    assert grid.value is not None
    assert grid.value.name == part.name


def test_an_ambiguous_name_is_refused_and_the_selection_kept() -> None:
    first, second, other = _motion("Zoom", _uuid(1)), _motion("Zoom", _uuid(2)), _motion("Pan", _uuid(3))
    grid = MotionGrid([first, second, other], value="Pan")
    with pytest.raises(ValidationError) as caught:
        grid.value = "zoom"
    assert caught.value.field == "motion"
    assert _uuid(1) in str(caught.value) and _uuid(2) in str(caught.value)
    assert grid.value == other
    grid.value = _uuid(2)  # the id settles it
    assert grid.value == second


def test_an_unknown_name_is_refused_with_suggestions() -> None:
    grid = MotionGrid()
    with pytest.raises(ValidationError, match="Face Punch"):
        grid.value = "face pun"
    assert grid.value is None


def test_on_select_and_observe_fire_on_every_change() -> None:
    grid = MotionGrid()
    picked: list[Motion | None] = []
    observed: list[tuple[str | None, str | None]] = []
    grid.on_select(picked.append)
    grid.observe(lambda change: observed.append((change["old"], change["new"])), names="selected_id")
    first, second = bundled_motions()[0], bundled_motions()[1]

    grid.value = first
    grid.set_state({"selected_id": second.id})  # what a click in the front end does
    grid.value = None

    assert picked == [first, second, None]
    assert observed == [(None, first.id), (first.id, second.id), (second.id, None)]


def test_a_failing_callback_is_shown_in_the_grid() -> None:
    grid = MotionGrid()

    def broken(motion: Motion | None) -> None:
        raise RuntimeError("cannot use this motion")

    grid.on_select(broken)
    grid.value = bundled_motions()[0]
    assert grid.error == "RuntimeError: cannot use this motion"
    assert grid.value == bundled_motions()[0]


def test_search_filters_by_name_and_mix_part_names_case_insensitively() -> None:
    grid = MotionGrid()
    assert grid.visible == grid.motions
    grid.search = "PUNCH"
    assert [m.name for m in grid.visible] == ["Face Punch"]
    grid.search = "melting"
    names = [m.name for m in grid.visible]
    assert "Turning Metal + Melting" in names
    grid.search = "no motion is called this"
    assert grid.visible == []


def test_category_filter_and_all() -> None:
    grid = MotionGrid()
    grid.category = "trending"
    trending = grid.visible
    assert trending
    assert all("trending" in m.categories for m in trending)
    assert len(trending) < len(grid.motions)
    for everything in ("all", ""):
        grid.category = everything
        assert grid.visible == grid.motions
    grid.category, grid.search = "trending", "arc"
    assert all("trending" in m.categories and "arc" in m.name.casefold() for m in grid.visible)


def test_hostile_strings_are_kept_as_data() -> None:
    hostile = Motion(
        id=_uuid(7),
        name=HOSTILE,
        preview_url='javascript:alert("x")',
        tags=("new", "<b>"),
        categories=("<script>alert(1)</script>",),
        parts=(MotionPart(id=_uuid(8), name="</div><svg onload=alert(1)>", strength=0.5),),
    )
    grid = MotionGrid([hostile])
    (item,) = grid.items
    assert item["name"] == HOSTILE
    assert item["preview"] == ""  # never a non-http(s) URL
    assert item["tags"] == ["new", "<b>"]
    assert item["categories"] == ["<script>alert(1)</script>"]
    assert item["parts"] == [{"id": _uuid(8), "name": "</div><svg onload=alert(1)>", "strength": 0.5}]
    state = json.dumps(grid.get_state(), ensure_ascii=False)
    assert HOSTILE in state
    assert "&lt;" not in state
    grid.value = HOSTILE
    assert grid.value == hostile


def test_motions_setter_keeps_a_selection_that_is_still_there() -> None:
    keep, drop, new = _motion("Keep", _uuid(1)), _motion("Drop", _uuid(2)), _motion("New", _uuid(3))
    grid = MotionGrid([keep, drop], value="Keep")
    picked: list[Motion | None] = []
    grid.on_select(picked.append)

    grid.motions = [new, keep]
    assert grid.value == keep
    assert [item["name"] for item in grid.items] == ["Keep", "New"]  # sorted by name
    assert picked == []

    grid.motions = [new]
    assert grid.value is None
    assert grid.selected_id is None
    assert picked == [None]


def test_repr_is_stable_and_readable() -> None:
    grid = MotionGrid(value="Face Punch")
    assert repr(grid) == f"MotionGrid({len(bundled_motions())} motions, selected='Face Punch')"
    assert repr(MotionGrid([])) == "MotionGrid(0 motions)"


def test_grid_root_and_hooks_are_in_the_front_end() -> None:
    source = (STATIC / "grid.js").read_text("utf-8")
    for hook in (
        "hfw-motion-grid",
        "hfw-motion-search",
        "hfw-chip",
        "hfw-motion-tile",
        "data-motion-id",
        "aria-selected",
        "hfw-motion-name",
        "hfw-motion-preview",
        "hfw-badge",
        "data-tag",
        "data-category",
        "IntersectionObserver",
        "aria-pressed",
        '"listbox"',
        '"option"',
    ):
        assert hook in source


def test_a_thousand_motions_serialise_quickly() -> None:
    catalogue = [
        _motion(
            f"Motion {n:04d}",
            _uuid(n),
            preview_url=f"http://127.0.0.1:9/{n}.webp",
            priority=n % 7,
            categories=("vfx",) if n % 3 else ("trending",),
        )
        for n in range(1000)
    ]
    started = time.perf_counter()
    grid = MotionGrid(catalogue)
    state_bytes = len(json.dumps(grid.get_state()["items"]))
    elapsed = time.perf_counter() - started
    print(f"\n1,000 motions: built and serialised in {elapsed * 1000:.1f} ms, state {state_bytes} bytes")
    assert len(grid.items) == 1000
