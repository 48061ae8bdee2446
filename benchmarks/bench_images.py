"""How big and how fast is an image input once prepared for a video request?

Prints a table: for each input, the naive payload (the whole file base64-encoded
in a data: URL), what `prepare_image` sends instead, the size it is sent at, and
the median wall time of load_image + prepare_image over several runs.

Targets for a 12-megapixel JPEG photo and a 736x1312 (9:16) video: at most
400 KB on the wire and 150 ms to prepare. Figures are printed, never asserted.

    .venv/bin/python benchmarks/bench_images.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image, ImageDraw

from hfwidgets._images import ImageSource, PreparedImage, load_image, prepare_image

WIRE_TARGET_BYTES = 400 * 1024
TIME_TARGET_MS = 150.0


def photo_like(width: int, height: int, *, seed: int = 7) -> Image.Image:
    """Pixels that compress like a photo: detail at several scales, edges and sensor noise."""
    rng = np.random.default_rng(seed)
    accumulated = np.zeros((height, width, 3), np.float32)
    # Random fields from coarse to fine, each upsampled smoothly: sky-like gradients down to texture.
    for cells, amplitude in ((4, 90.0), (16, 45.0), (64, 25.0), (256, 12.0), (1024, 6.0)):
        rows = max(2, cells * height // width)
        field = rng.random((rows, cells, 3), dtype=np.float32)
        channels = [
            np.asarray(Image.fromarray(field[..., c]).resize((width, height), Image.Resampling.BICUBIC))
            for c in range(3)
        ]
        accumulated += (np.stack(channels, axis=-1) - 0.5) * amplitude
    image = Image.fromarray(np.clip(accumulated + 128.0, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(60):  # hard edges, which is where JPEG spends its bits
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(20, 400))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), outline=colour, width=int(rng.integers(2, 12))
        )
    noisy = np.asarray(image, np.float32) + rng.normal(0.0, 4.0, (height, width, 3)).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def rotated_jpeg(image: Image.Image) -> bytes:
    """A portrait photo stored landscape with EXIF orientation 6, as phones write them."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(image, "JPEG", quality=92, exif=exif)


@dataclass
class Case:
    name: str
    source: ImageSource
    target: tuple[int, int]
    encoded_bytes: int | None  # None for in-memory inputs: no naive data: URL to compare with


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of `action`, in ms.

    CPU time is printed beside wall time because this machine may be shared: when
    other processes compete for the cores, wall time grows but CPU time barely moves.
    """
    action()  # warm-up: first-call imports and allocator growth are not what we measure
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        cpus.append((time.process_time() - cpu) * 1000.0)
        walls.append((time.perf_counter() - wall) * 1000.0)
    return statistics.median(walls), statistics.median(cpus)


def prepare_loaded(source: ImageSource, target: tuple[int, int]) -> PreparedImage:
    """What the client does for one local input: load (validate) then prepare."""
    return prepare_image(load_image(source), target)


def naive_wire_bytes(encoded_bytes: int) -> int:
    """Length of "data:image/jpeg;base64," + the whole file in base64."""
    return len("data:image/jpeg;base64,") + 4 * ((encoded_bytes + 2) // 3)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (median reported)")
    args = parser.parse_args()

    print("generating test images ...", flush=True)
    landscape = photo_like(4000, 3000)
    photo = encode(landscape, "JPEG", quality=92)
    phone_portrait = rotated_jpeg(landscape)
    small = encode(landscape.resize((640, 480), Image.Resampling.LANCZOS), "JPEG", quality=90)
    logo = landscape.resize((1024, 1024)).convert("RGBA")
    logo.putalpha(Image.linear_gradient("L").resize((1024, 1024)))
    logo_png = encode(logo, "PNG")
    array = np.asarray(landscape)

    cases = [
        Case("12 MP JPEG 4000x3000 -> 9:16", photo, (736, 1312), len(photo)),
        Case("12 MP JPEG 4000x3000 -> 16:9", photo, (1312, 736), len(photo)),
        Case("12 MP JPEG, EXIF rotated -> 9:16", phone_portrait, (736, 1312), len(phone_portrait)),
        Case("12 MP numpy array -> 9:16", array, (736, 1312), None),
        Case("1 MP PNG with alpha -> 1:1", logo_png, (1024, 1024), len(logo_png)),
        Case("640x480 JPEG -> 9:16 (no upscale)", small, (736, 1312), len(small)),
    ]

    header = (
        f"{'input':<36} {'file':>9} {'naive wire':>11} {'sent wire':>10} {'sent px':>10} "
        f"{'wall ms':>8} {'cpu ms':>7}"
    )
    print(header)
    print("-" * len(header))
    measured = []
    for case in cases:
        prepared = prepare_image(load_image(case.source), case.target)
        elapsed, cpu = median_ms(partial(prepare_loaded, case.source, case.target), args.runs)
        measured.append((prepared, elapsed, cpu))
        size = f"{prepared.size[0]}x{prepared.size[1]}" if prepared.size else "-"
        file_kb = f"{case.encoded_bytes / 1024:.0f} KB" if case.encoded_bytes else "-"
        naive = f"{naive_wire_bytes(case.encoded_bytes) / 1024:.0f} KB" if case.encoded_bytes else "-"
        print(
            f"{case.name:<36} {file_kb:>9} {naive:>11} {prepared.wire_bytes / 1024:>7.0f} KB "
            f"{size:>10} {elapsed:>8.1f} {cpu:>7.1f}"
        )

    # The headline case, one figure a line (benchmarks/run.py reads these lines).
    headline = cases[0]
    prepared, elapsed, cpu = measured[0]
    assert headline.encoded_bytes is not None
    wire_kb = prepared.wire_bytes / 1024
    naive_kb = naive_wire_bytes(headline.encoded_bytes) / 1024
    wire_verdict = verdict(prepared.wire_bytes <= WIRE_TARGET_BYTES)
    time_verdict = verdict(elapsed <= TIME_TARGET_MS)
    print()
    print(f"{headline.name}, load_image + prepare_image, median of {args.runs} runs:")
    wire_target_kb = WIRE_TARGET_BYTES // 1024
    print(f"  bytes on the wire:         {wire_kb:7.0f} KB  (target <= {wire_target_kb} KB: {wire_verdict})")
    print(f"  naive, whole file base64:  {naive_kb:7.0f} KB")
    print(
        f"  time to prepare:           {elapsed:7.1f} ms  (target <= {TIME_TARGET_MS:.0f} ms: {time_verdict})"
    )
    print(f"  cpu time of that:          {cpu:7.1f} ms")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        print(
            f"  load average (1 min):      {load:7.2f}  on {os.cpu_count()} cores (busy: wall time inflates)"
        )
    print(f"  thumbnail for the journal: {len(prepared.thumbnail or b''):7d} B")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()
