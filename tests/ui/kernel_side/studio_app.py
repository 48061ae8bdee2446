"""The Studio as a marimo app: `mo.ui.anywidget(Studio())`.

Reports `facts` (see studio_facts.py) five times a second while it is the latest session, and
`code` (`studio.copy_as_code()`) with each new result.
"""

import marimo

app = marimo.App()


@app.cell
def _():
    import json
    import os
    import pathlib
    import threading
    import time
    import uuid

    import marimo as mo
    from studio_facts import studio_facts

    import hfwidgets

    folder = pathlib.Path(os.environ["HFWIDGETS_UI_REPORTS"]) / "studio_app"
    folder.mkdir(parents=True, exist_ok=True)
    session = uuid.uuid4().hex
    (folder / "session").write_text(session)

    def report(name, value, folder=folder):
        (folder / f"{name}.tmp").write_text(json.dumps(value, default=repr))
        (folder / f"{name}.tmp").replace(folder / f"{name}.json")

    studio = hfwidgets.Studio()

    def report_facts_while_open(folder=folder, session=session, studio=studio, report=report):
        # Polled rather than observed: what the kernel holds, whichever way a trait was set.
        # An earlier session (a page closed before) stops when a newer one starts.
        while (folder / "session").read_text() == session:
            report("facts", studio_facts(studio))
            time.sleep(0.2)

    threading.Thread(target=report_facts_while_open, daemon=True).start()
    studio.observe(lambda _change: report("code", studio.copy_as_code()), names="result")
    mo.ui.anywidget(studio)
    return


if __name__ == "__main__":
    app.run()
