"""What the browser tests read of a Studio in its own kernel, as plain JSON-ready data.

Imported by the test notebooks (Jupyter kernels, read through a KernelProbe) and by the marimo
app (which reports it as a JSON file on every change); copied next to them by the fixtures.
"""

from typing import Any


def result_facts(feed: Any) -> dict[str, Any] | None:
    if feed is None:
        return None
    params = feed.params
    return {
        "id": feed.id,
        "status": feed.status,
        "video_url": feed.video_url,
        "seed": params.seed,
        "model": params.model,
        "motion_id": params.motion_id,
        "width": params.width,
        "height": params.height,
    }


def studio_facts(studio: Any) -> dict[str, Any]:
    """The Studio's latest result, how many there are, the settings on show, what its
    Comparison region shows (labels and the parameters that differ), and its first frame
    (the uploaded file's name and the size it arrived at)."""
    motion = studio.motion
    shown = studio.comparison
    first = studio.images[0] if studio.images else None
    return {
        "first_frame": None if first is None else {"name": first.name, "size": list(first.size or ())},
        "emulated": studio.emulated,
        "compared": [item["label"] for item in shown.get("items", [])],
        "differ": [row[0] for row in shown.get("differ", [])],
        "result": result_facts(studio.result),
        "results": len(studio.results),
        "seed": studio.seed,
        "keep_seed": studio.keep_seed,
        "model": studio.model,
        "motion": None if motion is None else {"id": motion.id, "name": motion.name},
    }
