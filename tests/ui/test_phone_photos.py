"""Photos as phones and cameras make them, chosen in a real browser: an 11 MB JPEG and a 40 MB
PNG (noise, so they really are that large) reach the kernel as the first frame, through the
file chooser opened by its label. A Jupyter server drops the link on one message over 10 MiB;
before uploads went in parts, both vanished and the previous photo stayed chosen.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from .app_hosts import MarimoServer, OpenApp, VoilaServer
from .page_checks import output_area
from .roles import motions
from .test_lab_studio import STUDIO_CELL, open_studio
from .ui_harness import JupyterServer, KernelProbe, OpenNotebook, wait_for_js, wait_until

SIGNATURE = 4
"""Pictures are compared by their colours on a SIGNATURE x SIGNATURE grid."""

_SIGNATURE_CODE = """
def _signature(data, side={side}):
    import io
    import numpy as np
    from PIL import Image, ImageOps
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    return np.asarray(image.resize((side, side), Image.Resampling.BOX)).reshape(-1, 3).tolist()
"""


def big_photo(path: Path, size: tuple[int, int], *, fmt: str, **save: Any) -> Path:
    """Noise over four coloured quarters: as large as a camera's file, and recognisable when shrunk."""
    import numpy as np
    from PIL import Image

    width, height = size
    rng = np.random.default_rng(len(path.name))
    pixels = rng.integers(0, 90, (height, width, 3), dtype=np.uint8)
    quarters = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
    for i, tint in enumerate(quarters):
        ys = slice(0, height // 2) if i < 2 else slice(height // 2, height)
        xs = slice(0, width // 2) if i % 2 == 0 else slice(width // 2, width)
        pixels[ys, xs] += np.array(tint, dtype=np.uint8) // 2 + 20
    Image.fromarray(pixels).save(path, fmt, **save)
    return path


def signature(path: Path) -> list[list[int]]:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").resize((SIGNATURE, SIGNATURE), Image.Resampling.BOX)
    shrunk: list[list[int]] = np.asarray(small).reshape(-1, 3).tolist()
    return shrunk


@pytest.fixture(scope="session")
def phone_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("phone-photos")
    jpeg = big_photo(folder / "IMG_1101.JPG", (4000, 3000), fmt="JPEG", quality=86, subsampling=0)
    png = big_photo(folder / "PXL_4000.png", (4500, 3400), fmt="PNG", compress_level=1)
    sizes = {path.name: path.stat().st_size for path in (jpeg, png)}
    print("photo sizes:", sizes)
    assert sizes[jpeg.name] > 11 * 1000 * 1000, sizes
    assert sizes[png.name] > 40 * 1000 * 1000, sizes
    return {"jpeg": jpeg, "png": png}


def choose_by_label(scope: Any, photo: Path) -> float:
    """Open the first frame's file chooser by its visible label ("Choose image", the first of
    the slots) and give it `photo`; wait for the preview named after the file to show its
    pixels. Returns the seconds from the file given to the preview shown."""
    page = scope.page
    label = scope.get_by_text("Choose image", exact=True).first
    with page.expect_file_chooser() as chooser:
        label.click()
    started = time.monotonic()
    chooser.value.set_files(str(photo))
    preview = scope.get_by_role("img", name=re.compile(re.escape(photo.name)))
    preview.wait_for(timeout=120_000)
    wait_for_js(preview, "(img) => img.complete && img.naturalWidth > 0", timeout=120_000)
    return time.monotonic() - started


def assert_first_frame_is(kernel: KernelProbe, frame_of: str, photo: Path) -> None:
    """The kernel's first frame is `photo` (its name, its aspect, its picture), whatever size it came in."""
    kernel.run(_SIGNATURE_CODE.format(side=SIGNATURE))
    facts = kernel.value(
        f"{{'source': {frame_of}.source, 'size': {frame_of}.image.size, "
        f"'signature': _signature({frame_of}.image.encoded)}}"
    )
    from PIL import Image

    with Image.open(photo) as original:
        width, height = original.size
    assert facts["source"] == photo.name
    got_w, got_h = facts["size"]
    assert abs(got_w / got_h - width / height) < 0.01, (facts["size"], (width, height))
    assert min(got_w, got_h) <= 2048 < min(width, height) or (got_w, got_h) == (width, height)
    expected = signature(photo)
    pairs = zip(facts["signature"], expected, strict=True)
    worst = max(abs(a - b) for got, want in pairs for a, b in zip(got, want, strict=True))
    assert worst < 12, (facts["signature"], expected)


def test_big_phone_photos_become_the_first_frame_in_jupyterlab(
    lab: JupyterServer, open_notebook: OpenNotebook, photo_file: Path, phone_photos: dict[str, Path]
) -> None:
    notebook, studio = open_studio(open_notebook, lab, "phone_photos.ipynb", [STUDIO_CELL])
    studio.choose_first_frame(photo_file)  # a small photo first: the one that used to stay chosen
    frame = "studio._frames.frames['first']"
    for kind in ("jpeg", "png"):
        seconds = choose_by_label(studio.scope, phone_photos[kind])
        print(f"{phone_photos[kind].name}: preview after {seconds:.2f} s")
        assert_first_frame_is(notebook.kernel, frame, phone_photos[kind])
        assert notebook.kernel.value("len(studio.images)") == 1
        assert notebook.kernel.value("studio.errors.message") == ""
        # The caption names the file chosen and its size, and says it was sent smaller.
        caption = studio.scope.get_by_text(re.compile(r"sent as \d+×\d+"))
        assert caption.count() == 1, caption.all_inner_texts()
    # The link to the kernel held: the page never reconnected.
    kernel_link = notebook.page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel.connectionStatus"
    )
    assert kernel_link == "connected"


def test_a_big_png_becomes_the_first_frame_in_voila(
    voila: VoilaServer, open_app: OpenApp, phone_photos: dict[str, Path]
) -> None:
    app_page = open_app(voila, voila.url("01_quickstart.ipynb"))
    page = app_page.page
    motions(page).first.wait_for(timeout=90_000)
    scope = output_area(page, "jupyter", motions(page))
    seconds = choose_by_label(scope, phone_photos["png"])
    print(f"Voilà, {phone_photos['png'].name}: preview after {seconds:.2f} s")
    kernel = voila.probe(page)
    try:
        assert_first_frame_is(kernel, "studio._frames.frames['first']", phone_photos["png"])
    finally:
        kernel.close()


def test_a_heic_photo_is_read_in_the_kernel_and_a_broken_file_is_refused_by_name(
    lab: JupyterServer, open_notebook: OpenNotebook, photo_file: Path, tmp_path: Path
) -> None:
    """Chromium cannot decode HEIC: the file goes as it is and the kernel reads it (the heic
    extra). A file nobody can read gets a message naming it, and the earlier photo is shown
    again as the chosen one (not left dimmed as if the new one were on its way)."""
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    pillow_heif.register_heif_opener()
    heic = tmp_path / "IMG_7001.HEIC"
    Image.new("RGB", (1200, 900), (40, 150, 200)).save(heic, "HEIF")
    broken = tmp_path / "IMG_7002.HEIC"
    broken.write_bytes(b"\0\0\0\x18ftypheic" + b"not a picture at all" * 50)

    notebook, studio = open_studio(open_notebook, lab, "heic_photos.ipynb", [STUDIO_CELL])
    choose_by_label(studio.scope, heic)
    frame = "studio._frames.frames['first']"
    assert notebook.kernel.value(f"[{frame}.source, {frame}.image.format, {frame}.image.size]") == [
        heic.name,
        "HEIF",
        [1200, 900],
    ]

    label = studio.scope.get_by_text("Choose image", exact=True).first
    with notebook.page.expect_file_chooser() as chooser:
        label.click()
    chooser.value.set_files(str(broken))
    alert = studio.scope.get_by_role("alert").filter(has_text=broken.name)
    alert.wait_for(timeout=60_000)
    print("refused:", alert.inner_text())
    assert notebook.kernel.value(f"{frame}.source") == heic.name
    # The earlier photo is on show again, named, and the slot is no longer busy.
    preview = studio.scope.get_by_role("img", name=re.compile(re.escape(heic.name)))
    assert preview.is_visible()
    assert studio.scope.locator("[aria-busy=true]").count() == 0


def test_a_big_png_becomes_the_first_frame_in_marimo(
    marimo: MarimoServer, open_app: OpenApp, phone_photos: dict[str, Path], photo_file: Path
) -> None:
    marimo.reports.clear("studio_app")
    page = open_app(marimo, marimo.url("studio_app.py")).page
    motions(page).get_by_role("option").first.wait_for(timeout=90_000)
    photo_file = phone_photos["png"]
    seconds = choose_by_label(page.locator("marimo-anywidget"), photo_file)
    print(f"marimo, {photo_file.name}: preview after {seconds:.2f} s")

    def first_frame() -> Any:
        return marimo.reports.read("studio_app", "facts")["first_frame"]

    frame = wait_until(first_frame, timeout=30, what="the first frame in marimo's kernel")
    assert frame["name"] == photo_file.name
    width, height = frame["size"]
    assert min(width, height) == 2048 and abs(width / height - 4500 / 3400) < 0.01, frame
