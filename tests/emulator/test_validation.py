"""Requests the documented service refuses get JSON 4xx errors naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hfwidgets.emulator import EmulatorServer

from .emulator_support import AUTH, data_url, generate_body

GENERATE_CASES: list[tuple[dict[str, Any], str]] = [
    ({"model": "ultra"}, "model must be one of lite, standard, turbo"),
    ({"model": ...}, "model must be one of"),
    ({"seed": 0}, "seed must be an integer in 1..1000000"),
    ({"seed": 1_000_001}, "seed must be an integer in 1..1000000"),
    ({"seed": "7"}, "seed must be an integer"),
    ({"seed": True}, "seed must be an integer"),
    ({"seed": 7.5}, "seed must be an integer"),
    ({"image": []}, "image must be a list of 1 or 2 images"),
    ({"image": ["https://a.test/1.jpg"] * 3}, "image must be a list of 1 or 2 images"),
    ({"image": "https://a.test/1.jpg"}, "image must be a list"),
    ({"image": ["ftp://a.test/1.jpg"]}, "image[0] must be an http(s) URL"),
    ({"image": ["https://a.test/1.jpg", "not a url"]}, "image[1] must be an http(s) URL"),
    ({"image": [42]}, "image[0] must be a string"),
    ({"image": ["data:image/png;base64,!!!notbase64"]}, "image[0] is not a decodable base64 image"),
    ({"image": ["data:image/png;base64,aGVsbG8="]}, "image[0] is not a decodable base64 image"),
    ({"image": ["data:text/plain;base64,aGVsbG8="]}, "image[0] must be an http(s) URL or a data:image"),
    ({"motion_id": "Face Punch"}, "motion_id must be a uuid string"),
    ({"motion_id": 12}, "motion_id must be a uuid string"),
    ({"width": 10}, "width must be an integer in 64..2048"),
    ({"height": 4096}, "height must be an integer in 64..2048"),
    ({"width": "736"}, "width must be an integer"),
    ({"height": ...}, "width and height must be given together"),
    ({"prompt": 5}, "prompt must be a string"),
    ({"enhance_prompt": "yes"}, "enhance_prompt must be a boolean"),
]


@pytest.mark.parametrize(("overrides", "message"), GENERATE_CASES, ids=[m for _, m in GENERATE_CASES])
def test_generate_refuses_invalid_fields(
    emulator: EmulatorServer, overrides: dict[str, Any], message: str
) -> None:
    response = httpx.post(
        f"{emulator.base_url}/higgsfield/generate", json=generate_body(emulator, **overrides), headers=AUTH
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["detail"]


ADS_CASES: list[tuple[dict[str, Any], str]] = [
    ({"product_placement_sample_id": ""}, "product_placement_sample_id must be a non-empty string"),
    ({"product_placement_sample_id": None}, "product_placement_sample_id must be a non-empty string"),
    ({"image": []}, "image must be a list of 1 or 2 images"),
    ({"size": "big"}, 'size must be a string like "1024x1024"'),
    ({"size": "1024x9000"}, "size must have each side in 64..2048"),
]


@pytest.mark.parametrize(("overrides", "message"), ADS_CASES, ids=[m for _, m in ADS_CASES])
def test_ads_refuses_invalid_fields(
    emulator: EmulatorServer, overrides: dict[str, Any], message: str
) -> None:
    body = {"product_placement_sample_id": "3hpZ2HB0xS688KnzMIwU16", "image": [data_url((1, 2, 3))],
            "size": "1024x1024", **overrides}  # fmt: skip
    response = httpx.post(f"{emulator.base_url}/higgsfield/ads", json=body, headers=AUTH)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize("path", ["/higgsfield/generate", "/higgsfield/ads"])
def test_body_must_be_a_json_object(emulator: EmulatorServer, path: str) -> None:
    broken = httpx.post(emulator.base_url + path, content=b"{not json", headers=AUTH)
    assert broken.status_code == 400 and broken.json()["detail"] == "body is not valid JSON"
    listing = httpx.post(emulator.base_url + path, json=[1, 2], headers=AUTH)
    assert listing.status_code == 400 and "JSON object" in listing.json()["detail"]


@pytest.mark.parametrize("path", ["/higgsfield/generate", "/higgsfield/ads"])
@pytest.mark.parametrize("header", [None, "hk-no-scheme", "Basic dXNlcjpwdw==", "Bearer"])
def test_submissions_need_a_bearer_token(emulator: EmulatorServer, path: str, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    before = len(emulator.tasks)
    response = httpx.post(emulator.base_url + path, json=generate_body(emulator), headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert len(emulator.tasks) == before


def test_any_bearer_token_is_accepted(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.base_url}/higgsfield/generate", json=generate_body(emulator),
        headers={"Authorization": "bearer anything-at-all"},
    )  # fmt: skip
    assert response.status_code == 200
    assert set(response.json()) == {"id"}


def test_motions_listing_refuses_a_bad_size(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.base_url}/motions", params={"size": "-3"})
    assert response.status_code == 422
    assert "size" in response.json()["detail"]
