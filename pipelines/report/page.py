"""HTML pieces of the report: escaping, tables, figures, the page around the sections."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from pipelines import __version__
from pipelines.core.fonts import css_font_face

__all__ = ["Html", "esc", "table", "note", "missing", "figure", "page"]

CSS = """
body{font-family:"wenmai-cjk","Noto Sans CJK SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei","Helvetica Neue",Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1.5em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #3b6ea8;padding-bottom:.3em}
h2{margin-top:2em;color:#3b6ea8}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f4f9}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.rec td{background:#fff4d6;font-weight:bold}
figure{margin:1.5em 0}
figure img,figure object{max-width:100%;max-height:900px;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
details{margin:.5em 0}
code{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono","wenmai-cjk",monospace;
font-size:.85em}
td.params code{display:inline-block;margin-right:.8em}
.missing{color:#a33}
.note{color:#555;font-size:.9em}
"""

MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


class Html(str):
    """Text that is already HTML: :func:`esc` leaves it as it is."""

    def __html__(self) -> str:
        return str(self)


def esc(value: Any) -> str:
    """A cell value as HTML text: thousands separators, 4 significant digits, blank None."""
    if isinstance(value, Html):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape(str(value))


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(header: list[str], rows: list[list[Any]], *, highlight: list[bool] | None = None,
          years: tuple[int, ...] = ()) -> str:
    """An HTML table; numbers right-aligned (columns in ``years`` without separators),
    highlighted rows marked."""
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in header),
           "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="rec"' if highlight and highlight[i] else ""
        cells = []
        for j, v in enumerate(row):
            text = str(v) if j in years and v is not None else esc(v)
            cells.append(f'<td class="num">{text}</td>' if _is_num(v) else f"<td>{text}</td>")
        out.append(f"<tr{cls}>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def note(text: str) -> str:
    """A grey paragraph (``text`` is HTML)."""
    return f"<p class='note'>{text}</p>"


def missing(stage: str) -> str:
    """The line a section shows when its stage has not run."""
    return f'<p class="missing">Not run yet: run <code>wenmai {stage}</code>.</p>'


def figure(name: str, fmt: str, data: bytes, caption: str, extra: str = "") -> str:
    """A figure embedded as a data URL (PNG/SVG as an image, PDF as an object)."""
    url = f"data:{MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
    label = html.escape(name)
    body = (f'<object data="{url}" type="application/pdf" width="100%" height="700">'
            f"{label}.pdf</object>" if fmt == "pdf" else f'<img alt="{label}" src="{url}">')
    return (f"<figure id='fig-{label}'>{body}<figcaption>{html.escape(caption)} "
            f"(<code>figures/{label}.{fmt}</code>{extra})</figcaption></figure>")


def page(title: str, workdir_name: str, sections: list[tuple[str, str]]) -> str:
    """The whole HTML document with the font subset its text needs."""
    nav = " ".join(f"<a href='#s{i}'>{html.escape(t)}</a>" for i, (t, _) in enumerate(sections))
    body = "".join(f"<section id='s{i}'><h2>{html.escape(t)}</h2>{s}</section>"
                   for i, (t, s) in enumerate(sections))
    # the text the page shows, for the font subset: no tags, no data URLs (whose base64 is
    # long), but "wenmai-data:" in a parameter value stays text
    visible = html.unescape(re.sub(r"<[^>]+>|data:[\w/+.-]+;base64,[\w+/=]+", " ", body))
    visible += title
    return ("<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{css_font_face(visible)}{CSS}</style>"
            f"</head><body><h1>{html.escape(title)}</h1>"
            f"<p class='note'>Made by wenmai {html.escape(__version__)} from the work folder "
            f"<code>{html.escape(workdir_name)}</code>; each table below is read from "
            "<code>&lt;stage&gt;/&lt;table&gt;.parquet</code> (or the part files of "
            "<code>&lt;stage&gt;/&lt;table&gt;/</code>) there, and each stage's "
            f"parameters from its <code>manifest.json</code>.</p><nav>{nav}</nav>"
            f"{body}</body></html>\n")
