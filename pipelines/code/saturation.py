"""Theoretical saturation: how many new codes each added case brings, and the reserve check.

A case is a document. Cases are taken in corpus order, and in ``orders`` random orders (seeded)
for the median and a 90% band (5th and 95th percentiles) of the number of distinct codes found
after k cases. ``reserve`` cases, drawn at random (seeded), are held back: the curves use the
other cases, and the reserve check lists the codes (and categories) that only the held-back
cases have. No new code in the reserve is the saturation argument of grounded-theory studies
that keep cases in reserve.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

__all__ = ["SATURATION_SCHEMA", "RESERVE_SCHEMA", "split_reserve", "curve", "saturation"]

SATURATION_SCHEMA = pa.schema([
    ("level", pa.string()), ("cases", pa.int64()), ("doc_id", pa.string()),
    ("new", pa.int64()), ("total", pa.int64()), ("random_median", pa.float64()),
    ("random_low", pa.float64()), ("random_high", pa.float64()),
])
RESERVE_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("main_cases", pa.int64()),
    ("reserve_cases", pa.int64()), ("only_in_reserve", pa.bool_()),
])


def split_reserve(n_cases: int, reserve: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the main cases (in corpus order) and of the held-back ones."""
    reserve = min(reserve, max(0, n_cases - 1))
    held = np.sort(np.random.default_rng(seed).choice(n_cases, size=reserve, replace=False)
                   ) if reserve else np.zeros(0, dtype=np.int64)
    main = np.setdiff1d(np.arange(n_cases), held)
    return main, held


def curve(case_sets: Sequence[set[str]]) -> tuple[list[int], list[int]]:
    """New and cumulative distinct names after each case, in the given order.

    >>> curve([{"a", "b"}, {"b"}, {"c"}])
    ([2, 0, 1], [2, 2, 3])
    """
    seen: set[str] = set()
    new, total = [], []
    for names in case_sets:
        fresh = names - seen
        seen |= fresh
        new.append(len(fresh))
        total.append(len(seen))
    return new, total


def _random_totals(incidence: np.ndarray, orders: int, seed: int) -> np.ndarray:
    """(orders, cases) cumulative distinct counts over random orders of the case rows."""
    rng = np.random.default_rng(seed)
    n = incidence.shape[0]
    out = np.zeros((orders, n), dtype=np.int64)
    for r in range(orders):
        perm = rng.permutation(n)
        out[r] = np.logical_or.accumulate(incidence[perm], axis=0).sum(axis=1)
    return out


def saturation(doc_ids: Sequence[str], case_names: dict[str, dict[str, set[str]]], *,
               orders: int, reserve: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """The saturation curves and the reserve check.

    Args:
        doc_ids: The cases in corpus order.
        case_names: Level (``code``, ``category``) -> doc_id -> names coded in that case.
        orders: Number of random orders.
        reserve: Number of cases held back (at most all but one).
        seed: Seed of the reserve draw and the random orders.

    Returns:
        (``code_saturation``, ``code_reserve``).
    """
    main, held = split_reserve(len(doc_ids), reserve, seed)
    rows, reserve_rows = [], []
    for level, by_doc in case_names.items():
        sets = [by_doc.get(d, set()) for d in doc_ids]
        main_sets = [sets[i] for i in main]
        new, total = curve(main_sets)
        names = sorted(set().union(*sets)) if sets else []
        col = {n: i for i, n in enumerate(names)}
        incidence = np.zeros((len(main_sets), len(names)), dtype=bool)
        for r, s in enumerate(main_sets):
            incidence[r, [col[n] for n in s]] = True
        if orders and len(main_sets):
            totals = _random_totals(incidence, orders, seed)
            med = np.median(totals, axis=0)
            low, high = np.percentile(totals, 5, axis=0), np.percentile(totals, 95, axis=0)
        else:
            med = low = high = np.full(len(main_sets), np.nan)
        for k, i in enumerate(main):
            rows.append({"level": level, "cases": k + 1, "doc_id": doc_ids[i], "new": new[k],
                         "total": total[k], "random_median": float(med[k]),
                         "random_low": float(low[k]), "random_high": float(high[k])})
        seen = set().union(*main_sets) if main_sets else set()
        for k, i in enumerate(held):
            fresh = sets[i] - seen
            seen |= fresh
            rows.append({"level": level, "cases": len(main) + k + 1, "doc_id": doc_ids[i],
                         "new": len(fresh), "total": len(seen), "random_median": None,
                         "random_low": None, "random_high": None})
        in_main = {n: sum(n in sets[i] for i in main) for n in names}
        in_held = {n: sum(n in sets[i] for i in held) for n in names}
        for n in names:
            reserve_rows.append({"level": level, "name": n, "main_cases": in_main[n],
                                 "reserve_cases": in_held[n],
                                 "only_in_reserve": in_main[n] == 0 and in_held[n] > 0})
    return (pa.Table.from_pylist(rows, schema=SATURATION_SCHEMA),
            pa.Table.from_pylist(reserve_rows, schema=RESERVE_SCHEMA))
