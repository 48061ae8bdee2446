"""Static views of results (hfwidgets._static): what a saved notebook shows without a kernel.

Results come from a real emulator (real mp4s); a feed with a public video URL is the
provider's example feed, its video bytes served from an emulator-made mp4.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image

import hfwidgets
from hfwidgets import _static
from hfwidgets._models import Feed
from hfwidgets._static import POSTER_MAX_BYTES, is_public_url, poster

if TYPE_CHECKING:
    from hfwidgets._client import Client

DATA = Path(__file__).parent.parent / "data"
LOOPBACK = re.compile(r"(127\.\d+\.\d+\.\d+|localhost|\[::1\])", re.IGNORECASE)
DATA_IMAGE = re.compile(r'src="data:image/(webp|jpeg);base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(autouse=True)
def _fresh_poster_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Posters are cached per process by task id: no test leaves one behind for another."""
    monkeypatch.setattr(_static, "_posters", type(_static._posters)())
    monkeypatch.setattr(_static, "_failures", {})


@pytest.fixture
async def finished(emulator_client: Client) -> Feed:
    task = await emulator_client.generate(
        DATA.parent.parent / "notebooks" / "images" / "cat.jpg", "Face Punch", "a cat", seed=42
    )
    return await emulator_client.wait(task)


def example_feed(**changes: Any) -> Feed:
    """The provider's example feed (its video on a public CDN), with `params` changes."""
    raw = json.loads((DATA / "feed_completed.json").read_text("utf-8"))
    raw["params"].update(changes)
    return Feed.from_json(raw)


def decoded_images(markup: str) -> list[Image.Image]:
    pictures: list[Image.Image] = []
    for _kind, data in DATA_IMAGE.findall(markup):
        picture = Image.open(io.BytesIO(base64.b64decode(data)))
        picture.load()
        pictures.append(picture)
    return pictures


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://d8j0ntlcm91z4.cloudfront.net/u/v.mp4", True),
        ("http://cdn.example.com/v.mp4", True),
        ("http://127.0.0.1:8123/files/x.mp4", False),
        ("http://localhost:8123/files/x.mp4", False),
        ("http://[::1]:8123/x.mp4", False),
        ("http://10.0.0.5/x.mp4", False),
        ("http://192.168.1.2/x.mp4", False),
        ("http://169.254.1.1/x.mp4", False),
        ("http://printer.local/x.mp4", False),
        ("http://intranet/x.mp4", False),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("", False),
        (None, False),
    ],
)
def test_only_public_http_urls_count_as_public(url: str | None, public: bool) -> None:
    assert is_public_url(url) is public


async def test_an_emulator_result_shows_its_poster_and_parameters_and_never_its_url(finished: Feed) -> None:
    assert finished.video_url is not None and "127.0.0.1" in finished.video_url
    markup = finished._repr_html_()

    pictures = decoded_images(markup)
    assert len(pictures) == 1
    assert pictures[0].format == "WEBP" and min(pictures[0].size) > 0
    webp = poster(finished)
    assert webp is not None and len(webp) <= POSTER_MAX_BYTES
    for shown in ("Face Punch", "lite", "42", "864×1152", "Synthetic video", "Completed"):
        assert shown in markup
    assert not LOOPBACK.search(markup)
    assert "<video" not in markup


async def test_the_poster_is_the_first_frame(finished: Feed) -> None:
    frames = finished.frames()
    webp = poster(finished)
    assert webp is not None
    shown = Image.open(io.BytesIO(webp)).convert("RGB")
    first = Image.fromarray(frames[0]).resize(shown.size)
    last = Image.fromarray(frames[-1]).resize(shown.size)

    def distance(a: Image.Image, b: Image.Image) -> float:
        return sum(abs(x - y) for x, y in zip(a.tobytes(), b.tobytes(), strict=True)) / len(a.tobytes())

    assert distance(shown, first) < 12
    assert distance(shown, first) < distance(shown, last)


async def test_a_public_video_gets_a_lazy_player_with_poster_and_a_download_link(
    finished: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert finished.min_url is not None
    async with httpx.AsyncClient() as http:  # a real mp4, served as if from the CDN
        mp4 = (await http.get(finished.min_url)).content
    fetched: list[str] = []

    def fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
        fetched.append(url)
        return mp4

    monkeypatch.setattr(_static, "_fetch", fetch)
    feed = example_feed()
    markup = feed._repr_html_()

    assert fetched == [feed.min_url]  # the reduced video is enough for a poster
    video = re.search(r"<video[^>]*>", markup)
    assert video is not None
    tag = video.group(0)
    assert 'preload="none"' in tag and "controls" in tag
    assert 'poster="data:image/webp;base64,' in tag
    assert f'src="{feed.video_url}"' in tag
    assert f'href="{feed.video_url}" download' in markup
    assert "Synthetic" not in markup
    for shown in ("Face Punch", "standard", "374487", "736×1312"):
        assert shown in markup


def test_strings_from_the_feed_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_static, "poster", lambda feed, timeout=0: None)
    feed = example_feed(
        prompt='<script>alert("p")</script>', motion={"id": "m", "name": '<img src=x onerror="alert(1)">'}
    )
    markup = feed._repr_html_()
    assert "<script>" not in markup and "<img src=x" not in markup
    assert "&lt;script&gt;" in markup and "&lt;img src=x" in markup


