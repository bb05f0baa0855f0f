"""Chart figures of the figures stage: term frequency, topic terms, trends (model selection and
the other topic figures are in ``topic_figs.py``).

Each function takes tables and returns a ``matplotlib.figure.Figure`` (no pyplot state); the
caller sets the font and style (``pipelines.figures.compute``) and saves it.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["STYLE", "model_rows", "term_frequency", "topic_terms", "topic_trends"]

# Thesis look: no top/right spines, light grid behind the data, modest sizes.
STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 13,
}

BAR_COLOR = "#3b6ea8"
MARK_COLOR = "#c0392b"

_TARGET: ContextVar[float | None] = ContextVar("figure_width", default=None)


@contextlib.contextmanager
def target_width(inches: float | None) -> Iterator[None]:
    """The print width the figures drawn inside will be resized to (``--size``), so that
    a figure of panels can choose how many fit side by side and wrap its titles."""
    token = _TARGET.set(inches)
    try:
        yield
    finally:
        _TARGET.reset(token)


def panel_columns(n: int, most: int = 4) -> int:
    """Columns of a grid of ``n`` small panels: ``most``, fewer when the print width holds
    fewer panels of at least 1.6 in (4 cm) each."""
    width = _TARGET.get()
    if width is not None:
        most = max(1, min(most, int(width // 1.6)))
    return max(1, min(most, n))


def wrap_title(text: str, fontsize: float = 10.0, width: float | None = None) -> str:
    """``text`` wrapped to the print width (each line; CJK characters count twice)."""
    import textwrap as tw

    from pipelines.core.textwidth import width as columns

    inches = _TARGET.get() if width is None else width
    if inches is None:
        return text
    chars = max(20, int(inches * 72 / (fontsize * 0.55)))
    out = []
    for line in text.split("\n"):
        wide = columns(line) - len(line)  # extra columns of CJK characters
        out.extend(tw.wrap(line, max(10, chars - wide)) or [""])
    return "\n".join(out)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def model_rows(table: pa.Table, method: str, k: int) -> pa.Table:
    """Rows of one topic model (``method``, ``k``) of a topics table."""
    mask = pc.and_(pc.equal(table.column("method"), method), pc.equal(table.column("k"), k))
    return table.filter(mask)


def term_frequency(terms: pa.Table, *, top_n: int) -> Any:
    """Horizontal bars of the ``top_n`` terms by tf (ties broken by the term).

    Args:
        terms: ``terms/terms`` (term, tf).
        top_n: Number of terms drawn.

    Returns:
        The figure.
    """
    rows = sorted(zip(terms.column("term").to_pylist(), terms.column("tf").to_pylist(),
                      strict=True), key=lambda r: (-r[1], r[0]))[:top_n]
    labels = [t for t, _ in rows][::-1]
    values = [v for _, v in rows][::-1]
    fig = _figure(6.5, max(2.2, 0.24 * len(rows) + 1.0))
    ax = fig.add_subplot()
    bars = ax.barh(range(len(rows)), values, color=BAR_COLOR, height=0.7)
    ax.set_yticks(range(len(rows)), labels)
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=2, fontsize=7,
                 color="#333333")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.margins(x=0.08)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Term frequency (词频)")
    ax.set_title(f"Top {len(rows)} terms by frequency (高频词)")
    return fig


def _wrap(label: str, width: int) -> str:
    """Shorten a topic label to two lines of about ``width`` characters."""
    lines = textwrap.wrap(label, width=width) or [label]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1] + "…"]
    return "\n".join(lines)


def topic_terms(topic_terms: pa.Table, *, method: str, k: int, words: int) -> Any:
    """Small multiples: the top ``words`` terms of each topic of one model.

    Args:
        topic_terms: ``topics/topic_terms`` (topic, rank, term, weight, label).
        method: Topic model method drawn.
        k: Number of topics of the model drawn.
        words: Terms per topic.

    Returns:
        The figure.
    """
    rows = model_rows(topic_terms, method, k).to_pylist()
    topics = sorted({r["topic"] for r in rows})
    ncols = panel_columns(len(topics))
    nrows = math.ceil(len(topics) / ncols)
    fig = _figure(2.35 * ncols + 0.3, (0.2 * words + 0.9) * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colors = _palette(len(topics))
    for ax, topic, color in zip(axes, topics, colors, strict=False):
        mine = sorted((r for r in rows if r["topic"] == topic), key=lambda r: r["rank"])[:words]
        labels = [r["term"] for r in mine][::-1]
        weights = [r["weight"] for r in mine][::-1]
        ax.barh(range(len(mine)), weights, color=color, height=0.7)
        ax.set_yticks(range(len(mine)), labels)
        ax.set_ylim(-0.6, words - 0.4)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="x", labelsize=7)
        label = mine[0].get("label") if mine else None
        name = f"T{topic}" if not label or label == f"Topic {topic}" else f"T{topic} {label}"
        ax.set_title(_wrap(name, 18), fontsize=9)
    for ax in axes[len(topics):]:
        ax.set_visible(False)
    fig.supxlabel("Term weight in topic (主题-词权重)", fontsize=9)
    fig.suptitle(wrap_title(f"Top {words} terms per topic (主题词), {method.upper()} k={k}"))
    return fig


def _palette(n: int) -> list[Any]:
    """``n`` distinct colours: tab10 up to 10, tab20 up to 20, then a cycle of tab20."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def topic_trends(trends: pa.Table, topic_terms: pa.Table, *, method: str, k: int) -> Any:
    """Topic shares by year: stacked areas (three years or more) or stacked bars.

    Args:
        trends: ``topics/topic_trends`` rows of one model (year, topic, share).
        topic_terms: ``topics/topic_terms``, for the topic labels and top terms in the legend.
        method: Topic model method drawn.
        k: Number of topics of the model drawn.

    Returns:
        The figure.
    """
    rows = trends.to_pylist()
    years = sorted({r["year"] for r in rows})
    topics = sorted({r["topic"] for r in rows})
    share = {(r["year"], r["topic"]): r["share"] for r in rows}
    series = [[share.get((y, t), 0.0) for y in years] for t in topics]
    names = _legend_names(model_rows(topic_terms, method, k).to_pylist(), topics)
    colors = _palette(len(topics))
    fig = _figure(7.5, 4.2)
    ax = fig.add_subplot()
    if len(years) >= 3:
        # Years without documents stay blank: one stacked area per run of consecutive years,
        # so no slope is drawn across a gap the data do not cover.
        for number, run in enumerate(_consecutive_runs(years)):
            index = [years.index(y) for y in run]
            values = [[s[i] for i in index] for s in series]
            labels = names if number == 0 else None
            if len(run) == 1:
                bottom = 0.0
                for value, name, color in zip((v[0] for v in values), names, colors,
                                              strict=True):
                    ax.bar(run, [value], bottom=bottom, width=0.8, color=color,
                           label=name if labels else None)
                    bottom += value
            else:
                ax.stackplot(run, values, labels=labels or (), colors=colors, linewidth=0.3,
                             edgecolor="white")
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    else:
        bottom = [0.0] * len(years)
        for values, name, color in zip(series, names, colors, strict=True):
            ax.bar([str(y) for y in years], values, bottom=bottom, label=name, color=color,
                   width=0.6)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(1.0, max(sum(s[i] for s in series) for i in range(len(years)))))
    ax.set_xlabel("Year (年份)")
    ax.set_ylabel("Mean topic share (主题占比)")
    ax.set_title(f"Topic trends by year (主题演化), {method.upper()} k={k}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1 if len(topics) <= 16 else 2,
              fontsize=7)
    return fig


def _consecutive_runs(years: list[int]) -> list[list[int]]:
    """Split sorted years into runs without gaps.

    >>> _consecutive_runs([1954, 1955, 1957, 1960, 1961])
    [[1954, 1955], [1957], [1960, 1961]]
    """
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def _legend_names(rows: list[dict[str, Any]], topics: list[int]) -> list[str]:
    """``T<n> label`` or, for default labels, ``T<n> term1 term2 term3``."""
    names = []
    for topic in topics:
        mine = sorted((r for r in rows if r["topic"] == topic), key=lambda r: r["rank"])
        label = mine[0].get("label") if mine else None
        if label and label != f"Topic {topic}":
            names.append(f"T{topic} {label}")
        else:
            names.append(f"T{topic} " + " ".join(r["term"] for r in mine[:3]))
    return names
