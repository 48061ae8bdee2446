"""A MotionGrid of the live listing, shown through `mo.ui.anywidget`.

Reports (JSON files the browser tests read): `ready` once built, `selected` on every selection.
"""

import marimo

app = marimo.App()


@app.cell
def _():
    import json
    import os
    import pathlib

    import httpx
    import marimo as mo

    import hfwidgets
    from hfwidgets._catalog import parse_motions

    def report(name, value):
        folder = pathlib.Path(os.environ["HFWIDGETS_UI_REPORTS"]) / "grid_app"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.tmp").write_text(json.dumps(value, default=repr))
        (folder / f"{name}.tmp").replace(folder / f"{name}.json")

    client = hfwidgets.Client()
    listing = httpx.get(client.motions_url, params={"size": 100}).json()
    grid = hfwidgets.MotionGrid(parse_motions(listing))
    grid.on_select(lambda motion: report("selected", motion and motion.name))
    report("ready", True)
    mo.ui.anywidget(grid)
    return


if __name__ == "__main__":
    app.run()
