"""Request building and validation: every rule refuses with a ValidationError naming field and value."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfwidgets import AdsRequest, GenerateRequest, ValidationError
from hfwidgets._models import MAX_VIDEO_SIDE, MIN_VIDEO_SIDE, MODELS
from hfwidgets._requests import (
    MAX_ADS_IMAGES,
    MAX_PROMPT_CHARS,
    build_ads_body,
    build_generate_body,
    check_image_values,
    check_seed,
    check_side,
    image_inputs,
    parse_size,
)

FIXTURES = Path(__file__).parent.parent / "data"  # the provider's example payloads
MOTION_ID = "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"
URL = "https://example.test/cat.jpg"


def generate(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "images": [URL],
        "motion_id": MOTION_ID,
        "prompt": "eating",
        "model": "lite",
        "seed": 374487,
        "width": 736,
        "height": 1312,
        "enhance_prompt": True,
    }
    fields.update(overrides)
    return build_generate_body(**fields)


def test_generate_body_matches_the_provider_example() -> None:
    example = json.loads((FIXTURES / "generate_request.json").read_text("utf-8"))
    body = build_generate_body(
        images=example["image"],
        motion_id=example["motion_id"],
        prompt=example["prompt"],
        model=example["model"],
        seed=example["seed"],
        width=example["width"],
        height=example["height"],
        enhance_prompt=example["enhance_prompt"],
    )
    assert body == example


def test_ads_body_matches_the_provider_example() -> None:
    example = json.loads((FIXTURES / "ads_request.json").read_text("utf-8"))
    body = build_ads_body(
        images=example["image"], template_id=example["product_placement_sample_id"], size=example["size"]
    )
    assert body == example


@pytest.mark.parametrize("model", ["Lite", "pro", "", None, 5])
def test_model_outside_the_list_is_refused(model: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(model=model)
    assert caught.value.field == "model"
    assert caught.value.value == model
    assert all(name in str(caught.value) for name in MODELS)


@pytest.mark.parametrize("seed", [0, -1, 1_000_001, True, False, 3.0, "12", None])
def test_seed_must_be_an_int_in_range(seed: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(seed=seed)
    assert caught.value.field == "seed"
    assert "1 to 1000000" in str(caught.value)


@pytest.mark.parametrize("seed", [1, 500, 1_000_000])
def test_seed_bounds_are_inclusive(seed: int) -> None:
    assert generate(seed=seed)["seed"] == seed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("width", 63),
        ("width", MAX_VIDEO_SIDE + 8),
        ("height", 0),
        ("height", 730),
        ("width", 736.0),
        ("height", True),
        ("width", "736"),
        ("height", None),
    ],
)
def test_sides_must_be_ints_in_range_and_multiples_of_8(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(**{field: value})
    assert caught.value.field == field
    assert "multiple of 8" in str(caught.value)


def test_a_side_off_the_grid_suggests_neighbours() -> None:
    with pytest.raises(ValidationError, match="try 728 or 736"):
        check_side("width", 730)


def test_prompt_must_be_a_short_string() -> None:
    assert generate(prompt="")["prompt"] == ""
    assert generate(prompt="x" * MAX_PROMPT_CHARS)["prompt"] == "x" * MAX_PROMPT_CHARS
    with pytest.raises(ValidationError, match=f"at most {MAX_PROMPT_CHARS}") as caught:
        generate(prompt="x" * (MAX_PROMPT_CHARS + 1))
    assert caught.value.field == "prompt"
    with pytest.raises(ValidationError) as caught:
        generate(prompt=None)
    assert caught.value.field == "prompt"


@pytest.mark.parametrize("flag", [1, 0, "yes", None])
def test_enhance_prompt_must_be_a_bool(flag: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(enhance_prompt=flag)
    assert caught.value.field == "enhance_prompt"


@pytest.mark.parametrize("images", [[], [URL, URL, URL], URL, None])
def test_body_takes_one_or_two_image_values(images: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(images=images)
    assert caught.value.field == "image"


@pytest.mark.parametrize("value", ["ftp://x/a.jpg", "/tmp/a.jpg", "data:text/plain;base64,aGk=", b"x"])
def test_each_image_value_is_a_url_or_an_image_data_url(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        check_image_values([URL, value])
    assert caught.value.field == "image[1]"


def test_two_images_are_first_and_last_frame() -> None:
    body = generate(images=[URL, "data:image/jpeg;base64,/9j/"])
    assert body["image"] == [URL, "data:image/jpeg;base64,/9j/"]


@pytest.mark.parametrize("motion_id", [" ", "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e\n"])
def test_blank_or_newline_motion_id_is_refused(motion_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        generate(motion_id=motion_id)
    assert caught.value.field == "motion"


@pytest.mark.parametrize(
    ("image", "count"), [("a.jpg", 1), (["a.jpg"], 1), (("a.jpg", "b.jpg"), 2), (b"\xff\xd8", 1)]
)
def test_image_inputs_split_only_lists_and_tuples(image: Any, count: int) -> None:
    assert len(image_inputs(image)) == count


@pytest.mark.parametrize("image", [[], ["a", "b", "c"], None, ["a", None]])
def test_image_inputs_refuse_zero_three_or_none(image: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        image_inputs(image)
    assert caught.value.field.startswith("image")


def test_image_inputs_never_show_image_bytes_in_the_error() -> None:
    with pytest.raises(ValidationError) as caught:
        image_inputs([b"\x89PNG secret pixels"] * 3)
    assert "secret" not in str(caught.value)
    assert "3 images" in str(caught.value)


@pytest.mark.parametrize("template_id", ["", " ", "a b", "a/b", "abc\n", None, 12])
def test_ads_template_id_must_be_a_plain_non_empty_string(template_id: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        build_ads_body(images=[URL], template_id=template_id)
    assert caught.value.field == "template_id"


@pytest.mark.parametrize(
    "size", ["1024", "1024x", "x1024", "1024*1024", "1001x1000", "32x32", "4096x1024", None]
)
def test_ads_size_must_be_w_x_h_within_limits(size: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        build_ads_body(images=[URL], template_id="3hpZ2HB0xS688KnzMIwU16", size=size)
    assert caught.value.field == "size"


def test_ads_size_is_normalised() -> None:
    body = build_ads_body(images=[URL], template_id="abc", size=" 1024 X 768 ")
    assert body["size"] == "1024x768"
    assert parse_size("736x1312") == (736, 1312)


def test_ads_take_up_to_the_documented_number_of_images() -> None:
    assert len(build_ads_body(images=[URL] * MAX_ADS_IMAGES, template_id="abc")["image"]) == MAX_ADS_IMAGES
    with pytest.raises(ValidationError):
        build_ads_body(images=[URL] * (MAX_ADS_IMAGES + 1), template_id="abc")


@given(st.integers(min_value=-10, max_value=1_000_010))
def test_seed_rule_is_exactly_the_documented_range(seed: int) -> None:
    if 1 <= seed <= 1_000_000:
        assert check_seed(seed) == seed
    else:
        with pytest.raises(ValidationError):
            check_seed(seed)


@given(st.integers(min_value=0, max_value=MAX_VIDEO_SIDE + 64))
def test_side_rule_is_exactly_range_and_multiple_of_8(side: int) -> None:
    valid = MIN_VIDEO_SIDE <= side <= MAX_VIDEO_SIDE and side % 8 == 0
    if valid:
        assert check_side("width", side) == side
    else:
        with pytest.raises(ValidationError):
            check_side("width", side)


# --------------------------------------------------------------------------- request objects


def test_generate_request_takes_the_arguments_of_client_generate() -> None:
    request = GenerateRequest(URL, "Face Punch", "eating", model="turbo", seed=5, width=736, height=1312)
    assert request.image == (URL,)
    assert request.motion.name == "Face Punch"
    assert (request.model, request.seed, request.size, request.enhance_prompt) == (
        "turbo",
        5,
        (736, 1312),
        True,
    )
    body = request.to_body(["data:image/jpeg;base64,/9j/"])
    assert body["motion_id"] == request.motion.id
    assert body["image"] == ["data:image/jpeg;base64,/9j/"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"model": "pro"}, "model"),
        ({"seed": 0}, "seed"),
        ({"width": 730, "height": 736}, "width"),
        ({"width": 736}, "height"),
        ({"prompt": None}, "prompt"),
        ({"enhance_prompt": 1}, "enhance_prompt"),
        ({"image": None}, "image"),
        ({"image": [URL, URL, URL]}, "image"),
        ({"motion": "no such motion at all"}, "motion"),
    ],
)
def test_generate_request_refuses_each_bad_field_by_name(overrides: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"image": URL, "motion": "Face Punch"}
    arguments.update(overrides)
    with pytest.raises(ValidationError) as caught:
        GenerateRequest(**arguments)
    assert caught.value.field == field


def test_generate_request_is_frozen_and_replace_validates_again() -> None:
    request = GenerateRequest(URL, "Face Punch")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.seed = 3  # type: ignore[misc]
    assert dataclasses.replace(request, seed=3).seed == 3
    with pytest.raises(ValidationError, match="seed"):
        dataclasses.replace(request, seed=-3)


def test_generate_request_needs_seed_and_size_for_a_body() -> None:
    request = GenerateRequest(URL, "Face Punch")
    assert request.seed is None and request.size is None
    with pytest.raises(ValidationError, match="seed"):
        request.to_body([URL])
    with pytest.raises(ValidationError, match="width"):
        dataclasses.replace(request, seed=1).to_body([URL])


def test_from_args_takes_a_request_alone_or_the_fields_of_one() -> None:
    request = GenerateRequest(URL, "Face Punch", seed=9)
    assert GenerateRequest.from_args(request) is request
    assert GenerateRequest.from_args(URL, "Face Punch", seed=9) == request
    with pytest.raises(ValidationError) as caught:
        GenerateRequest.from_args(request, seed=10)
    assert caught.value.field == "seed"
    with pytest.raises(ValidationError) as caught:
        GenerateRequest.from_args(URL)
    assert caught.value.field == "motion"


def test_request_reprs_show_no_image_bytes() -> None:
    request = GenerateRequest(
        [b"\x89PNG secret pixels", "data:image/png;base64," + "A" * 5000], "Face Punch", seed=3
    )
    shown = repr(request)
    assert "secret" not in shown and "AAAA" not in shown
    assert shown.startswith("GenerateRequest(image=[<bytes>, <data URL, 5022 chars>], motion='Face Punch'")
    ads = AdsRequest(Path("bottle.png"), "abc", size="512X512")
    assert repr(ads) == "AdsRequest(image='bottle.png', template_id='abc', size='512x512')"


def test_ads_request_validates_and_builds_the_body() -> None:
    request = AdsRequest([URL, URL], "3hpZ2HB0xS688KnzMIwU16", size=" 1024 X 768 ")
    assert (request.size, request.width, request.height) == ("1024x768", 1024, 768)
    assert request.to_body([URL, URL]) == {
        "product_placement_sample_id": "3hpZ2HB0xS688KnzMIwU16",
        "image": [URL, URL],
        "size": "1024x768",
    }
    for arguments, field in [
        (([URL], "a b"), "template_id"),
        (([URL] * (MAX_ADS_IMAGES + 1), "abc"), "image"),
    ]:
        with pytest.raises(ValidationError) as caught:
            AdsRequest(*arguments)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        AdsRequest(URL, "abc", size="10x10")
    assert caught.value.field == "size"
    assert AdsRequest.from_args(request) is request
    with pytest.raises(ValidationError) as caught:
        AdsRequest.from_args(URL)
    assert caught.value.field == "template_id"
