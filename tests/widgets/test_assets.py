"""The views' ESM and CSS as composed in Python: they parse, never parse strings as HTML, use only
theme variables for colours, and every string they show is in the table in both languages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hfwidgets.widgets import AdsPanel, Comparison, Explorer, ImageInput, MotionGrid, ResultView, Studio
from hfwidgets.widgets._assets import STATIC, pack, unpack
from hfwidgets.widgets._i18n import LANGS, STRINGS, check_lang, default_lang, placeholders, tr

VIEWS = [AdsPanel, Comparison, Explorer, ImageInput, MotionGrid, ResultView, Studio]
_HEX_OR_RGB = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(|(?<![-\w])(?:white|black)(?![-\w])")


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_composed_esm_parses_as_a_module(view: type, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    esm = str(view._esm)  # type: ignore[attr-defined]
    for name, code in (("loader", esm), ("view", unpack(esm))):
        module = tmp_path / f"{view.__name__}-{name}.mjs"
        module.write_text(code, "utf-8")
        result = subprocess.run([node, "--check", str(module)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{name}: {result.stderr}"


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_each_view_exports_render_and_carries_its_css(view: type) -> None:
    esm = unpack(str(view._esm))  # type: ignore[attr-defined]
    assert "export default{render}" in esm
    assert esm.startswith("const STRINGS = ")
    assert ".hfw" in str(view._css)  # type: ignore[attr-defined]


def test_a_packed_esm_gives_its_code_back_in_well_under_half_the_bytes() -> None:
    code = unpack(str(Studio._esm))
    assert unpack(pack(code)) == code
    assert len(str(Studio._esm)) < 0.5 * len(code.encode())
    assert str(Studio._esm).endswith("export default view.default;\n")
    with pytest.raises(ValueError, match="pack"):
        unpack(code)


@pytest.mark.parametrize("path", sorted(STATIC.glob("*.js")), ids=lambda p: p.name)
def test_front_end_never_parses_strings_as_html(path: Path) -> None:
    source = path.read_text("utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(", source)


@pytest.mark.parametrize("path", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_colours_come_from_theme_variables_only(path: Path) -> None:
    """A colour may appear only as the fallback of a `var(--jp-...)`, for hosts without Lab's theme."""
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        without_fallbacks = re.sub(r"var\(--jp-[\w-]+,\s*[^()]*(?:\([^()]*\))?[^()]*\)", "var()", line)
        assert not _HEX_OR_RGB.search(without_fallbacks), f"{path.name}:{number}: {line.strip()}"


def test_both_languages_have_every_string_with_the_same_placeholders() -> None:
    assert set(STRINGS) == set(LANGS)
    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
    for key, text in STRINGS["en"].items():
        assert placeholders(STRINGS["zh"][key]) == placeholders(text), key
        assert STRINGS["zh"][key].strip(), key


def test_every_key_the_views_spell_out_is_in_the_table() -> None:
    used: set[str] = set()
    for path in STATIC.glob("*.js"):
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", path.read_text("utf-8")))
    assert used and used <= STRINGS["en"].keys(), used - STRINGS["en"].keys()


def test_accessible_names_are_the_english_ones() -> None:
    expected = {
        "search_motions": "Search motions", "motions": "Motions", "first_frame": "First frame",
        "last_frame": "Last frame", "first_frame_url": "First frame URL", "last_frame_url": "Last frame URL",
        "model": "Model", "seed": "Seed", "new_seed": "New seed", "keep_seed": "Keep seed", "size": "Size",
        "width": "Width", "height": "Height", "prompt": "Prompt", "enhance_prompt": "Enhance prompt",
        "generate": "Generate", "cancel": "Cancel", "copy_as_code": "Copy as code", "result": "Result",
        "download": "Download mp4", "history": "History", "use_params": "Use these parameters",
        "compare": "Compare", "compare_entry": "Compare {label}", "comparison": "Comparison",
        "play_all": "Play all", "pause_all": "Pause all", "position": "Position",
    }  # fmt: skip
    assert {key: STRINGS["en"][key] for key in expected} == expected


def test_language_checks_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import ValidationError

    assert check_lang("zh") == "zh"
    with pytest.raises(ValidationError, match="lang"):
        check_lang("fr")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert default_lang() == "zh"
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert default_lang() == "en"
    assert tr("zh", "n_motions", n=3) == "共 3 个动作"
