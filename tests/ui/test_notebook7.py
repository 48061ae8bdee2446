"""The quickstart in Notebook 7 (`jupyter notebook`): the same widgets, another front end."""

from __future__ import annotations

from studio_page import StudioPage
from ui_harness import JupyterServer, OpenNotebook


def test_quickstart_runs_and_the_studio_renders(
    notebook7: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook = open_notebook(notebook7, "01_quickstart.ipynb")
    assert "/notebooks/01_quickstart.ipynb" in notebook.page.url
    notebook.run_all()
    studio = StudioPage(notebook)
    studio.wait_rendered()
    assert studio.part(".hfw-generate").is_visible()
    assert len(studio.visible_tile_names()) > 1
    # The quickstart's own ResultView (from hfwidgets.run) shows the finished video too.
    notebook.page.locator(".hfw-result video.hfw-video").last.wait_for(state="attached")
    assert notebook.kernel.value("type(studio).__name__") == "Studio"
    assert not notebook.dialogs
