"""`hfwidgets.__all__` is pinned against what the package defines and exposes."""

from __future__ import annotations

import re
import types
from pathlib import Path

import hfwidgets


def test_all_is_sorted_and_unique() -> None:
    assert len(set(hfwidgets.__all__)) == len(hfwidgets.__all__)
    constants = [n for n in hfwidgets.__all__ if n.isupper()]
    classes = [n for n in hfwidgets.__all__ if n[0].isupper() and not n.isupper()]
    functions = [n for n in hfwidgets.__all__ if n[0].islower()]
    assert hfwidgets.__all__ == sorted(constants) + sorted(classes) + sorted(functions)


def test_every_exported_name_resolves_to_an_hfwidgets_object() -> None:
    for name in hfwidgets.__all__:
        value = getattr(hfwidgets, name)
        if isinstance(value, types.ModuleType):
            assert value.__name__ == f"hfwidgets.{name}"
        elif isinstance(value, (type, types.FunctionType)):
            assert value.__module__.startswith("hfwidgets."), name
            assert value.__name__ == name


def test_every_public_attribute_is_exported() -> None:
    for name in hfwidgets.__all__:
        getattr(hfwidgets, name)  # load every lazy name, so `vars` holds them all
    public = {
        name
        for name, value in vars(hfwidgets).items()
        if not name.startswith("_") and not (isinstance(value, types.ModuleType) and name != "emulator")
    }
    assert public == set(hfwidgets.__all__)
    assert {n for n in dir(hfwidgets) if not n.startswith("_")} - {"widgets"} == set(hfwidgets.__all__)


def test_lazy_names_are_exactly_the_exported_ones_not_imported_eagerly() -> None:
    lazy = set(hfwidgets._LAZY)
    assert lazy <= set(hfwidgets.__all__)
    for name in lazy:
        module = __import__("hfwidgets." + hfwidgets._LAZY[name].lstrip("."), fromlist=[name])
        assert getattr(module, name) is getattr(hfwidgets, name)


def test_every_widget_and_compare_are_exported() -> None:
    from hfwidgets import widgets

    assert set(widgets.__all__) <= set(hfwidgets.__all__)
    assert {"Comparison", "compare"} <= set(widgets.__all__)
    assert hfwidgets.compare is widgets.compare


def test_names_the_readme_uses_are_exported() -> None:
    # The README's extras table names video_info(); the command line's exit code 5 is NetworkError.
    assert {"video_info", "NetworkError"} <= set(hfwidgets.__all__)
    assert hfwidgets.video_info.__module__ == "hfwidgets._video"
    assert issubclass(hfwidgets.DownloadTimeout, hfwidgets.NetworkError)


def test_the_version_is_the_changelogs_newest_section() -> None:
    # "## 0.3.0 (unreleased)" is 0.3.0.dev0 until it is released; "## 0.3.0" is 0.3.0.
    changelog = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## (\d+\.\d+\.\d+)( \(unreleased\))?$", changelog, re.M)
    assert newest is not None
    assert hfwidgets.__version__ == newest[1] + (".dev0" if newest[2] else "")
