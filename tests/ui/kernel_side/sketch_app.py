"""The Studio as a marimo app with no key (the emulator), for the sketch and ETA tests.

Reports `facts` five times a second: the emulator's request counters, what was spent and the
journal's rows (none of which a sketch may change), with the time they were read; and
`progress seen`, the progress texts the Studio has shown.
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

    import marimo as mo

    import hfwidgets
    from hfwidgets._session import shared_emulator

    folder = pathlib.Path(os.environ["HFWIDGETS_UI_REPORTS"]) / "sketch_app"
    folder.mkdir(parents=True, exist_ok=True)

    def report(name, value, folder=folder):
        (folder / f"{name}.tmp").write_text(json.dumps(value, default=repr))
        (folder / f"{name}.tmp").replace(folder / f"{name}.json")

    studio = hfwidgets.Studio()
    seen = []

    def on_progress(change, seen=seen, report=report):
        text = change["new"].get("text")
        if text and text not in seen:
            seen.append(text)
            report("progress seen", seen)

    studio.observe(on_progress, names="progress")

    def report_facts(studio=studio, report=report):
        while True:
            try:
                server = shared_emulator(announce=False)
                counters = getattr(server, "counters", None)
                if counters is None:
                    counters = server.status()["counters"]
                journal = studio.client.journal
                facts = {
                    "at": time.time(),
                    "counters": dict(counters),
                    "spent": studio.client.spent,
                    "journal rows": len(journal.records()) if journal is not None else 0,
                }
            except Exception as error:  # said, not swallowed: the test shows it
                facts = {"at": time.time(), "error": f"{type(error).__name__}: {error}"}
            report("facts", facts)
            time.sleep(0.2)

    threading.Thread(target=report_facts, daemon=True).start()
    mo.ui.anywidget(studio)
    return


if __name__ == "__main__":
    app.run()
