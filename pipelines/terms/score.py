"""Keyness and TF-IDF scores of counted terms, and the top keywords of each unit.

A unit is a document or a group of documents. Scores are computed from the reduced counts one
block of units at a time (``pick``), so the float arrays of a block, never of the corpus, are
held; every value depends only on its own unit's counts and the corpus totals, so the result
does not depend on how units are cut into blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["FIELDS", "keyness", "pick", "spans", "keyword_columns"]

#: the arrays of picked keywords, in output order
FIELDS = ("unit", "term", "score", "rank", "freq", "ref_freq", "g2", "log_ratio")


def keyness(a: Any, b: Any, c: Any, d: Any) -> tuple[Any, Any]:
    """Log-likelihood G2 and log ratio of counts ``a`` in ``c`` tokens against ``b`` in ``d``.

    Args:
        a: Occurrences in the target (numbers or numpy arrays).
        b: Occurrences in the reference (the rest of the corpus).
        c: Tokens in the target.
        d: Tokens in the reference.

    Returns:
        (G2, log ratio) as float arrays; see the stage docstring for the formulas.
    """
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
        ratio = np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))
    return 2.0 * (t1 + t2), ratio


def spans(lengths: Any, limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges ``[i, j)`` of units holding about ``limit`` entries each."""
    if not len(lengths):
        return
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(limit, int(ends[-1]), limit), side="right")
    bounds = np.unique(np.r_[0, cuts, len(lengths)])
    yield from zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)


def pick(unit: Any, term: Any, count: Any, *, n_units: int, tf: Any, grand: float,
         idf: Any | None, min_keyness: float, top: int, term_rank: Any) -> dict[str, Any]:
    """The top keywords of a block of units.

    Args:
        unit: Unit (0 .. n_units-1) of each (unit, term) count; ascending.
        term: Term id of each count.
        count: The counts (int64).
        n_units: Units in the block.
        tf: Occurrences of each term id in all units (int64; the reference totals).
        grand: Occurrences of every term in all units.
        idf: Idf by term id for TF-IDF, None for keyness.
        min_keyness: Smallest G2 of a keyword.
        top: Keywords kept per unit.
        term_rank: Position of each term id in code-point order (ties of score).

    Returns:
        ``FIELDS`` arrays, sorted by unit, score (descending) and term.
    """
    totals = np.bincount(unit, weights=count, minlength=n_units).astype(np.int64)
    a = count
    c = totals[unit]
    if idf is None:  # keyness against the rest of the corpus
        b = tf[term] - a
        d = grand - c
        g2, ratio = keyness(a, b, c, d)
        keep = (a * d > b * c) & (g2 >= min_keyness)
        keep &= d > 0  # a corpus of one unit has no rest to compare with
        score = g2
    else:
        score = a / c * idf[term]
        b = np.zeros_like(a)
        g2 = ratio = np.full(len(a), np.nan)
        keep = score > 0
    rows = {"unit": unit, "term": term, "score": score, "freq": a, "ref_freq": b, "g2": g2,
            "log_ratio": ratio}
    rows = {k: v[keep] for k, v in rows.items()}
    order = np.lexsort((term_rank[rows["term"]], -rows["score"], rows["unit"]))
    rows = {k: v[order] for k, v in rows.items()}
    u = rows["unit"]
    first = np.flatnonzero(np.r_[True, u[1:] != u[:-1]]) if len(u) else np.empty(0, np.int64)
    rank = np.arange(len(u)) - np.repeat(first, np.diff(np.r_[first, len(u)])) + 1
    kept = rank <= top
    rows = {k: v[kept] for k, v in rows.items()}
    rows["rank"] = rank[kept].astype(np.int32)
    return {k: rows[k] for k in FIELDS}


def _floats(values: Any) -> pa.Array:
    missing = np.isnan(values)
    return pa.array(values, pa.float64(), mask=missing if missing.any() else None)


def keyword_columns(rows: dict[str, Any], terms: pa.Array,
                    method: str) -> tuple[Any, dict[str, pa.Array]]:
    """The units of picked keywords (``FIELDS`` arrays, consumed) and their keyword columns."""
    unit = rows.pop("unit").astype(np.int64, copy=False)
    columns = {"term": terms.take(pa.array(rows.pop("term").astype(np.int64, copy=False)))}
    for name, kind in (("score", np.float64), ("rank", np.int32), ("freq", np.int64),
                       ("ref_freq", np.int64), ("g2", np.float64), ("log_ratio", np.float64)):
        values = rows.pop(name).astype(kind, copy=False)
        columns[name] = (_floats(values) if name in ("g2", "log_ratio")
                         else pa.array(values, pa.from_numpy_dtype(kind)))
        if name == "rank":
            columns["method"] = pa.array([method] * len(unit), pa.string())
    return unit, columns
