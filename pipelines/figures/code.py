"""Figures of the code stage: code frequencies by group, code x year heatmap, saturation curve.

Each figure is drawn only when its table has rows (a project without a codebook has empty code
tables, and the figures are skipped); the data of each figure is also written as CSV
(``<figure>.csv``) so that a thesis can redraw it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import pyarrow as pa

from pipelines.figures import code_checks

__all__ = ["INPUTS", "FIGURES", "plan", "draw", "data"]

INPUTS = ("code/code_frequencies", "code/code_matrix",
          "code/code_saturation") + code_checks.INPUTS
FIGURES = ("code_frequency", "code_year", "code_saturation")

log = logging.getLogger("wenmai")


def _frames(tables: dict[str, pa.Table]) -> dict[str, Any]:
    """The data of each figure that can be drawn, as pandas frames."""
    import pandas as pd

    def frame(name: str) -> pd.DataFrame:
        table = tables.get(name)  # absent in callers that draw only the other figures
        return table.to_pandas() if table is not None else pd.DataFrame()

    out = {}
    freq = frame("code/code_frequencies")
    if len(freq):
        out["code_frequency"] = freq[freq["level"] == "code"][
            ["group", "category", "name", "units", "documents", "coverage"]]
    matrix = frame("code/code_matrix")
    years = matrix[(matrix["level"] == "code") & (matrix["by"] == "year")
                   & (matrix["value"] != "(none)")] if len(matrix) else matrix
    if len(years):
        out["code_year"] = years.pivot_table(index="name", columns="value", values="units",
                                             sort=False, aggfunc="sum")
        out["code_year"] = out["code_year"][sorted(out["code_year"].columns, key=float)]
    sat = frame("code/code_saturation")
    if len(sat):
        out["code_saturation"] = sat
    return out


def data(tables: dict[str, pa.Table]) -> dict[str, str]:
    """``<figure>.csv`` -> CSV text of the data of each code figure that can be drawn."""
    frames = _frames(tables)
    return {**{f"{name}.csv": frame.to_csv(index=name == "code_year", lineterminator="\n")
               for name, frame in frames.items()}, **code_checks.data(tables)}


def plan(tables: dict[str, pa.Table]) -> list[tuple[str, Callable[[], Any]]]:
    """The code figures whose tables have rows, each with the call that draws it."""
    frames = _frames(tables)
    if not frames:
        log.info("figures: no code tables with rows (no codebook set); code figures skipped")
        return []
    jobs: list[tuple[str, Callable[[], Any]]] = []
    if "code_frequency" in frames:
        jobs.append(("code_frequency", partial(_frequency, frames["code_frequency"])))
    if "code_year" in frames:
        jobs.append(("code_year", partial(_heatmap, frames["code_year"])))
    else:
        log.info("figures: code_matrix has no year column values; code_year skipped")
    if "code_saturation" in frames:
        jobs.append(("code_saturation", partial(_saturation, frames["code_saturation"])))
    return jobs + code_checks.plan(tables)


def draw(tables: dict[str, pa.Table], params: Any = None) -> dict[str, Any]:
    """The code figures whose tables have rows (inside the figures stage's style)."""
    return {name: build() for name, build in plan(tables)}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _frequency(freq: Any) -> Any:
    from matplotlib import colormaps

    groups = list(dict.fromkeys(freq["group"]))
    colors = colormaps["tab10"].colors
    fig = _figure(7.0, 1.2 + 0.28 * len(freq))
    ax = fig.add_subplot()
    rows = freq.iloc[::-1]
    ax.barh(range(len(rows)), rows["units"],
            color=[colors[groups.index(g) % 10] for g in rows["group"]])
    ax.set_yticks(range(len(rows)), rows["name"])
    ax.set_xlabel("coded units")
    handles = [ax.bar(0, 0, color=colors[i % 10], label=g) for i, g in enumerate(groups)]
    ax.legend(handles=handles, loc="lower right")
    ax.set_title("Code frequencies by group")
    ax.grid(axis="y", visible=False)
    return fig


def _heatmap(table: Any) -> Any:
    import numpy as np

    fig = _figure(max(5.0, 0.35 * table.shape[1] + 2.5), 1.2 + 0.3 * table.shape[0])
    ax = fig.add_subplot()
    values = table.fillna(0).to_numpy()
    image = ax.imshow(values, aspect="auto", cmap="Blues")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=90)
    ax.set_yticks(range(table.shape[0]), table.index)
    ax.grid(False)
    if values.size <= 600:  # small enough to print every count in its cell
        top = values.max() or 1
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if v > top / 2 else "#333333")
    fig.colorbar(image, ax=ax, label="coded units")
    ax.set_title("Codes by year")
    return fig


def _saturation(sat: Any) -> Any:
    fig = _figure(6.5, 4.0)
    ax = fig.add_subplot()
    for level, style, plural in (("code", "-", "codes"), ("category", "--", "categories")):
        rows = sat[sat["level"] == level]
        if not len(rows):
            continue
        main = rows[rows["random_median"].notna()]
        if len(main) and main["random_median"].notna().all():
            ax.fill_between(main["cases"], main["random_low"], main["random_high"],
                            color="#bbbbbb", alpha=0.5, linewidth=0)
            ax.plot(main["cases"], main["random_median"], style, color="#777777",
                    label=f"{plural}, median of random orders")
        ax.plot(rows["cases"], rows["total"], style, color="#3b6ea8",
                label=f"{plural}, corpus order")
        held = rows[rows["random_median"].isna()]
        if len(held) and len(main):
            ax.plot(held["cases"], held["total"], "o", color="#c0392b", markersize=4,
                    label="reserve cases" if level == "code" else None)
    ax.set_xlabel("cases (documents)")
    ax.set_ylabel("distinct codes / categories found")
    ax.set_title("Saturation")
    ax.legend(loc="lower right")
    return fig
