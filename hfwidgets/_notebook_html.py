"""A notebook as one HTML page that reads with no network and no kernel (`hfwidgets html`).

`jupyter nbconvert --to html` prefers a widget's view when the notebook holds
widget state; that view is drawn by a widget manager loaded from a CDN, so with
no network (offline docs, an intranet) every widget output is blank. Here the
notebook is first made to stand on its own (`offline_notebook`):

- an hfwidgets widget output keeps only its static view (the `text/html` the
  widget puts beside its widget view: poster, parameters, status);
- any other widget output keeps its HTML or text fallback, or a line saying a
  kernel is needed: no output is left blank;
- the widget state is dropped, so no widget manager is loaded;
- no loopback URL is left (the emulator's videos are gone with its process): a
  `<video>` on one becomes its poster (a data: URL), other links lose the URL,
  and text shows a placeholder instead.

Then nbconvert's HTML exporter renders it with its "lab" template minus every
script it would load from a CDN (require.js, MathJax, mermaid): math stays as
its TeX source.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._extras import require
from ._media import is_loopback_url

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["LOOPBACK_PLACEHOLDER", "NEEDS_KERNEL", "export_html", "offline_notebook", "scrub_loopback"]

WIDGET_VIEW: Final = "application/vnd.jupyter.widget-view+json"
HFWIDGETS_MARKER: Final = 'class="hfw-static'
"""Every hfwidgets static view is a `<div class="hfw-static...">` (see `_static`)."""
NEEDS_KERNEL: Final = "[an interactive widget: it needs a running kernel]"
LOOPBACK_PLACEHOLDER: Final = "[a local emulator URL, not kept]"

_URL = re.compile(r"""https?://(?:\[[0-9A-Fa-f:.]*\]|[^\s/"'<>`)\[\]]+)[^\s"'<>`)\]]*""")
_VIDEO = re.compile(r"<video\b[^>]*>.*?</video>", re.S | re.I)
_ATTRIBUTE = re.compile(r"""\s(src|href|poster)\s*=\s*(["'])(.*?)\2""", re.S | re.I)
_POSTER = re.compile(r"""\sposter\s*=\s*(["'])(data:image/[^"']+)\1""", re.I)

_TEMPLATE: Final = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_TEMPLATE_NAME: Final = "hfwidgets_offline.html.j2"


def _replace_loopback_urls(text: str) -> str:
    return _URL.sub(lambda m: LOOPBACK_PLACEHOLDER if is_loopback_url(m.group(0)) else m.group(0), text)


def scrub_loopback(markup: str) -> str:
    """HTML with no loopback URL: such a video becomes its data: poster (or a note), such an
    attribute is removed, such a URL in text is replaced by a placeholder."""

    def video(match: re.Match[str]) -> str:
        tag = match.group(0)
        if not any(is_loopback_url(url) for url in _URL.findall(tag)):
            return tag
        poster = _POSTER.search(tag)
        if poster is not None:
            return f'<img src="{poster.group(2)}" alt="The video\'s first frame (the video was not kept)">'
        return f"<p><i>{html.escape(LOOPBACK_PLACEHOLDER)}</i></p>"

    def attribute(match: re.Match[str]) -> str:
        return "" if is_loopback_url(html.unescape(match.group(3)).strip()) else match.group(0)

    return _replace_loopback_urls(_ATTRIBUTE.sub(attribute, _VIDEO.sub(video, markup)))


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _offline_output(output: dict[str, Any]) -> None:
    """One output made to stand alone, in place."""
    if output.get("output_type") == "stream":
        output["text"] = _replace_loopback_urls(_text(output.get("text", "")))
        return
    data = output.get("data")
    if not isinstance(data, dict):
        return
    if WIDGET_VIEW in data:
        del data[WIDGET_VIEW]
        shown = _text(data.get("text/html", ""))
        if HFWIDGETS_MARKER not in shown:  # another library's widget: its own fallback, if any
            for kind in list(data):
                if kind not in ("text/html", "text/plain"):
                    del data[kind]
        if not any(_text(value).strip() for value in data.values()):
            data["text/plain"] = NEEDS_KERNEL
    for kind, value in list(data.items()):
        if kind == "text/html":
            data[kind] = scrub_loopback(_text(value))
        elif (kind.startswith("text/") or kind.endswith("json")) and isinstance(value, (str, list)):
            data[kind] = _replace_loopback_urls(_text(value))


def offline_notebook(notebook: NotebookNode) -> NotebookNode:
    """A copy of `notebook` that renders with no network and no kernel (see the module docstring)."""
    result = copy.deepcopy(notebook)
    result.metadata.pop("widgets", None)
    for cell in result.cells:
        if cell.get("cell_type") == "markdown":
            cell.source = scrub_loopback(_text(cell.source))
        for output in cell.get("outputs", []):
            _offline_output(output)
    return result


def export_html(notebook: str | Path, out: str | Path | None = None) -> Path:
    """Write `notebook` as one HTML page that reads offline (default: beside it, .html); its path."""
    require("tutorials", "hfwidgets html", modules=("nbconvert", "nbformat"))
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    source = Path(notebook)
    target = Path(out) if out is not None else source.with_suffix(".html")
    node = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
    )
    body, _resources = exporter.from_notebook_node(
        offline_notebook(node), resources={"metadata": {"name": source.stem}}
    )
    target.write_text(body, encoding="utf-8")
    return target
