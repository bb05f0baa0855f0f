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
FIGURES = ("code_frequency", "code_year", "code_saturation")  # and code_by_<column> for each
# other ``by`` column of the code stage (province, level ...)

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
    codes = matrix[matrix["level"] == "code"] if len(matrix) else matrix
    for by in (list(dict.fromkeys(codes["by"])) if len(codes) else []):
        name = "code_year" if by == "year" else f"code_by_{by}"
        out[name] = _crossed(codes[codes["by"] == by], numeric=by == "year")
    sat = frame("code/code_saturation")
    sat = frame("code/code_saturation")
    if len(sat):
        out["code_saturation"] = sat
    return out


#: The column of units without a value of the grouping column (``(none)`` in code_matrix).
NO_VALUE = {"year": "no year"}


def _crossed(rows: Any, *, numeric: bool) -> Any:
    """Codes x values of one grouping column (units summed); units without a value are the
    last column, ``no year`` / ``no value``, never dropped."""
    by = rows["by"].iloc[0]
    table = rows.pivot_table(index="name", columns="value", values="units", sort=False,
                             aggfunc="sum")
    values = [v for v in table.columns if v != "(none)"]
    key = (lambda v: float(v)) if numeric else str  # noqa: E731
    try:
        values = sorted(values, key=key)
    except ValueError:
        values = sorted(values, key=str)
    if "(none)" in table.columns:
        table = table.rename(columns={"(none)": NO_VALUE.get(by, "no value")})
        values.append(NO_VALUE.get(by, "no value"))
    table = table[values]
    table.columns.name = by
    return table


def data(tables: dict[str, pa.Table]) -> dict[str, str]:
    """``<figure>.csv`` -> CSV text of the data of each code figure that can be drawn."""
    frames = _frames(tables)
    return {**{f"{name}.csv": frame.to_csv(index=_is_crossed(name), lineterminator="\n")
               for name, frame in frames.items()}, **code_checks.data(tables)}


def _is_crossed(name: str) -> bool:
    return name == "code_year" or name.startswith("code_by_")


def plan(tables: dict[str, pa.Table]) -> list[tuple[str, Callable[[], Any]]]:
    """The code figures whose tables have rows, each with the call that draws it."""
    frames = _frames(tables)
    if not frames:
        log.info("figures: no code tables with rows (no codebook set); code figures skipped")
        return []
    jobs: list[tuple[str, Callable[[], Any]]] = []
    if "code_frequency" in frames:
        jobs.append(("code_frequency", partial(_frequency, frames["code_frequency"])))
    for name in (n for n in frames if _is_crossed(n)):
        jobs.append((name, partial(_heatmap, frames[name])))
    if "code_year" not in frames:
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
    """Codes x values of one column, counts in the cells; the units without a value are the
    last column, set apart by a white line, and counted in the title."""
    import math

    import numpy as np

    from pipelines.figures.plots import _TARGET

    by = table.columns.name or "year"
    ncols, nrows = table.shape[1], table.shape[0]
    # drawn at the print width itself (a wide heatmap scaled down would shrink its rows below
    # the height of their labels); rows at least 0.2 in for 7 pt labels
    width = _TARGET.get() or max(5.0, 0.35 * ncols + 2.5)
    fig = _figure(width, 1.6 + 0.2 * nrows)
    ax = fig.add_subplot()
    values = table.fillna(0).to_numpy()
    image = ax.imshow(values, aspect="auto", cmap="Blues")
    labels = [str(c) for c in table.columns]
    room = max(1, int((width - 2.2) * 72 / (7 * 1.8)))  # 7 pt labels, turned upright
    step = max(1, math.ceil(ncols / room))
    shown = sorted(set(range(0, ncols, step)) | {ncols - 1})
    ax.set_xticks(shown, [labels[j] for j in shown], rotation=90, fontsize=7)
    ax.set_yticks(range(nrows), table.index, fontsize=7)
    ax.grid(False)
    cell_pt = (width - 2.2) * 72 / max(ncols, 1)
    if values.size <= 600 and cell_pt >= 14:  # room to print every count in its cell
        top = values.max() or 1
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if v > top / 2 else "#333333")
    fig.colorbar(image, ax=ax, label="coded units", fraction=0.06, pad=0.02)
    missing = NO_VALUE.get(by, "no value")
    title = f"Codes by {by}"
    if labels and labels[-1] == missing:
        ax.axvline(len(labels) - 1.5, color="white", linewidth=3)
        title += f" (last column: {int(values[:, -1].sum())} coded units without a {by})"
    from pipelines.figures.plots import wrap_title

    ax.set_title(wrap_title(title, 10), fontsize=10)
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
