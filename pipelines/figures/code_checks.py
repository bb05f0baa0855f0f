"""Figures that check a coding: audited precision per code (``code_precision``) and the adjusted
standardized residuals of codes against each ``by`` column (``code_residuals_<by>``).

Drawn only when their tables have rows: ``code/audit_precision`` after a filled audit sheet
was read back (``wenmai code --audit-results FILE``), ``code/code_crosstab`` when codes were
coded in two values or more of a ``by`` column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pyarrow as pa

__all__ = ["INPUTS", "plan", "data"]

INPUTS = ("code/audit_precision", "code/code_crosstab")
#: The targets of issue 23: every group at least 0.85, no code below 0.7.
CODE_TARGET, GROUP_TARGET = 0.70, 0.85


def _frames(tables: dict[str, pa.Table]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    prec = tables.get("code/audit_precision")
    if prec is not None and prec.num_rows:
        frame = prec.to_pandas()
        frame = frame[(frame["judged"] > 0) & frame["level"].isin(["code", "group"])]
        if len(frame):
            out["code_precision"] = frame
    cross = tables.get("code/code_crosstab")
    if cross is not None and cross.num_rows:
        frame = cross.to_pandas()
        frame = frame[frame["level"] == "code"]
        for by in dict.fromkeys(frame["by"]):
            out[f"code_residuals_{_slug(by)}"] = frame[frame["by"] == by]
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_") or "column"


def data(tables: dict[str, pa.Table]) -> dict[str, str]:
    """``<figure>.csv`` -> CSV text of each figure's data."""
    return {f"{name}.csv": frame.to_csv(index=False, lineterminator="\n")
            for name, frame in _frames(tables).items()}


def plan(tables: dict[str, pa.Table]) -> list[tuple[str, Callable[[], Any]]]:
    """The figures whose tables have rows, each with the call that draws it."""
    jobs = []
    for name, frame in _frames(tables).items():
        draw = _precision if name == "code_precision" else _residuals
        jobs.append((name, partial(draw, frame)))
    return jobs


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _precision(frame: Any) -> Any:
    """Precision per code (partly as half) with its Wilson 95 % interval, groups below."""
    from matplotlib import colormaps

    codes = frame[frame["level"] == "code"]
    groups = frame[frame["level"] == "group"]
    rows = list(codes.itertuples()) + list(groups.itertuples())
    names = list(dict.fromkeys(frame["group"]))
    colors = colormaps["tab10"].colors
    fig = _figure(6.5, 1.4 + 0.26 * len(rows))
    ax = fig.add_subplot()
    for y, r in enumerate(reversed(rows)):
        color = colors[names.index(r.group) % 10] if r.group in names else "#333333"
        marker = "s" if r.level == "group" else "o"
        ax.errorbar(r.precision, y, xerr=[[r.precision - r.low], [r.high - r.precision]],
                    fmt=marker, color=color, ecolor=color, capsize=2, markersize=4)
    labels = [f"{r.name} (n={r.judged})" if r.level == "code" else f"[{r.name}] (n={r.judged})"
              for r in reversed(rows)]
    ax.set_yticks(range(len(rows)), labels)
    ax.axvline(CODE_TARGET, color="#999999", linestyle=":", linewidth=1,
               label=f"{CODE_TARGET:.2f}: lowest for a code")
    ax.axvline(GROUP_TARGET, color="#999999", linestyle="--", linewidth=1,
               label=f"{GROUP_TARGET:.2f}: lowest for a group")
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("precision (partly = half), Wilson 95 % interval")
    ax.set_title("Audited precision per code and [group]")
    ax.legend(loc="lower left", fontsize=7)
    ax.grid(axis="y", visible=False)
    return fig


def _residuals(frame: Any) -> Any:
    """Codes x values coloured by adjusted residual; * marks |r| > 1.96."""
    import numpy as np

    grid = frame.pivot_table(index="name", columns="value", values="residual", sort=False)
    sig = frame.pivot_table(index="name", columns="value", values="significant", sort=False,
                            aggfunc="max").reindex_like(grid)
    values = grid.to_numpy(dtype=float)
    fig = _figure(max(5.0, 0.45 * grid.shape[1] + 3.0), 1.4 + 0.3 * grid.shape[0])
    ax = fig.add_subplot()
    top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    top = max(top, 2.0)
    image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-top, vmax=top)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns], rotation=90)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.grid(False)
    if values.size <= 600:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                star = "*" if bool(sig.iat[i, j]) else ""
                ax.text(j, i, f"{v:.1f}{star}", ha="center", va="center", fontsize=7,
                        color="white" if abs(v) > top * 0.6 else "#222222")
    fig.colorbar(image, ax=ax, label="adjusted standardized residual")
    chi2, dof, p = frame["chi2"].iloc[0], frame["dof"].iloc[0], frame["p_value"].iloc[0]
    ax.set_title(f"Codes by {frame['by'].iloc[0]}: χ²={chi2:.1f}, df={dof}, p={p:.3g} "
                 "(* |r|>1.96)", fontsize=9)
    return fig
