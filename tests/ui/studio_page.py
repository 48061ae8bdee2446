"""What a person does with a Studio on a page, in terms of the shared `hfw-*` DOM hooks.

Every locator is scoped to one `.hfw-studio`, so other widgets in the notebook (the
quickstart also shows a ResultView of its own) never satisfy a check by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page
from ui_harness import NotebookPage

# Records every text the Studio's status line shows, as it changes, so a test can check the
# states a task went through without sampling races.
_WATCH_STATUS_JS = """
(root) => {
  const line = root.querySelector('.hfw-status');
  const log = [];
  const read = () => {
    const text = line.textContent.trim();
    if (text && log[log.length - 1] !== text) log.push(text);
  };
  read();
  new MutationObserver(read).observe(line, {subtree: true, childList: true, characterData: true});
  root.__hfwStatusLog = log;
}
"""


@dataclass(repr=False)
class StudioPage:
    """The `index`-th Studio of a NotebookPage."""

    notebook: NotebookPage
    index: int = 0

    def __repr__(self) -> str:
        return f"StudioPage({self.notebook!r}, index={self.index})"

    @property
    def page(self) -> Page:
        return self.notebook.page

    @property
    def root(self) -> Locator:
        return self.page.locator(".hfw-studio").nth(self.index)

    def part(self, selector: str) -> Locator:
        """A locator inside this Studio."""
        return self.root.locator(selector)

    def wait_rendered(self, *, timeout: float = 60_000) -> None:
        """Wait until the Studio and at least one motion tile are on screen."""
        self.root.wait_for(state="visible", timeout=timeout)
        self.part(".hfw-motion-tile").first.wait_for(state="visible", timeout=timeout)

    # ---- motions

    def tile(self, name: str) -> Locator:
        """The tile whose shown name is exactly `name`."""
        return self.part(".hfw-motion-tile").filter(
            has=self.page.locator(".hfw-motion-name").get_by_text(name, exact=True)
        )

    def visible_tile_names(self) -> list[str]:
        names: list[str] = self.root.evaluate(
            """(root) => [...root.querySelectorAll('.hfw-motion-tile')]
                .filter(t => !t.hidden && t.offsetParent !== null)
                .map(t => t.querySelector('.hfw-motion-name').textContent)"""
        )
        return names

    def choose_motion(self, name: str) -> None:
        """Click the tile named `name` and wait until it shows as selected."""
        tile = self.tile(name)
        tile.scroll_into_view_if_needed()
        tile.click()
        self.page.wait_for_function(
            "(el) => el.getAttribute('aria-selected') === 'true'", arg=tile.element_handle()
        )

    # ---- inputs

    def upload_first_frame(self, image: Path) -> None:
        """Pick `image` for the first frame through the file chooser, then wait for its thumbnail.

        ipywidgets' FileUpload never puts its `<input type=file>` in the DOM, so the
        chooser opened by a click is the only way in, as for a person.
        """
        with self.page.expect_file_chooser() as chooser:
            self.part(".hfw-upload-first").click()
        chooser.value.set_files(str(image))
        self.page.wait_for_function(
            """(root) => {
                const img = root.querySelector('.hfw-thumb-first img, img.hfw-thumb-first');
                return !!img && img.complete && img.naturalWidth > 0;
            }""",
            arg=self.root.element_handle(),
            timeout=30_000,
        )

    def set_seed(self, seed: int) -> None:
        """Type `seed` in the seed field and commit it (Enter), as a person would."""
        field = self.part(".hfw-seed input")
        field.fill(str(seed))
        field.press("Enter")

    def set_prompt(self, prompt: str) -> None:
        """Type `prompt` in the prompt box; leaving the box commits it."""
        box = self.part(".hfw-prompt textarea")
        box.fill(prompt)
        box.press("Tab")

    def watch_status(self) -> None:
        """Start recording every text the status lines show (see `status_log`)."""
        self.root.evaluate(_WATCH_STATUS_JS)

    def status_log(self) -> list[str]:
        log: list[str] = self.root.evaluate("(root) => root.__hfwStatusLog || []")
        return log

    def generate(self) -> None:
        self.part(".hfw-generate").click()

    # ---- the result

    @property
    def video(self) -> Locator:
        return self.part("video.hfw-video")

    def wait_video_playing(self, *, timeout: float = 60_000) -> dict[str, Any]:
        """Wait for the result video, start it, and return its state once it has advanced.

        Returns `{"src", "readyState", "duration", "currentTime"}`.
        """
        self.video.wait_for(state="attached", timeout=timeout)
        handle = self.video.element_handle()
        self.page.wait_for_function("(v) => !!v.currentSrc && v.readyState >= 1", arg=handle, timeout=timeout)
        start: float = handle.evaluate(
            "async (v) => { v.muted = true; await v.play(); return v.currentTime; }"
        )
        self.page.wait_for_function(
            "([v, start]) => v.readyState === 4 && v.currentTime > start + 0.3",
            arg=[handle, start],
            timeout=timeout,
        )
        state: dict[str, Any] = handle.evaluate(
            """(v) => ({src: v.currentSrc, readyState: v.readyState, duration: v.duration,
                       currentTime: v.currentTime, paused: v.paused})"""
        )
        state["startTime"] = start
        return state

    def screenshot(self, path: Path, *, video_time: float = 1.5) -> None:
        """Save a PNG of the whole Studio, cropped to it, with the video paused at `video_time`.

        The page is made tall enough for the Studio to fit on screen, so Lab's own bars never
        cover part of it; the viewport is put back afterwards.
        """
        if self.video.count():
            self.video.evaluate(
                """(v, t) => new Promise(done => {
                    v.pause();
                    v.addEventListener('seeked', () => done(), {once: true});
                    v.currentTime = t;
                })""",
                video_time,
            )
        # Lab's side panels take width from the notebook: fold them away for the picture.
        self.page.evaluate(
            """() => { const shell = window.jupyterapp.shell;
                       if (shell.collapseLeft) { shell.collapseLeft(); shell.collapseRight(); } }"""
        )
        viewport = self.page.viewport_size
        assert viewport is not None
        height = int(self.root.evaluate("(el) => el.getBoundingClientRect().height"))
        self.page.set_viewport_size(
            {"width": viewport["width"], "height": max(viewport["height"], height + 400)}
        )
        try:
            self.root.evaluate("(el) => el.scrollIntoView({block: 'start'})")
            self.page.wait_for_timeout(300)  # let the layout settle after the resize
            self.root.screenshot(path=str(path), animations="disabled")
        finally:
            self.page.set_viewport_size(viewport)

    def error_text(self) -> str:
        """The text of every visible error area of the Studio, joined."""
        text: str = self.root.evaluate(
            """(root) => [...root.querySelectorAll('.hfw-error')]
                .filter(e => e.offsetParent !== null)
                .map(e => e.innerText.trim()).filter(Boolean).join(' | ')"""
        )
        return text
