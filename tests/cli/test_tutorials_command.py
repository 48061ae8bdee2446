"""`hfwidgets tutorials [DIR]` copies the tutorials out of the package and says how to open them;
`hfwidgets html` refuses what is not a notebook file (tests/docs/test_html_export.py runs it)."""

from __future__ import annotations

from pathlib import Path

from hfwidgets._cli import EXIT_DONE, EXIT_USAGE

from .cli_support import Command

NOTEBOOKS = sorted(path.name for path in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_tutorials_are_copied_and_an_edited_one_is_kept(tmp_path: Path) -> None:
    command = Command(None, tmp_path)
    done = command("tutorials", "mine")
    assert done.returncode == EXIT_DONE, done.stderr
    folder = command.cwd / "mine"
    assert sorted(path.name for path in folder.glob("*.ipynb")) == NOTEBOOKS
    assert (folder / "images" / "cat.jpg").stat().st_size > 0
    assert done.stdout.splitlines() == [str(Path("mine") / name) for name in NOTEBOOKS]
    assert "open them with: jupyter lab mine" in done.stderr

    edited = folder / NOTEBOOKS[0]
    edited.write_text("{}", encoding="utf-8")
    again = command("tutorials", "mine")
    assert again.returncode == EXIT_DONE
    assert edited.read_text(encoding="utf-8") == "{}"
    assert f"kept {len(NOTEBOOKS) + 3} file(s) already in mine" in again.stderr


def test_tutorials_go_to_a_folder_of_their_own_by_default(tmp_path: Path) -> None:
    command = Command(None, tmp_path)
    done = command("tutorials")
    assert done.returncode == EXIT_DONE, done.stderr
    assert (command.cwd / "hfwidgets-tutorials" / NOTEBOOKS[0]).is_file()
    assert "jupyter lab hfwidgets-tutorials" in done.stderr


def test_html_needs_a_notebook_file(tmp_path: Path) -> None:
    command = Command(None, tmp_path)
    done = command("html", "missing.ipynb")
    assert done.returncode == EXIT_USAGE
    assert "missing.ipynb" in done.stderr and "does not exist" in done.stderr
