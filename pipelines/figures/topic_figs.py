"""Topic figures beyond the term lists: model selection, effects with bands, topics across k.

Each function takes tables and returns a ``matplotlib.figure.Figure``; the caller sets the font
and style and saves it (see ``stage.py``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from functools import partial
from typing import Any

import pyarrow as pa

from pipelines.figures.plots import (
    MARK_COLOR,
    _figure,
    _palette,
    model_rows,
    panel_columns,
    wrap_title,
)

__all__ = ["SELECTION_PANELS", "model_selection", "topic_effects", "topic_alignment", "plan_more"]

# (column, title, True if higher is better)
SELECTION_PANELS = (
    ("coherence_cv", "Coherence $C_V$", True),
    ("coherence_npmi", "Coherence NPMI (used for k)", True),
    ("coherence_umass", "Coherence UMass", True),
    ("stability", "Stability across seeds (used for k)", True),
    ("perplexity", "Held-out perplexity", False),
    ("topic_diversity", "Topic diversity", True),
)
LDATUNING = (("minimize", (("arun2010", "Arun2010"), ("caojuan2009", "CaoJuan2009"))),
             ("maximize", (("griffiths2004", "Griffiths2004"), ("deveaud2014", "Deveaud2014"))))
BEST_COLOR = "#1e8449"


def _by_k(rows: list[dict[str, Any]], column: str) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for r in rows:
        v = r.get(column)
        if v is not None and math.isfinite(v):
            out.setdefault(int(r["k"]), []).append(float(v))
    return out


def _series(rows: list[dict[str, Any]], method: str, column: str
            ) -> tuple[list[int], list[float], list[float]] | None:
    """``(ks, means, sds over seeds)`` of one metric of one method, or None without values."""
    by_k = _by_k([r for r in rows if r["method"] == method], column)
    if not by_k:
        return None
    ks = sorted(by_k)
    stats = [_mean_sd(by_k[k]) for k in ks]
    return ks, [m for m, _ in stats], [s for _, s in stats]


def _mean_sd(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 \
        else 0.0
    return m, sd


def model_selection(selection: pa.Table, reason: str | None = None) -> Any:
    """Every metric of ``model_selection`` against k, each metric's best k marked.

    Lines are means over seeds, bars one standard deviation; the ldatuning metrics are rescaled
    to 0..1 and drawn in a "minimize" and a "maximize" panel as ldatuning's
    ``FindTopicsNumber_plot`` does. The recommended k is one vertical line on every panel and
    ``reason`` is printed under the figure.
    """
    rows = selection.to_pylist()
    if len({int(r["k"]) for r in rows}) == 1:
        return _one_k(rows)
    methods = sorted({r["method"] for r in rows})
    panels = [p for p in SELECTION_PANELS if any(r.get(p[0]) is not None for r in rows)]
    tuning = [(name, [m for m in metrics if any(r.get(m[0]) is not None for r in rows)])
              for name, metrics in LDATUNING]
    tuning = [(name, metrics) for name, metrics in tuning if metrics]
    n = len(panels) + len(tuning)
    ncols = panel_columns(n)
    nrows = math.ceil(n / ncols)
    fig = _figure(3.0 * ncols + 0.4, 2.5 * nrows + 1.3)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    recommended = sorted({(r["method"], r["k"]) for r in rows if r.get("recommended")})
    markers = {"lda": "o", "nmf": "s"}
    for ax, (column, title, higher) in zip(axes, panels, strict=False):
        for method in methods:
            series = _series(rows, method, column)
            if series is None:
                continue
            ks, means, sds = series
            ax.errorbar(ks, means, yerr=sds, marker=markers.get(method, "^"),
                        markersize=3.5, linewidth=1.2, capsize=2, label=method.upper())
            best = (max if higher else min)(range(len(ks)), key=lambda i: means[i])
            ax.plot([ks[best]], [means[best]], marker="o", markersize=9, markerfacecolor="none",
                    markeredgecolor=BEST_COLOR, markeredgewidth=1.6, zorder=5)
            ax.annotate(f"best k={ks[best]}", (ks[best], means[best]), textcoords="offset points",
                        xytext=(0, 7), ha="center", fontsize=7, color=BEST_COLOR)
        ax.set_title(f"{title}\n({'higher' if higher else 'lower'} is better)", fontsize=9)
    for ax, (name, metrics) in zip(axes[len(panels):], tuning, strict=False):
        for column, title in metrics:
            for method in methods:
                series = _series(rows, method, column)
                if series is None:
                    continue
                ks, raw, sds = series
                lo, hi = min(raw), max(raw)
                span = hi - lo or 1.0
                means = [(m - lo) / span for m in raw]
                line = ax.errorbar(ks, means, yerr=[s / span for s in sds], marker="o",
                                   markersize=3.5, linewidth=1.2, capsize=2, label=title)
                best = (max if name == "maximize" else min)(range(len(ks)),
                                                           key=lambda i: means[i])
                ax.plot([ks[best]], [means[best]], marker="o", markersize=9,
                        markerfacecolor="none", markeredgecolor=line.lines[0].get_color(),
                        markeredgewidth=1.6, zorder=5)
        ax.set_ylim(-0.12, 1.12)
        ax.set_title(f"ldatuning metrics, {name}\n(rescaled to 0–1; ring = best k)",
                     fontsize=9)
        ax.legend(loc="best", fontsize=7)
    tried = sorted({int(r["k"]) for r in rows})
    for ax in axes[:n]:
        ax.set_xlabel("Number of topics k")
        if len(tried) <= 16:
            ax.set_xticks(tried)
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
        for _, k in recommended:
            ax.axvline(k, color=MARK_COLOR, linestyle="--", linewidth=1.0)
    for ax in axes[n:]:
        ax.set_visible(False)
    if len(methods) > 1:
        axes[0].legend(fontsize=7)
    rec = ", ".join(f"{m.upper()} k={k}" for m, k in recommended)
    fig.suptitle(wrap_title("Topic model selection (主题数选择): " + (
        f"recommended {rec} (dashed line)" if rec else "no clear k")))
    caption = (reason.rstrip(".") + "." if reason else
               ("Recommended: " + rec + "." if rec else "No k recommended."))
    caption += " Green rings: each metric's own best k. Bars: ±1 SD over seeds."
    fig.supxlabel(wrap_title("\n".join(textwrap.wrap(caption, 150)), 7.5), fontsize=7.5,
                  ha="left", x=0.01)
    return fig


def _one_k(rows: list[dict[str, Any]]) -> Any:
    """With one k fitted there is nothing to choose: a table of its metrics, said as such."""
    k = int(rows[0]["k"])
    lines = []
    columns = [*SELECTION_PANELS,
               *((c, t, name == "maximize") for name, ms in LDATUNING for c, t in ms)]
    for method in sorted({r["method"] for r in rows}):
        for column, title, _ in columns:
            series = _series(rows, method, column)
            if series is not None:
                _, means, sds = series
                title = title.replace("$C_V$", "C_V").replace(" (used for k)", "")
                lines.append(f"{method.upper()}  {title}: {means[0]:.4g} ± {sds[0]:.2g}")
    fig = _figure(6.0, 1.2 + 0.22 * len(lines))
    fig.suptitle(wrap_title(f"Topic model selection: only k={k} was fitted, so there is "
                            "nothing to choose"), fontsize=10)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.0, 1.0, "\n".join(lines) + "\n\n" + wrap_title(
        "Metrics at that k (mean ± SD over seeds); fit a range (wenmai topics --k 4..12) to "
        "compare ks.", 8), va="top", ha="left", fontsize=8, transform=ax.transAxes)
    return fig


def _name(label: str | None, topic: int) -> str:
    return f"T{topic}" if not label or label == f"Topic {topic}" else f"T{topic} {label}"


def _runs(years: list[int]) -> list[tuple[int, int]]:
    """Consecutive years as (first, last) runs: [2001, 2002, 2005] -> [(2001, 2002),
    (2005, 2005)]."""
    runs: list[tuple[int, int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


def integer_years(ax: Any, axis: str = "x") -> None:
    """Ticks only at whole years (never 2017.5)."""
    from matplotlib.ticker import MaxNLocator

    getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True, nbins=5))


def topic_effects(effects: pa.Table, trends: pa.Table | None, *, method: str, k: int,
                  covariate: str = "year") -> Any:
    """Expected topic share by year with its 95 % band, one small panel per topic.

    Dots are the plain yearly means of ``topic_trends`` (when given). Years without documents
    (``n_docs`` 0) are shaded grey, and the curve is dashed across them: there it only
    interpolates between the years around.
    """
    rows = [r for r in model_rows(effects, method, k).to_pylist()
            if r["covariate"] == covariate]
    topics = sorted({r["topic"] for r in rows})
    raw = model_rows(trends, method, k).to_pylist() if trends is not None else []
    empty = sorted({int(r["x"]) for r in rows if r["n_docs"] == 0})
    years = sorted({int(r["x"]) for r in rows})
    ncols = panel_columns(len(topics))
    nrows = math.ceil(len(topics) / ncols)
    fig = _figure(2.6 * ncols + 0.4, 2.1 * nrows + 1.1)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    colors = _palette(len(topics))
    top = 0.0
    for ax, topic, color in zip(axes, topics, colors, strict=False):
        mine = sorted((r for r in rows if r["topic"] == topic), key=lambda r: r["x"])
        xs = [r["x"] for r in mine]
        seen = [r["n_docs"] > 0 for r in mine]
        for first, last in _runs(empty):
            ax.axvspan(first - 0.5, last + 0.5, color="#dddddd", linewidth=0, zorder=0)
        ax.fill_between(xs, [r["lower"] for r in mine], [r["upper"] for r in mine],
                        color=color, alpha=0.25, linewidth=0)
        ax.plot(xs, [r["share"] for r in mine], color=color, linewidth=1.0, linestyle=":")
        solid = [r["share"] if ok else float("nan") for r, ok in zip(mine, seen, strict=True)]
        ax.plot(xs, solid, color=color, linewidth=1.5)
        dots = [(r["year"], r["share"]) for r in raw if r["topic"] == topic]
        if dots:
            ax.scatter([d[0] for d in dots], [d[1] for d in dots], s=5, color="#555555",
                       zorder=3, linewidths=0)
        top = max([top] + [r["upper"] for r in mine] + [d[1] for d in dots])
        label = mine[0]["label"] if mine else None
        ax.set_title(textwrap.shorten(_name(label, topic), 26, placeholder="…"), fontsize=8.5)
        ax.tick_params(labelsize=7)
        integer_years(ax)
    for ax in axes[: len(topics)]:
        ax.set_ylim(0, min(1.0, top * 1.08) if top > 0 else 1.0)  # shares: never past 1
    for ax in axes[len(topics):]:
        ax.set_visible(False)
    fig.supxlabel("Year (年份)", fontsize=9)
    fig.supylabel("Expected topic share (主题占比)", fontsize=9)
    gap = (f"; grey: {len(empty)} of {len(years)} years without documents (curve dotted, "
           "interpolated)" if empty else "")
    fig.suptitle(wrap_title(f"Topic prevalence by year with 95% bootstrap band, "
                            f"{method.upper()} k={k}\nline: fractional logit spline of document "
                            f"topic shares on year; dots: yearly means{gap}", 9), fontsize=9)
    return fig


def topic_alignment(alignment: pa.Table, *, method: str, k: int | None = None) -> Any:
    """Topics across k as a flow: each topic of a larger k drawn from its parent topic.

    Columns are the ks tried, each topic a bar as tall as its share of the corpus; a band joins
    every topic to its parent (its most similar topic, by cosine of the word distributions, at
    the previous k), coloured by the topic of the smallest k it descends from. Topics of ``k``
    (the chosen model) are labelled.
    """
    rows = [r for r in alignment.to_pylist() if r["method"] == method]
    ks = sorted({r["k_from"] for r in rows} | {r["k_to"] for r in rows})
    share: dict[tuple[int, int], float] = {}
    labels: dict[tuple[int, int], str] = {}
    parent: dict[tuple[int, int], tuple[int, int]] = {}
    for r in rows:
        share[(r["k_from"], r["topic_from"])] = r["share_from"]
        share[(r["k_to"], r["topic_to"])] = r["share_to"]
        labels[(r["k_from"], r["topic_from"])] = r["label_from"]
        labels[(r["k_to"], r["topic_to"])] = r["label_to"]
        if r["parent"]:
            parent[(r["k_to"], r["topic_to"])] = (r["k_from"], r["topic_from"])
    root: dict[tuple[int, int], int] = {}
    order: dict[int, list[int]] = {}
    for i, kk in enumerate(ks):
        topics = sorted(t for (k2, t) in share if k2 == kk)
        if i == 0:
            order[kk] = topics
        else:
            rank = {t: j for j, t in enumerate(order[ks[i - 1]])}
            order[kk] = sorted(topics, key=lambda t: (rank[parent[(kk, t)][1]],
                                                      -share[(kk, t)], t))
        for t in topics:
            root[(kk, t)] = t if i == 0 else root[parent[(kk, t)]]
    colors = _palette(len(order[ks[0]]))
    gap = 0.015
    fig = _figure(max(6.0, 1.15 * len(ks) + 3.2), 5.2)
    ax = fig.add_subplot()
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    width = 0.18
    for i, kk in enumerate(ks):
        y = 0.0
        for t in order[kk]:
            h = share[(kk, t)]
            pos[(kk, t)] = (y, y + h)
            ax.bar(i, h, bottom=y, width=width, color=colors[root[(kk, t)]],
                   edgecolor="white", linewidth=0.5)
            y += h + gap
    for i, kk in enumerate(ks[1:], 1):
        # a parent's bar is divided among its children in proportion to their shares
        total: dict[tuple[int, int], float] = {}
        for t in order[kk]:
            total[parent[(kk, t)]] = total.get(parent[(kk, t)], 0.0) + share[(kk, t)]
        used: dict[tuple[int, int], float] = {}
        for t in order[kk]:
            p = parent[(kk, t)]
            part = (pos[p][1] - pos[p][0]) * share[(kk, t)] / (total[p] or 1.0)
            top = pos[p][0] + used.get(p, 0.0)
            used[p] = used.get(p, 0.0) + part
            _band(ax, i - 1 + width / 2, (top, top + part), i - width / 2, pos[(kk, t)],
                  colors[root[(kk, t)]])
    if k in ks:
        i = ks.index(k)
        for t in order[k]:
            lo, hi = pos[(k, t)]
            ax.text(i + width / 2 + 0.04, (lo + hi) / 2,
                    textwrap.shorten(_name(labels[(k, t)], t), 30, placeholder="…"),
                    va="center", fontsize=6.5,
                    bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 0.5})
    ax.set_xticks(range(len(ks)), [f"k={kk}" for kk in ks])
    ax.set_xlim(-0.5, len(ks) - 0.5 + (1.6 if k in ks and ks.index(k) == len(ks) - 1 else 0.3))
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_ylabel("Topic share of the corpus (stacked)")
    ax.set_title(wrap_title(f"Topics across k (主题对齐), {method.upper()}: each topic joined "
                            "to its most similar topic at the previous k"), fontsize=10)
    return fig


def _band(ax: Any, x0: float, a: tuple[float, float], x1: float, b: tuple[float, float],
          color: Any) -> None:
    """A smooth band from the interval ``a`` at ``x0`` to ``b`` at ``x1``."""
    import numpy as np

    t = np.linspace(0, 1, 30)
    s = 3 * t ** 2 - 2 * t ** 3
    xs = x0 + (x1 - x0) * t
    lower = a[0] + (b[0] - a[0]) * s
    upper = a[1] + (b[1] - a[1]) * s
    ax.fill_between(xs, lower, upper, color=color, alpha=0.35, linewidth=0)


def plan_more(tables: dict[str, pa.Table], method: str, k: int
              ) -> list[tuple[str, Callable[[], Any]]]:
    """``topic_effects`` and ``topic_alignment`` of the model drawn, when their tables have
    rows, each with the call that draws it."""
    jobs: list[tuple[str, Callable[[], Any]]] = []
    effects = tables.get("topics/topic_effects")
    mine = model_rows(effects, method, k) if effects is not None else None
    if mine is not None and "year" in mine.column("covariate").to_pylist():
        jobs.append(("topic_effects", partial(topic_effects, effects,
                                              tables.get("topics/topic_trends"),
                                              method=method, k=k)))
    alignment = tables.get("topics/topic_alignment")
    if alignment is not None and alignment.num_rows:
        jobs.append(("topic_alignment", partial(topic_alignment, alignment, method=method,
                                                k=k)))
    return jobs