async def test_without_pyav_there_is_no_poster_but_everything_else(
    finished: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    markup = finished._repr_html_()
    assert not decoded_images(markup)
    assert "Face Punch" in markup and "Synthetic video" in markup
    with pytest.raises(hfwidgets.MissingExtra) as missing:
        finished.show(embed="animated")
    assert missing.value.extra == "video"


def test_an_unreachable_video_gives_no_poster_within_the_deadline() -> None:
    feed = example_feed()
    raw = dict(feed.raw)
    raw["id"] = "unreachable-" + feed.id
    raw["jobs"] = [
        {**job, "result": {"url": "http://127.0.0.1:9/v.mp4"}, "results": None} for job in raw["jobs"]
    ]
    unreachable = Feed.from_json(raw)
    assert poster(unreachable, timeout=2.0) is None
    assert "Completed" in unreachable._repr_html_()


def test_a_pending_feed_says_so_without_poster() -> None:
    raw = json.loads((DATA / "feed_completed.json").read_text("utf-8"))
    raw["jobs"][0].update(status="in_progress", result=None, results=None)
    markup = Feed.from_json(raw)._repr_html_()
    assert "Not finished" in markup and "in progress" in markup
    assert not decoded_images(markup) and "<video" not in markup


async def test_show_embeds_an_animated_preview_or_the_video_with_its_size(finished: Feed) -> None:
    animated = finished.show(embed="animated")
    pictures = decoded_images(animated._repr_html_())
    assert pictures and getattr(pictures[0], "n_frames", 1) > 1
    assert f"{animated.size / 1024:.0f} KB" in animated._repr_html_()
    assert "KB embedded" in repr(animated)

    video = finished.show(embed="video")
    markup = video._repr_html_()
    assert video.size > 0 and 'src="data:video/mp4;base64,' in markup
    assert markup.index("Embedded mp4") < markup.index("<video")
    assert not LOOPBACK.search(markup)

    with pytest.raises(hfwidgets.ValidationError) as refused:
        finished.show(embed="video", max_bytes=1000)
    assert refused.value.field == "max_bytes"
    with pytest.raises(hfwidgets.ValidationError) as wrong:
        finished.show(embed="gif")  # type: ignore[arg-type]
    assert wrong.value.field == "embed"
    assert finished.show().size == 0


def bundle_of(widget: Any) -> dict[str, Any]:
    data, _metadata = widget._repr_mimebundle_()
    assert isinstance(data, dict)
    return data


async def test_widgets_carry_a_static_view_beside_the_live_one(emulator_client: Client) -> None:
    image = DATA.parent.parent / "notebooks" / "images" / "cat.jpg"
    studio = hfwidgets.Studio(emulator_client, image=image, motion="Static", resume_pending=False)
    before = bundle_of(studio)
    assert "application/vnd.jupyter.widget-view+json" in before
    assert before["text/plain"].startswith("Studio(")
    assert "No results" in before["text/html"]

    task = studio.generate()
    assert task is not None
    await studio.wait()
    after = bundle_of(studio)["text/html"]
    assert after.count('class="hfw-static-result"') == 1
    assert len(decoded_images(after)) == 1 and "Static" in after
    assert not LOOPBACK.search(after)

    view = bundle_of(hfwidgets.ResultView(studio.result))
    assert len(decoded_images(view["text/html"])) == 1
    assert "No task yet" in bundle_of(hfwidgets.ResultView())["text/html"]

    explorer = hfwidgets.Explorer(image, motions=["Static", "Arc Left"], seeds=[1, 2], client=emulator_client)
    assert bundle_of(explorer)["text/html"].count("Not run") == 4
    await explorer.wait()
    grid = bundle_of(explorer)["text/html"]
    assert len(decoded_images(grid)) == 4
    assert "repeat(2," in grid and "Arc Left" in grid and "seed 2" in grid

    panel = hfwidgets.AdsPanel(
        emulator_client, image=DATA.parent.parent / "notebooks" / "images" / "product.jpg"
    )
    assert "No ad" in bundle_of(panel)["text/html"]
    panel.generate()
    await panel.wait()
    ad = bundle_of(panel)["text/html"]
    assert len(decoded_images(ad)) == 1 and "3hpZ2HB0xS688KnzMIwU16" in ad
    assert not LOOPBACK.search(ad)


async def test_history_links_only_public_videos(finished: Feed) -> None:
    history = hfwidgets.history()
    assert any(record.id == finished.id for record in history)
    markup = history._repr_html_()
    assert finished.id in markup and "synthetic" in markup
    assert not LOOPBACK.search(markup)


def test_split_rows_keeps_the_order_and_parts_what_differs_from_what_is_the_same() -> None:
    rows = [
        [("Motion", "Face Punch"), ("Model", "lite"), ("Seed", "1")],
        [("Motion", "Face Punch"), ("Model", "lite"), ("Seed", "2")],
        [("Motion", "Arc Left"), ("Model", "lite")],
    ]
    differ, same = _static.split_rows(rows)
    assert differ == [("Motion", ["Face Punch", "Face Punch", "Arc Left"]), ("Seed", ["1", "2", "—"])]
    assert same == [("Model", "lite")]
    assert _static.split_rows([]) == ([], [])


def test_a_comparison_escapes_what_comes_from_the_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_static, "poster", lambda feed, timeout=0: None)
    hostile = "<script>alert(1)</script>"
    one, two = example_feed(), example_feed(seed=2, prompt=hostile)
    page = _static.comparison_html([one, two], [hostile, "#2"], title=hostile)
    assert "<script>" not in page and page.count("&lt;script&gt;") == 4  # title, caption, column head, prompt
    assert re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', page) == ["≠ Seed", "≠ Prompt"]
