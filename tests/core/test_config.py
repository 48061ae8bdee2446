"""Where the key and URLs come from, and that the key never shows itself."""

from __future__ import annotations

import pickle

import pytest

import hfwidgets
from hfwidgets._config import ApiKey, resolve_base_url, resolve_key, resolve_motions_url


def test_key_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_key("hk-arg").reveal() == "hk-arg"
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-env")
    assert resolve_key(None).reveal() == "hk-env"
    assert resolve_key("hk-arg").reveal() == "hk-arg"


def test_missing_key_names_the_variable_and_the_emulator() -> None:
    with pytest.raises(hfwidgets.MissingKeyError) as info:
        resolve_key(None)
    assert "OPENAI_HK_API_KEY" in str(info.value)
    assert "emulator" in str(info.value)


def test_api_key_never_shows_itself() -> None:
    key = ApiKey("hk-SECRET-123456")
    for text in (repr(key), str(key), f"{key}", repr([key])):
        assert "SECRET" not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_base_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_base_url(None) == "https://api.openai-hk.com"
    monkeypatch.setenv("OPENAI_HK_BASE_URL", "http://127.0.0.1:9999/")
    assert resolve_base_url(None) == "http://127.0.0.1:9999"
    assert resolve_base_url("https://proxy.example/") == "https://proxy.example"
    with pytest.raises(hfwidgets.ValidationError, match="base_url"):
        resolve_base_url("ftp://nope")


def test_motions_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_motions_url(None) == "https://fnf.higgsfield.ai/motions"
    monkeypatch.setenv("HFWIDGETS_MOTIONS_URL", "http://127.0.0.1:1/motions")
    assert resolve_motions_url(None) == "http://127.0.0.1:1/motions"
