"""The keyness figure: the keywords of each group of documents (``terms/group_keywords``).

One small panel per group (a decade, a year, a source group) with its top keywords as bars of
log ratio (Hardie 2014: +1 = twice as frequent as in the other groups), ordered by G², so the
figure reads as "what each decade says that the others do not".
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

__all__ = ["keyness", "keyness_rows"]

BAR_COLOR = "#3b6ea8"


def keyness_rows(group_keywords: pa.Table, words: int) -> list[dict[str, Any]]:
    """The top ``words`` keywords of every group, in the table's group order, by rank."""
    rows = [r for r in group_keywords.to_pylist() if r["rank"] <= words]
    order: dict[str, int] = {}
    for r in group_keywords.to_pylist():
        order.setdefault(r["group"], len(order))
    return sorted(rows, key=lambda r: (order[r["group"]], r["rank"]))


def keyness(group_keywords: pa.Table, *, words: int) -> Any:
    """Small multiples: per group, its ``words`` keywords (by G²), bar length log ratio.

    Args:
        group_keywords: ``terms/group_keywords`` (by, group, n_docs, term, rank, g2,
            log_ratio).
        words: Keywords drawn per group.

    Returns:
        The figure.
    """
    from matplotlib.figure import Figure

    rows = keyness_rows(group_keywords, words)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    by = rows[0]["by"] if rows else ""
    cols = min(4, len(groups)) or 1
    nrows = math.ceil(len(groups) / cols)
    fig = Figure(figsize=(2.3 * cols + 0.6, (0.22 * words + 0.7) * nrows + 0.5),
                 layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False)
    top = max((r["log_ratio"] for r in rows), default=1.0)
    for ax, (group, mine) in zip(axes.flat, groups.items(), strict=False):
        labels = [r["term"] for r in mine][::-1]
        ax.barh(range(len(mine)), [r["log_ratio"] for r in mine][::-1], color=BAR_COLOR,
                height=0.7)
        ax.set_yticks(range(len(mine)), labels, fontsize=8)
        ax.set_xlim(0, top * 1.05)
        ax.set_title(f"{group} ({mine[0]['n_docs']} docs)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    fig.supxlabel("log ratio against the other groups (+1 = twice as frequent; "
                  "ranked by log-likelihood G²)", fontsize=8)
    fig.suptitle(f"Keywords by {by} (关键词, keyness)")
    return fig
