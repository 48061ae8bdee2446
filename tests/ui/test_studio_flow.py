"""Issue 12's acceptance: the whole Studio flow in every host, by role and accessible name only.

search, select, choose a file, model and seed, Generate, the video plays, `studio.result` in
the kernel, history re-use, copy-as-code run in a fresh process — in JupyterLab (light and
dark), Notebook 7, Voilà and marimo (`mo.ui.anywidget(Studio())` under `marimo run`); the
same with the page unable to reach the emulator (`remote`); axe-core and contrast in both
themes; the 320 px layout, with the previews and sketches moving (Notebook 7, marimo) and with
reduced motion (the others).

The flow runs once per host (the module-scoped `flow` fixture, which fails loudly if a step
cannot be done); the tests then check what it left: the kernel's state, the copied code, the
page's accessibility and layout. The emulator renders real videos from the input here, so
"reproduces the video" is checked byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from hfwidgets.emulator import EmulatorServer

from .app_hosts import KERNEL_SIDE, MarimoServer, VoilaServer
from .page_checks import (
    SERIOUS,
    axe_violations,
    contrast_failures,
    fit_width,
    layout_overflows,
    output_area,
    summary,
    text_contrasts,
)
from .roles import (
    StudioUI,
    choose_motion,
    motions,
    search_motions,
    visible_option_names,
    wait_for_fewer_options,
)
from .ui_harness import (
    JupyterServer,
    KernelProbe,
    NotebookPage,
    RecordedPage,
    isolate,
    keyed_env,
    wait_for_js,
    wait_until,
    wants_motion,
    write_notebook,
)

FLOW_NOTEBOOK = "studio_flow.ipynb"
FLOW_CELLS = [
    "import hfwidgets\nfrom studio_facts import studio_facts\nstudio = hfwidgets.Studio()\nstudio",
]
MOTION = "Face Punch"
SEED = 4242
MODEL = "turbo"
STUDIO_PNG = Path(__file__).resolve().parents[2] / "docs" / "studio.png"


@dataclass(frozen=True)
class Case:
    host: str  # lab, notebook7, voila, marimo
    theme: str = "light"
    remote: bool = False
    motion: bool = field(default=False, compare=False)
    """Previews and sketches move (the other cases' pages ask for reduced motion, to spare CPU);
    not part of what names a case."""

    def __str__(self) -> str:
        return f"{self.host}-{self.theme}" + ("-remote" if self.remote else "")


CASES = [
    Case("lab"),
    Case("lab", "dark"),
    Case("notebook7", motion=True),
    Case("voila"),
    Case("voila", "dark"),
    Case("marimo", motion=True),
    Case("lab", remote=True),
    Case("marimo", remote=True),
]


@dataclass
class Flow:
    """What the flow did and saw on one host, and how to read the Studio's kernel."""

    case: Case
    page: Page
    ui: StudioUI
    recorded: RecordedPage
    kernel_dir: Path
    """The kernel's working directory (where the notebook or app lives)."""
    facts: Callable[[], dict[str, Any]]
    """`studio_facts(studio)` as the kernel has it now."""
    kernel_code: Callable[[], str]
    """`studio.copy_as_code()` in the kernel."""
    seen: dict[str, Any] = field(default_factory=dict)

    def wait_facts(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """Poll the kernel's facts until `predicate` holds; returns them. How long it took is
        kept in `seen["waits"]` (printed by the first test)."""

        started = time.monotonic()
        while True:
            facts = self.facts()
            if predicate(facts):
                self.seen.setdefault("waits", {})[what] = round(time.monotonic() - started, 2)
                return facts
            if time.monotonic() - started > 30:
                raise TimeoutError(f"timed out after 30s waiting for {what} ({self.case}): {facts}")
            # Waiting through Playwright keeps the page's routes served meanwhile.
            self.page.wait_for_timeout(250)


# --------------------------------------------------------------------------- opening a host


def set_lab_theme(page: Page, theme: str) -> None:
    name = "JupyterLab Dark" if theme == "dark" else "JupyterLab Light"
    page.evaluate(
        """async (name) => {
            await window.jupyterapp.commands.execute('apputils:change-theme', {theme: name});
        }""",
        name,
    )
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === light", arg="false" if theme == "dark" else "true"
    )


@pytest.fixture(scope="module")
def rendering_emulator(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator rendering every video from its input image (deterministic by seed)."""
    ui_emulator.state.render = True
    yield ui_emulator
    ui_emulator.state.render = False


@pytest.fixture(scope="module")
def flow_notebook(notebooks_root: Path) -> str:
    write_notebook(notebooks_root / FLOW_NOTEBOOK, FLOW_CELLS)
    return FLOW_NOTEBOOK


@pytest.fixture(scope="module", params=CASES, ids=str)
def flow(
    request: pytest.FixtureRequest,
    browser_context: BrowserContext,
    rendering_emulator: EmulatorServer,
    flow_notebook: str,
    photo_file: Path,
) -> Iterator[Flow]:
    case: Case = request.param
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = browser_context.new_page()
    if case.motion:
        wants_motion(page)
    closers: list[Callable[[], None]] = [page.close]
    try:
        flow = _open(case, page, request, flow_notebook, closers)
        try:
            _run_flow(flow, photo_file)
        except Exception:
            _describe_failure(flow)
            raise
        yield flow
    finally:
        if page.viewport_size and page.viewport_size["width"] != 1280:
            page.set_viewport_size({"width": 1280, "height": 1000})
        for close in reversed(closers):
            close()


def _open(
    case: Case, page: Page, request: pytest.FixtureRequest, notebook: str, closers: list[Callable[[], None]]
) -> Flow:
    if case.host in ("lab", "notebook7"):
        server: JupyterServer = request.getfixturevalue("lab" if case.host == "lab" else "notebook7")
        notebook_page = NotebookPage(page, server=server)
        isolate(page, refuse=notebook_page.refuse, host_port=server.port, remote=case.remote)
        closers.append(server.delete_sessions)
        notebook_page.open(notebook)
        if case.theme == "dark":
            set_lab_theme(page, "dark")
            closers.append(lambda: set_lab_theme(page, "light"))
        notebook_page.run_all()
        probe = notebook_page.kernel
        closers.append(notebook_page.close)
        return _jupyter_flow(case, page, notebook_page, server.root_dir, probe)
    if case.host == "voila":
        voila: VoilaServer = request.getfixturevalue("voila")
        recorded = RecordedPage(page)
        isolate(page, refuse=recorded.refuse, host_port=voila.port, remote=case.remote)
        page.goto(voila.url(notebook, theme="dark" if case.theme == "dark" else "light"), timeout=60_000)
        motions(page).first.wait_for(timeout=90_000)
        probe = voila.probe(page)
        closers.append(probe.close)
        return _jupyter_flow(case, page, recorded, voila.root_dir, probe)
    marimo: MarimoServer = request.getfixturevalue("marimo")
    recorded = RecordedPage(page)
    isolate(page, refuse=recorded.refuse, host_port=marimo.port, remote=case.remote)
    reports = marimo.reports
    reports.clear("studio_app")
    page.goto(marimo.url("studio_app.py"), timeout=60_000)
    motions(page).first.wait_for(timeout=90_000)
    reports.read("studio_app", "facts", timeout=60)
    ui = StudioUI(output_area(page, "marimo", motions(page)))
    return Flow(
        case,
        page,
        ui,
        recorded,
        marimo.root_dir,
        facts=lambda: reports.read("studio_app", "facts"),
        kernel_code=lambda: reports.read("studio_app", "code"),
    )


def _jupyter_flow(
    case: Case, page: Page, recorded: RecordedPage, kernel_dir: Path, probe: KernelProbe
) -> Flow:
    host = "voila" if case.host == "voila" else "jupyter"
    ui = StudioUI(output_area(page, host, motions(page)))
    return Flow(
        case,
        page,
        ui,
        recorded,
        kernel_dir,
        facts=lambda: probe.value("studio_facts(studio)"),
        kernel_code=lambda: probe.value("studio.copy_as_code()"),
    )


# --------------------------------------------------------------------------- the flow


def _describe_failure(flow: Flow) -> None:
    """Print what the Studio shows (status, alerts) and save a picture of the page."""
    try:
        status = flow.ui.status.all_inner_texts()
        alerts = flow.ui.scope.get_by_role("alert").all_inner_texts()
        picture = Path(os.environ.get("TMPDIR", "/tmp")) / f"hfwidgets-flow-{flow.case}.png"
        flow.page.screenshot(path=str(picture), full_page=True)
        print(
            f"\n{flow.case} failed; status {status}, alerts {alerts}, page errors "
            f"{flow.recorded.console_errors[:5]}, picture {picture}"
        )
    except Exception as error:  # the page itself may be gone
        print(f"\n{flow.case} failed; the page could not be described: {error}")


def _run_flow(flow: Flow, photo: Path) -> None:
    ui, page, seen = flow.ui, flow.page, flow.seen
    ui.wait_rendered()
    # Previews show (from the kernel when the page cannot reach the emulator).
    wait_until(ui.loaded_previews, timeout=30, what=f"a motion preview to load ({flow.case})")
    seen["previews"] = ui.loaded_previews()

    before = visible_option_names(ui.scope)
    search_motions(ui.scope, "punch")
    seen["search"] = wait_for_fewer_options(ui.scope, len(before))
    choose_motion(ui.scope, MOTION)
    flow.wait_facts(lambda f: (f["motion"] or {}).get("name") == MOTION, "the motion in the kernel")

    seen["frame_alt"] = ui.choose_first_frame(photo).get_attribute("alt")
    label = ui.choose_model(MODEL)
    points = re.search(r"(\d+)\s*pts", label)
    assert points, f"no price in the model label {label!r}"
    seen["model_label"] = label
    wait_for_js(
        ui.status,
        "(el, pts) => new RegExp('\\\\b' + pts + '\\\\s*pts').test(el.textContent)",
        points.group(1),
    )
    seen["status_before"] = ui.status.inner_text()
    ui.type_seed(SEED)
    flow.wait_facts(lambda f: f["seed"] == SEED and f["model"] == MODEL, "seed and model in the kernel")
    seen["keep_seed_checked"] = ui.keep_seed.is_checked()

    ui.button("Generate").click()
    seen["video"] = ui.wait_video_playing()
    seen["facts"] = flow.wait_facts(lambda f: f["result"] is not None, "studio.result")
    history = ui.history_items()
    history.first.wait_for(timeout=15_000)
    seen["history"] = [history.nth(i).inner_text() for i in range(history.count())]
    seen["download_visible"] = (
        ui.scope.get_by_role("button", name="Download mp4")
        .or_(ui.scope.get_by_role("link", name="Download mp4"))
        .first.is_visible()
    )

    # Copy as code: the clipboard gets what the kernel's copy_as_code() says.
    ui.button("Copy as code").click()
    page.bring_to_front()
    seen["clipboard"] = wait_until(
        lambda: page.evaluate(
            "async () => { try { return await navigator.clipboard.readText(); } catch (e) { return ''; } }"
        ),
        timeout=15,
        what="the code in the clipboard",
    )
    seen["kernel_code"] = flow.kernel_code()

    # History re-use: change the settings, then "Use these parameters" of the run puts them back.
    ui.type_seed(777)
    ui.choose_model("lite")
    flow.wait_facts(lambda f: f["seed"] == 777 and f["model"] == "lite", "changed settings in the kernel")
    history.first.get_by_role("button", name="Use these parameters").click()
    seen["reused"] = flow.wait_facts(lambda f: f["seed"] == SEED and f["model"] == MODEL, "re-used settings")
    # The page follows the kernel (a moment later in some hosts); what it shows is checked by the test.
    with contextlib.suppress(PlaywrightTimeoutError):
        wait_for_js(ui.seed, "(el, seed) => el.value === seed", str(SEED), timeout=10_000)
    seen["seed_field_after_reuse"] = ui.seed.input_value()
    seen["model_field_after_reuse"] = ui.model.evaluate("(select) => select.selectedOptions[0].text")


# --------------------------------------------------------------------------- what the flow left


def test_search_select_generate_and_play(flow: Flow) -> None:
    seen = flow.seen
    shown = {k: v for k, v in seen.items() if k not in ("clipboard", "kernel_code")}
    print(f"\n{flow.case}: {json.dumps(shown, default=str)[:1500]}")
    assert seen["previews"] > 0
    assert seen["search"] and all("punch" in name.casefold() for name in seen["search"]), seen["search"]
    assert "sunny.jpg" in (seen["frame_alt"] or "")
    assert seen["keep_seed_checked"], "a typed seed turns Keep seed on"
    video = seen["video"]
    assert video["readyState"] == 4
    assert video["currentTime"] > video["startTime"]
    assert video["duration"] > 1
    result = seen["facts"]["result"]
    assert result["status"] == "completed"
    assert (result["seed"], result["model"]) == (SEED, MODEL)
    assert seen["facts"]["motion"]["id"] == result["motion_id"]
    assert seen["download_visible"]


def test_media_come_over_the_widget_channel_when_the_emulator_is_out_of_reach(flow: Flow) -> None:
    if not flow.case.remote:
        pytest.skip("the page can reach the emulator in this case")
    src = flow.seen["video"]["src"]
    assert src.startswith("blob:"), src
    emulator_requests = [url for url in flow.recorded.refused if "/previews/" in url or url.endswith(".mp4")]
    print(f"{flow.case}: {len(flow.recorded.refused)} requests refused, {len(emulator_requests)} for media")


def test_history_names_the_run_and_reuses_its_parameters(flow: Flow) -> None:
    newest = flow.seen["history"][0]
    for part in (MOTION, MODEL, str(SEED), "completed"):
        assert part.casefold() in newest.casefold(), f"{part!r} not in the history item {newest!r}"
    assert flow.seen["reused"]["model"] == MODEL
    assert flow.seen["seed_field_after_reuse"] == str(SEED), "the Seed field does not show the re-used seed"
    assert flow.seen["model_field_after_reuse"].startswith(MODEL)


def test_copied_code_reproduces_the_video_in_a_fresh_process(
    flow: Flow, rendering_emulator: EmulatorServer, ui_key: str, tmp_path: Path
) -> None:
    code = flow.seen["clipboard"]
    assert code.strip() == flow.seen["kernel_code"].strip()
    inputs = re.findall(r"hfwidgets-inputs/([0-9a-f]{8,64})\.(\w+)", code)
    assert inputs, f"the code names no saved input:\n{code}"
    digest, extension = inputs[0]
    saved = flow.kernel_dir / "hfwidgets-inputs" / f"{digest}.{extension}"
    assert saved.exists(), f"{saved} is missing"
    assert hashlib.sha256(saved.read_bytes()).hexdigest().startswith(digest), "not content-addressed"

    script = tmp_path / "copied.py"
    script.write_text(code, "utf-8")
    driver = (
        "import runpy, sys, json\n"
        f"sys.path.insert(0, {str(KERNEL_SIDE)!r})\n"
        "import hfwidgets\n"
        "from studio_facts import result_facts\n"
        "namespace = runpy.run_path(sys.argv[1])\n"
        "feeds = [v for v in namespace.values() if isinstance(v, hfwidgets.Feed)]\n"
        "print(json.dumps(result_facts(feeds[-1])))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_HK_")}
    env.update(keyed_env(rendering_emulator, ui_key, tmp_path / "home"))
    ran = subprocess.run(
        [sys.executable, "-c", driver, str(script)],
        cwd=flow.kernel_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, f"the copied code failed:\n{code}\n{ran.stderr[-3000:]}"
    again = json.loads(ran.stdout.strip().splitlines()[-1])
    first = flow.seen["facts"]["result"]
    for key in ("status", "seed", "model", "motion_id", "width", "height"):
        assert again[key] == first[key], f"{key}: {again[key]!r} != {first[key]!r}"
    assert again["id"] != first["id"], "a new task was run"
    original = httpx.get(first["video_url"], timeout=30).content
    reproduced = httpx.get(again["video_url"], timeout=30).content
    assert hashlib.sha256(original).hexdigest() == hashlib.sha256(reproduced).hexdigest(), (
        "not the same video"
    )


def test_no_critical_or_serious_axe_violations(flow: Flow, axe_script: Path) -> None:
    violations = axe_violations(flow.page, flow.ui.scope, axe_script)
    print(f"\naxe {flow.case}: {summary(violations)}")
    serious = [str(v) for impact in SERIOUS for v in violations.get(impact, [])]
    assert not serious, "\n".join(serious)


def test_every_text_has_a_contrast_of_at_least_4_5(flow: Flow) -> None:
    contrasts = text_contrasts(flow.ui.scope)
    failures = contrast_failures(contrasts)
    measured = [c for c in contrasts if not c.background_image and not c.disabled]
    print(f"\ncontrast {flow.case}: {len(measured)} texts, lowest {measured[0] if measured else None}")
    assert len(measured) > 20, "too few texts measured: is the Studio on the page?"
    assert not failures, "\n".join(str(c) for c in failures)


def test_fits_a_320px_output_area(flow: Flow) -> None:
    if flow.case.remote or flow.case.theme == "dark":
        pytest.skip("the layout does not depend on the theme or the network")
    try:
        width = fit_width(flow.page, flow.ui.scope, 320)
        report = layout_overflows(flow.ui.scope)
    finally:
        flow.page.set_viewport_size({"width": 1280, "height": 1000})
    print(f"\nlayout {flow.case} at {width} px: {report.problems}")
    assert abs(width - 320) <= 6
    assert not report.problems, "\n".join(report.problems)


# The accessible names issue 12 fixes (English UI), each as (role or "label", name).
NAMED_CONTROLS = [
    ("searchbox", "Search motions"),
    ("listbox", "Motions"),
    ("label", "First frame"),
    ("label", "Last frame"),
    ("textbox", "First frame URL"),
    ("textbox", "Last frame URL"),
    ("combobox", "Model"),
    ("label", "Seed"),
    ("button", "New seed"),
    ("checkbox", "Keep seed"),
    ("combobox", "Size"),
    ("label", "Width"),
    ("label", "Height"),
    ("textbox", "Prompt"),
    ("checkbox", "Enhance prompt"),
    ("button", "Generate"),
    ("button", "Cancel"),
    ("button", "Copy as code"),
    ("region", "Result"),
    ("list", "History"),
    ("button", "Use these parameters"),
]


def test_every_control_has_its_accessible_name(flow: Flow) -> None:
    scope = flow.ui.scope
    missing = []
    for role, name in NAMED_CONTROLS:
        found = (
            scope.get_by_label(name, exact=True)
            if role == "label"
            else scope.get_by_role(role, name=name, exact=True)  # type: ignore[arg-type]
        )
        if found.count() == 0:
            missing.append(f"{role} {name!r}")
    assert not missing, f"not found by role and name: {missing}"
    assert scope.get_by_role("status").count() == 1, "one role=status element"
    assert flow.ui.result.locator("video").count() == 1
    download = scope.get_by_role("button", name="Download mp4").or_(
        scope.get_by_role("link", name="Download mp4")
    )
    assert download.count() >= 1
    # Tiles: the name comes first, previews are decorative; category buttons say which is on.
    names = visible_option_names(scope)
    assert names and names[0].startswith(MOTION), names
    # A tile's preview is decorative (empty alt); a sketch on the user's image is named for its motion.
    named = motions(scope).locator("img:not([alt=''])").evaluate_all("(imgs) => imgs.map((i) => i.alt)")
    assert all(re.fullmatch(r"Sketch of .+ on your image", alt) for alt in named), named
    assert scope.locator("button[aria-pressed='true']").count() >= 1
    # Frame previews and history thumbnails are described.
    unnamed = scope.locator("img:not([alt])").count()
    assert unnamed == 0, f"{unnamed} images without alt"
    thumbs = flow.ui.history.get_by_role("img")
    assert thumbs.count() >= 1 and all(alt for alt in (t.get_attribute("alt") for t in thumbs.all()))


def test_screenshot_for_the_docs(flow: Flow, tmp_path: Path) -> None:
    """docs/studio.png, from the JupyterLab light run (scripts/screenshot.sh sets
    HFWIDGETS_SCREENSHOT=1 to write it; otherwise the picture stays in a temp dir)."""
    if flow.case != Case("lab"):
        pytest.skip("the docs show JupyterLab, light theme")
    page = flow.page
    search_motions(flow.ui.scope, "")  # the whole grid, not the search of the flow
    # The first row's previews in the picture (the emulator renders each on first request).
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: flow.ui.loaded_previews() >= 6, timeout=30, what="the first previews")
    flow.ui.video.evaluate(
        """(v) => new Promise(done => {
            v.pause();
            v.addEventListener('seeked', () => done(), {once: true});
            v.currentTime = 1.5;
        })"""
    )
    # Lab's side panels take width from the notebook: fold them away; make room for the Studio.
    page.evaluate(
        "() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }"
    )
    height = int(flow.ui.scope.evaluate("(el) => el.getBoundingClientRect().height"))
    page.set_viewport_size({"width": 1100, "height": max(1000, height + 300)})
    page.wait_for_timeout(300)
    flow.ui.scope.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    shot = tmp_path / "studio.png"
    flow.ui.scope.screenshot(path=str(shot), animations="disabled")
    page.set_viewport_size({"width": 1280, "height": 1000})
    print(f"screenshot: {shot} ({shot.stat().st_size} bytes)")
    assert shot.stat().st_size > 20_000
    if os.environ.get("HFWIDGETS_SCREENSHOT") == "1":
        shutil.copyfile(shot, STUDIO_PNG)
        print(f"saved to {STUDIO_PNG}")


# The focused element, through shadow roots (marimo), described by role and name; null when the
# focus is outside `root`.
_FOCUSED_JS = """
(root) => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  let node = el;
  while (node && node !== root) node = node.parentElement || (node.getRootNode().host || null);
  if (!node) return null;
  const style = getComputedStyle(el);
  const labels = el.labels ? [...el.labels].map(l => l.textContent.trim()).join(' ') : '';
  return {
    tag: el.tagName.toLowerCase(), role: el.getAttribute('role') || '', type: el.type || '',
    name: el.getAttribute('aria-label') || labels || (el.textContent || '').trim().slice(0, 60),
    selected: el.getAttribute('aria-selected'),
    ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none',
  };
}
"""


# Focus the widget's first focusable element, in DOM order through shadow roots.
_FOCUS_FIRST_JS = """
(root) => {
  const focusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]),'
    + ' textarea:not([disabled]), video[controls], [tabindex]:not([tabindex="-1"])';
  const visit = (node) => {
    for (const child of node.children) {
      if (child.matches(focusable) && child.getBoundingClientRect().width > 1) return child;
      const inner = (child.shadowRoot && visit(child.shadowRoot)) || visit(child);
      if (inner) return inner;
    }
    return null;
  };
  const first = (root.shadowRoot && visit(root.shadowRoot)) || visit(root);
  first.focus();
}
"""


def test_keyboard_reaches_every_control_and_moves_through_the_grid(flow: Flow) -> None:
    if flow.case not in (Case("lab"), Case("marimo")):
        pytest.skip("keyboard handling is the widget's own: one Jupyter host and marimo suffice")
    page, scope = flow.page, flow.ui.scope
    search_motions(scope, "")
    scope.evaluate(_FOCUS_FIRST_JS)
    reached: list[dict[str, Any]] = [scope.evaluate(_FOCUSED_JS)]
    repeats = 0
    for _ in range(150):
        page.keyboard.press("Tab")
        focused = scope.evaluate(_FOCUSED_JS)
        if focused is None:  # the focus left the widget
            break
        if focused == reached[-1]:  # inside a control (a video's own buttons)
            repeats += 1
            if repeats > 10:
                break
            continue
        repeats = 0
        reached.append(focused)
    names = [f"{f['role'] or f['tag']}:{f['name']}" for f in reached]
    print(f"\n{flow.case}: Tab reaches {len(reached)} controls: {names}")
    for wanted in (
        "Model",
        "Seed",
        "Keep seed",
        "Prompt",
        "Generate",
        "Copy as code",
        "Use these parameters",
    ):
        assert any(f["name"].strip().casefold().startswith(wanted.casefold()) for f in reached), wanted
    # A <video>'s focus is on its native controls, which draw their own ring.
    without_ring = [n for n, f in zip(names, reached, strict=True) if not f["ring"] and f["tag"] != "video"]
    assert not without_ring, f"no visible focus on {without_ring}"
    assert any(f["role"] == "option" for f in reached), "Tab never reaches the motion grid"

    # In the grid: arrows move the focus from tile to tile, Enter selects.
    option = motions(scope).get_by_role("option").first
    option.focus()
    start = scope.evaluate(_FOCUSED_JS)
    page.keyboard.press("ArrowRight")
    moved = scope.evaluate(_FOCUSED_JS)
    assert moved["role"] == "option" and moved["name"] != start["name"], (start, moved)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { let el = document.activeElement;"
        " while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;"
        " return el && el.getAttribute('aria-selected') === 'true'; }",
        timeout=10_000,
    )
    chosen = flow.wait_facts(
        lambda f: f["motion"] is not None and f["motion"]["name"] != MOTION, "a new motion"
    )
    assert moved["name"].startswith(chosen["motion"]["name"]), (moved, chosen["motion"])
