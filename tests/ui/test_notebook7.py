"""The quickstart in Notebook 7 (`jupyter notebook`): the same widgets, another front end.
(The whole Studio flow in Notebook 7 is in test_studio_flow.py.)"""

from __future__ import annotations

from .page_checks import output_area
from .roles import StudioUI, motions, visible_option_names
from .ui_harness import JupyterServer, OpenNotebook


def test_quickstart_runs_and_its_widgets_render(
    notebook7: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook = open_notebook(notebook7, "01_quickstart.ipynb")
    assert "/notebooks/01_quickstart.ipynb" in notebook.page.url
    notebook.run_all()
    studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    studio.wait_rendered()
    assert studio.button("Generate").is_visible()
    assert len(visible_option_names(studio.scope)) > 1
    # The quickstart's own ResultView (from hfwidgets.run) shows the finished video too.
    results = notebook.page.get_by_role("region", name="Result")
    results.last.locator("video").wait_for(state="attached", timeout=60_000)
    assert results.count() >= 2
    assert notebook.kernel.value("type(studio).__name__") == "Studio"
    assert not notebook.dialogs
