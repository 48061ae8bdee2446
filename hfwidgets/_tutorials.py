"""The tutorial notebooks that travel in the package, and `copy_tutorials` (`hfwidgets tutorials DIR`).

The wheel carries them as `hfwidgets/tutorials/` (the five notebooks and their
images); in a checkout of the repository they are `notebooks/`. Copying never
overwrites a file that is already there, so an edited tutorial is kept.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["DEFAULT_DIR", "Copied", "copy_tutorials", "tutorials_source"]

DEFAULT_DIR: Final = Path("hfwidgets-tutorials")
"""Where `hfwidgets tutorials` puts them when no folder is given (relative to the working directory)."""

_PACKAGE = Path(__file__).resolve().parent


def tutorials_source() -> Path:
    """The folder holding the tutorials: inside the installed package, else the checkout's notebooks/."""
    for candidate in (_PACKAGE / "tutorials", _PACKAGE.parent / "notebooks"):
        if any(candidate.glob("*.ipynb")):
            return candidate
    raise FileNotFoundError(
        f"the tutorials are not in this installation ({_PACKAGE / 'tutorials'} is missing); "
        'reinstall with pip install --force-reinstall "hfwidgets[tutorials]"'
    )


@dataclass(frozen=True)
class Copied:
    """What `copy_tutorials` did: the notebooks now in the folder, and the files it left as they were."""

    folder: Path
    notebooks: tuple[Path, ...]
    kept: tuple[Path, ...]


def copy_tutorials(folder: str | Path = DEFAULT_DIR) -> Copied:
    """Copy the tutorials and their images into `folder` (created if missing); existing files are kept."""
    source = tutorials_source()
    target = Path(folder)
    files = sorted(source.glob("*.ipynb")) + sorted((source / "images").glob("*"))
    kept: list[Path] = []
    for path in files:
        destination = target / path.relative_to(source)
        if destination.exists():
            kept.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return Copied(
        folder=target,
        notebooks=tuple(target / path.name for path in files if path.suffix == ".ipynb"),
        kept=tuple(kept),
    )
