"""The bundled motion catalogue and motion lookup by Motion, id or name."""

from __future__ import annotations

import pytest

import hfwidgets
from hfwidgets import Motion, ValidationError
from hfwidgets._catalog import bundled_motions, parse_motions, resolve_motion


def test_bundled_snapshot_has_thirty_sorted_by_priority() -> None:
    items = bundled_motions()
    assert len(items) == 30
    priorities = [m.priority for m in items]
    assert priorities == sorted(priorities)
    assert items[0].name == "Eyes In"  # the only priority -1


def test_mixes_keep_their_parts_and_strengths() -> None:
    mix = next(m for m in bundled_motions() if m.name == "Turning Metal + Melting")
    assert mix.is_mix and mix.categories == ()  # the snapshot's mixes have no categories key
    assert [(p.name, p.strength) for p in mix.parts] == [("Turning Metal", 0.85), ("Melting", 0.6)]
    assert "Turning Metal@0.85 + Melting@0.6" in repr(mix)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"search": "punch"}, ["Face Punch"]),
        ({"search": "ARC"}, ["Arc Left", "Arc Right"]),
        ({"search": "thunder"}, ["Thunder God + Turning Metal"]),  # matches a mix part's name
        ({"category": "basic_camera_control"}, ["Static"]),
        ({"tag": "mix"}, ["Turning Metal + Melting", "Thunder God + Turning Metal"]),
        ({"search": "arc", "tag": "top_choice", "category": "trending"}, ["Arc Left", "Arc Right"]),
        ({"search": "no such motion"}, []),
    ],
)
def test_motions_filters(kwargs: dict[str, str], expected: list[str]) -> None:
    assert [m.name for m in hfwidgets.motions(**kwargs)] == expected


def test_resolve_by_name_is_case_insensitive() -> None:
    assert resolve_motion("  face PUNCH ").id == "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"


def test_resolve_by_id_and_passthrough() -> None:
    motion = resolve_motion("CD5BFD11-5A1A-46E0-9294-B22B0B733B1E")
    assert motion.name == "Face Punch"
    assert resolve_motion(motion) is motion
    unknown = resolve_motion("00000000-0000-4000-8000-000000000000")
    assert unknown.id == "00000000-0000-4000-8000-000000000000"


def test_ambiguous_name_lists_candidates_with_ids() -> None:
    with pytest.raises(ValidationError) as info:
        resolve_motion("melting")
    message = str(info.value)
    assert info.value.field == "motion"
    assert "ed15397e-0a3d-49e3-add4-b9529698a8ad" in message
    assert "d8c13031-7117-4a3d-9a30-6a00d0d408b4" in message


def test_mix_part_not_listed_alone_is_resolvable() -> None:
    assert resolve_motion("Thunder God").id == "ca0568ee-6a0f-4134-a4ee-97dfe44753ba"


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(ValidationError, match="did you mean 'Face Punch'"):
        resolve_motion("face pnch")


@pytest.mark.parametrize("bad", ["", "   ", 42, None])
def test_resolve_rejects_non_motions(bad: object) -> None:
    with pytest.raises(ValidationError, match="motion"):
        resolve_motion(bad)  # type: ignore[arg-type]


def test_parse_motions_accepts_wrapped_listings_and_rejects_garbage() -> None:
    entry = {"id": "m1", "name": "Zed", "priority": 2}
    wrapped = parse_motions({"items": [entry, {"id": "m0", "name": "Alpha", "priority": 2}]})
    assert [m.name for m in wrapped] == ["Alpha", "Zed"]
    with pytest.raises(hfwidgets.MalformedResponse):
        parse_motions("nope")
    with pytest.raises(hfwidgets.MalformedResponse):
        parse_motions([{"name": "no id"}])


def test_motion_round_trips_through_json() -> None:
    for motion in bundled_motions():
        assert Motion.from_json(motion.to_json()) == motion
