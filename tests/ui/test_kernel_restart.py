"""A kernel restarted in JupyterLab while a video is being made: `hfwidgets.resume()` in the new
kernel returns that task completed. No key: the kernels use the home's emulator, started by the
Studio of the first kernel, which outlives it."""

from __future__ import annotations

from pathlib import Path

from hfwidgets._home_emulator import stop_emulator
from hfwidgets._journal import Journal

from .page_checks import output_area
from .roles import StudioUI, choose_motion, motions
from .ui_harness import JupyterServer, OpenNotebook, write_notebook


def test_resume_in_a_restarted_kernel_returns_the_task_made_before_the_restart(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook, photo_file: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    cells = [
        # A home of its own (no other test's tasks), where each task takes 20 s: time to restart.
        f"import os\nos.environ['HFWIDGETS_HOME'] = {str(home)!r}\n"
        "os.environ['HFWIDGETS_EMULATOR_SECONDS'] = '20'",
        "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio",
        "import hfwidgets\nfeeds = hfwidgets.resume(progress=False)\n"
        "print([(f.id, f.status) for f in feeds])",
    ]
    write_notebook(lab_without_key.root_dir / "restart.ipynb", cells)
    notebook = open_notebook(lab_without_key, "restart.ipynb")
    try:
        notebook.run_cell(0)
        notebook.run_cell(1)
        studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
        studio.wait_rendered()
        choose_motion(studio.scope, "Face Punch")
        studio.choose_first_frame(photo_file)
        studio.button("Generate").click()
        task_id = notebook.kernel.wait_for("studio.entries and studio.entries[-1].task_id", timeout=60)
        journal = Journal(home / "journal.sqlite3")
        record = journal.get(task_id)
        assert record is not None and record.status in ("queued", "in_progress"), record

        notebook.close()  # the probe's connection; the page restarts the kernel as its menu does
        notebook.page.evaluate(
            "async () => { await window.jupyterapp.shell.currentWidget.context.sessionContext"
            ".restartKernel(); }"
        )
        notebook.wait_idle()
        record = journal.get(task_id)
        assert record is not None and record.status in ("queued", "in_progress"), record  # mid-generation

        notebook.run_cell(0)
        notebook.run_cell(2, timeout=120_000)
        printed = notebook.cell_output_text(2).strip().splitlines()  # after the no-key notice
        assert printed[-1] == str([(task_id, "completed")]), printed
        assert notebook.kernel.value("'studio' in globals()") is False  # really a new kernel
    finally:
        stop_emulator(home)
