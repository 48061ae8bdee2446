"""How the suite is spread over pytest-xdist's workers (`scripts/test.sh` runs `pytest -n 3`).

Tests go out module by module, so a module's fixtures are made once and a notebook's cells run in
order in one kernel. Playwright's sync API, once started, keeps an event loop in the worker's main
thread, which no asyncio test can run beside; so browser tests always come last on their worker:

- tests/ui (`BROWSER`, the longest unit: Chromium, JupyterLab, Notebook 7, Voilà, marimo) goes to
  one worker at the start, and nothing else goes there;
- the documentation modules that open pages (`DOCS_PAGES`, with servers of their own) go together
  to one of the other workers once every other module is given out, and nothing goes there after;
- every other module goes to the next free worker, the slowest (`SLOW`) first.

With one worker the order is: the modules, then `DOCS_PAGES`, then tests/ui.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

BROWSER = "tests/ui/"
DOCS_PAGES = "docs pages"
DOCS_PAGE_MODULES = (
    "tests/docs/test_html_export.py",
    "tests/docs/test_saved_notebooks.py",
    "tests/docs/test_site.py",
)
"""The modules outside tests/ui with browser tests. A browser test anywhere else stops the run."""

SLOW = ("tests/packaging/", "tests/reliability/test_key_hygiene.py", "tests/reliability/test_fault_matrix.py")
"""Modules of a minute or more, given out first so that no worker ends the run alone with one."""


def module_of(nodeid: str) -> str:
    """`tests/core/test_x.py` of `tests/core/test_x.py::test_y[a::b]`; `notebooks/n.ipynb` of its cells."""
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    module = module_of(nodeid)
    if module.startswith(BROWSER):
        return BROWSER
    return DOCS_PAGES if module in DOCS_PAGE_MODULES else module


def check_browser_modules(browser_tests: Sequence[pytest.Item]) -> None:
    """Refuse a browser test that could be followed by asyncio tests on its worker."""
    strays = [item.nodeid for item in browser_tests if unit_of(item.nodeid) not in (BROWSER, DOCS_PAGES)]
    if strays:
        raise pytest.UsageError(f"browser tests outside tests/ui and DOCS_PAGE_MODULES: {strays}")


class BrowserTestsApart(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no type information
    """Module by module; the browser tests last on their worker (see the module docstring)."""

    _browser_node: WorkerController | None = None

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _assign_work_unit(self, node: WorkerController) -> None:
        if self._browser_node is not None and node is self._browser_node:
            if not node.shutting_down:
                node.shutdown()
            return
        shared = len(self.nodes) > 1
        if shared and self._browser_node is None and BROWSER in self.workqueue:
            self._browser_node = node
            self._give(node, BROWSER)
            node.shutdown()  # it runs tests/ui, then stops
            return
        modules = [unit for unit in self.workqueue if unit not in (BROWSER, DOCS_PAGES)]
        slow = [unit for unit in modules if unit.startswith(SLOW)]
        unit = (slow or modules or [DOCS_PAGES if DOCS_PAGES in self.workqueue else BROWSER])[0]
        self._give(node, unit)
        if unit == DOCS_PAGES and shared:
            node.shutdown()

    def _give(self, node: WorkerController, unit: str) -> None:
        self.workqueue.move_to_end(unit, last=False)
        super()._assign_work_unit(node)
