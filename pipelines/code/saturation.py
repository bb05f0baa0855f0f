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

__all__ = ["SATURATION_SCHEMA", "RESERVE_SCHEMA", "split_reserve", "curve", "saturation",
           "saturation_incidence"]

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


#: Cases whose random-order band is computed at once (orders x cases int64 in memory).
BAND_BLOCK = 8192


def _random_band(incidence: np.ndarray, orders: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 5th and 95th percentile over ``orders`` random orders of the case rows of the
    number of distinct names after k cases, for every k.

    In each order only the position at which each name first appears is kept (names x orders
    numbers); the counts after k cases are rebuilt from them a block of cases at a time.
    """
    rng = np.random.default_rng(seed)
    n = incidence.shape[0]
    name_of, rows = np.nonzero(incidence.T)  # by name, then by row
    present = np.unique(name_of)
    starts = np.searchsorted(name_of, present)
    first = np.zeros((orders, len(present)), dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    for r in range(orders):
        inverse[rng.permutation(n)] = np.arange(n)
        if len(present):
            first[r] = np.minimum.reduceat(inverse[rows], starts)
    first.sort(axis=1)
    med, low, high = (np.zeros(n) for _ in range(3))
    for start in range(0, n, BAND_BLOCK):
        k = np.arange(start, min(n, start + BAND_BLOCK))
        totals = np.stack([np.searchsorted(f, k, side="right") for f in first]).astype(np.int64)
        med[k] = np.median(totals, axis=0)
        low[k] = np.percentile(totals, 5, axis=0)
        high[k] = np.percentile(totals, 95, axis=0)
    return med, low, high


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
    levels = {}
    for level, by_doc in case_names.items():
        names = sorted(set().union(*by_doc.values())) if by_doc else []
        col = {n: i for i, n in enumerate(names)}
        incidence = np.zeros((len(doc_ids), len(names)), dtype=bool)
        for r, d in enumerate(doc_ids):
            incidence[r, [col[n] for n in by_doc.get(d, ())]] = True
        levels[level] = (names, incidence)
    return saturation_incidence(doc_ids, levels, orders=orders, reserve=reserve, seed=seed)


def saturation_incidence(doc_ids: Sequence[str] | pa.Array,
                         levels: dict[str, tuple[list[str], np.ndarray]], *, orders: int,
                         reserve: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """:func:`saturation` from, per level, names and a (cases, names) boolean incidence."""
    ids = doc_ids if isinstance(doc_ids, pa.Array) else pa.array(list(doc_ids), pa.string())
    main, held = split_reserve(len(ids), reserve, seed)
    columns: dict[str, list] = {f.name: [] for f in SATURATION_SCHEMA}
    reserve_rows = []
    for level, (all_names, full) in levels.items():
        used = sorted((j for j in range(len(all_names)) if full[:, j].any()),
                      key=lambda j: all_names[j])
        names = [all_names[j] for j in used]
        incidence = full[:, used]
        main_inc = incidence[main]
        m = len(main)
        seen_at = np.where(main_inc.any(axis=0), main_inc.argmax(axis=0), m)
        new = np.bincount(seen_at[seen_at < m], minlength=m)[:m]
        total = np.cumsum(new)
        if orders and m:
            med, low, high = _random_band(main_inc, orders, seed)
        else:
            med = low = high = np.full(m, np.nan)
        seen = main_inc.any(axis=0)
        held_new, held_total = [], []
        for i in held:
            fresh = incidence[i] & ~seen
            seen = seen | fresh
            held_new.append(int(fresh.sum()))
            held_total.append(int(seen.sum()))
        order = np.concatenate([main, held]).astype(np.int64)
        columns["level"].append(pa.array([level] * len(order), pa.string()))
        columns["cases"].append(pa.array(np.arange(1, len(order) + 1), pa.int64()))
        columns["doc_id"].append(ids.take(pa.array(order)))
        columns["new"].append(pa.array(np.concatenate([new, held_new]).astype(np.int64)))
        columns["total"].append(pa.array(np.concatenate([total, held_total]).astype(np.int64)))
        missing = np.arange(len(order)) >= m
        for key, values in (("random_median", med), ("random_low", low),
                            ("random_high", high)):
            full_values = np.concatenate([values, np.zeros(len(held))]).astype(np.float64)
            columns[key].append(pa.array(full_values, mask=missing))
        in_main, in_held = main_inc.sum(axis=0), incidence[held].sum(axis=0)
        for j, n in enumerate(names):
            reserve_rows.append({"level": level, "name": n, "main_cases": int(in_main[j]),
                                 "reserve_cases": int(in_held[j]),
                                 "only_in_reserve": bool(in_main[j] == 0 and in_held[j] > 0)})
    table = pa.table({k: pa.chunked_array(v, SATURATION_SCHEMA.field(k).type)
                      for k, v in columns.items()}, schema=SATURATION_SCHEMA)
    return table.combine_chunks(), pa.Table.from_pylist(reserve_rows, schema=RESERVE_SCHEMA)
