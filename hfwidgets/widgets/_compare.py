"""Compare: two to four results side by side, played in sync, with the parameters that differ.

The view (`static/compare.js`) is one region, "Comparison": a video per result,
one "Play all" / "Pause all" button and one "Position" slider that move every
video together, and a table of the parameters that differ, marked ≠. The
Studio shows it under its History (checkboxes "Compare <entry label>", then
"Compare"); `compare(feeds)` and `Explorer.compare()` make a `Comparison`
widget of their own. Either reads one dict trait, `comparison`, made by
`comparison_state`. Videos come as every result's do: `MediaChannel` refs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import traitlets

from .._errors import ValidationError
from .._models import Feed
from .._static import StaticRepr, comparison_html, split_rows
from ._assets import compose_css, compose_esm
from ._base import MediaChannel, WidgetBase
from ._i18n import tr
from ._result_view import params_rows

__all__ = [
    "MAX_COMPARED",
    "MIN_COMPARED",
    "CompareChoice",
    "Comparison",
    "check_comparable",
    "compare",
    "comparison_state",
    "is_comparable",
]

MIN_COMPARED: Final = 2
MAX_COMPARED: Final = 4

_PROMPT_SHOWN: Final = 80  # characters of a prompt in the table: its start tells prompts apart
_NOT_COMPARED: Final = ("p_task", "p_created")  # they tell results apart, they are not settings


def is_comparable(feed: Feed | None) -> bool:
    """A completed task with a video: something to play side by side."""
    return feed is not None and feed.status == "completed" and bool(feed.video_url)


class CompareChoice(traitlets.HasTraits):
    """The synced state of a widget that compares its own results (Studio, Explorer)."""

    comparison = traitlets.Dict().tag(sync=True)
    """What the Comparison region shows ({} when closed): results checked in the view, then Compare."""
    compare_checked = traitlets.List(traitlets.Int()).tag(sync=True)
    """The numbers checked "Compare" in the view (History entries, Explorer cells from 1): held in
    the model, so a view drawn anew (once per result) keeps them checked."""


def check_comparable(feeds: Sequence[object], field: str = "feeds") -> list[Feed]:
    """`feeds` when they are 2 to 4 completed feeds with a video; ValidationError naming `field`."""
    wanted = f"{MIN_COMPARED} to {MAX_COMPARED} completed results with a video"
    if isinstance(feeds, (str, bytes, Feed)) or not isinstance(feeds, Sequence):
        raise ValidationError(field, feeds, f"a list of {wanted}")
    if not MIN_COMPARED <= len(feeds) <= MAX_COMPARED:
        raise ValidationError(field, f"{len(feeds)} result(s)", wanted)
    chosen: list[Feed] = []
    for feed in feeds:
        if feed is None:
            raise ValidationError(field, None, wanted, hint="one of them has no result yet")
        if not isinstance(feed, Feed):
            raise ValidationError(field, feed, f"Feed objects: {wanted}")
        if not is_comparable(feed):
            raise ValidationError(field, feed.id, wanted, hint=f"task {feed.id} is {feed.status!r}")
        chosen.append(feed)
    return chosen


def item_label(feed: Feed, number: int, lang: str) -> str:
    """ "#1 Face Punch · lite · seed 42": what a compared video is called."""
    p = feed.params
    return tr(
        lang,
        "compare_item",
        n=number,
        motion=p.motion_name or p.motion_id or "?",
        model=p.model or "?",
        seed="?" if p.seed is None else p.seed,
    )


def compared_rows(feed: Feed, lang: str) -> list[tuple[str, str]]:
    """The rows of a result that are compared: its parameters table (not its id and date) and its prompt."""
    skip = {tr(lang, key) for key in _NOT_COMPARED}
    rows = [row for row in params_rows(feed, lang) if row[0] not in skip]
    prompt = feed.prompt or "—"
    if len(prompt) > _PROMPT_SHOWN:
        prompt = prompt[: _PROMPT_SHOWN - 1] + "…"
    return [*rows, (tr(lang, "prompt"), prompt)]


def comparison_state(items: Sequence[tuple[int, Feed]], media: MediaChannel, lang: str) -> dict[str, Any]:
    """The `comparison` dict the view shows for (number, feed) pairs ({} for none).

    items: [{label, short, video (a media ref), duration}]; differ: [[label, [text per
    item]]] of the parameters that differ; same: [[label, text]] of those the same in all.
    """
    if not items:
        return {}
    differ, same = split_rows([compared_rows(feed, lang) for _, feed in items])
    return {
        "items": [
            {
                "label": item_label(feed, number, lang),
                "short": f"#{number}",
                "video": media.ref(feed.video_url),
                "duration": feed.duration,
            }
            for number, feed in items
        ],
        "differ": [[label, texts] for label, texts in differ],
        "same": [[label, text] for label, text in same],
    }


class Comparison(StaticRepr, WidgetBase):
    """Two to four results side by side, played in sync.

    "Play all" (then "Pause all") plays every video at once and the "Position"
    slider moves them all to the same time; the parameters that differ (seed,
    motion, ...) are listed and marked ≠, those the same in all on one line. Make
    one with `hfwidgets.compare(feeds)` or `Explorer.compare()`. A saved notebook
    shows the posters and the table of differing parameters.
    """

    _esm = compose_esm("compare.js", "compare_view.js")
    _css = compose_css("compare.css")

    comparison = traitlets.Dict().tag(sync=True)
    """What the Comparison region shows (see `comparison_state`)."""

    def __init__(self, feeds: Sequence[Feed], *, lang: str | None = None) -> None:
        chosen = check_comparable(feeds)
        super().__init__(lang=lang, uses_client=False)
        self.feeds: list[Feed] = chosen
        """The compared results, in the order shown."""
        self._refresh()
        self.observe(lambda _change: self._refresh(), names="lang")

    def _refresh(self) -> None:
        self.comparison = comparison_state(list(enumerate(self.feeds, 1)), self.media, self.lang)

    @property
    def differing(self) -> list[str]:
        """The names of the parameters that differ (e.g. ["Motion", "Seed"])."""
        return [str(row[0]) for row in self.comparison.get("differ", [])]

    def static_html(self) -> str:
        """Posters side by side and the table of differing parameters, for readers without a kernel."""
        labels = [item_label(feed, number, "en") for number, feed in enumerate(self.feeds, 1)]
        return comparison_html(self.feeds, labels, title=f"Comparison of {len(self.feeds)} results")

    def __repr__(self) -> str:
        ids = ", ".join(repr(feed.id) for feed in self.feeds)
        return f"Comparison([{ids}], differing={self.differing!r})"


def compare(feeds: Sequence[Feed], *, lang: str | None = None) -> Comparison:
    """Two to four finished results side by side, played in sync (a widget: display it).

    `feeds` are completed `Feed`s with a video (e.g. `studio.results[-2:]`,
    `explorer.feeds[:3]`); anything else is a ValidationError naming `feeds`.
    """
    return Comparison(feeds, lang=lang)
