"""Chi-square tests with adjusted standardized residuals on ``code_matrix`` (``code_crosstab``).

For each level (code, category, group) and each ``by`` column (year, period, level, province,
...), the table of units coded (names × values) is tested for independence as KH Coder's
cross tabulation and SPSS crosstabs do: Pearson's chi-square, its degrees of freedom and p, and
per cell the adjusted standardized residual (Haberman 1973)

    r = (O − E) / sqrt(E · (1 − row/n) · (1 − col/n)),   E = row · col / n,

which is standard normal under independence: |r| > 1.96 marks a cell significantly above
(r > 0) or below (r < 0) expectation at the 5 % level (cell by cell, no correction for the
number of cells). Names and values with no coded unit are left out (their expected counts
are zero). A unit coded with two codes counts in both rows, as in KH Coder's code × variable
tables, so the cells are not independent units; read the test as descriptive.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyarrow as pa

__all__ = ["CROSSTAB_SCHEMA", "SIGNIFICANT", "adjusted_residuals", "crosstab"]

#: |adjusted residual| above this is significant at the 5 % level (two-sided).
SIGNIFICANT = 1.959963984540054

CROSSTAB_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("group", pa.string()),
    ("by", pa.string()), ("value", pa.string()), ("observed", pa.int64()),
    ("expected", pa.float64()), ("residual", pa.float64()), ("significant", pa.bool_()),
    ("chi2", pa.float64()), ("dof", pa.int64()), ("p_value", pa.float64()),
])


def adjusted_residuals(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int,
                                                     float]:
    """Expected counts, adjusted standardized residuals, chi-square, degrees of freedom and
    p of a two-way table without empty rows or columns."""
    from scipy.stats import chi2 as chi2_dist

    o = np.asarray(observed, dtype=float)
    n = o.sum()
    row = o.sum(axis=1, keepdims=True)
    col = o.sum(axis=0, keepdims=True)
    e = row @ col / n
    resid = (o - e) / np.sqrt(e * (1 - row / n) * (1 - col / n))
    stat = float(((o - e) ** 2 / e).sum())
    dof = (o.shape[0] - 1) * (o.shape[1] - 1)
    return e, resid, stat, dof, float(chi2_dist.sf(stat, dof))


def crosstab(matrix: pa.Table) -> pa.Table:
    """The ``code_crosstab`` table from ``code_matrix`` (level, name, group, by, value,
    units); one block per (level, by) with at least two names and two values coded."""
    blocks: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in matrix.select(["level", "name", "group", "by", "value", "units"]).to_pylist():
        blocks[(r["level"], r["by"])].append(r)
    out = []
    for (level, by), rows in blocks.items():
        names = list(dict.fromkeys(r["name"] for r in rows))
        values = list(dict.fromkeys(r["value"] for r in rows))
        o = np.zeros((len(names), len(values)), dtype=np.int64)
        group = {}
        for r in rows:
            o[names.index(r["name"]), values.index(r["value"])] += r["units"]
            group[r["name"]] = r["group"]
        keep_r, keep_c = o.sum(axis=1) > 0, o.sum(axis=0) > 0
        if keep_r.sum() < 2 or keep_c.sum() < 2:
            continue
        o = o[keep_r][:, keep_c]
        names = [n for n, k in zip(names, keep_r, strict=True) if k]
        values = [v for v, k in zip(values, keep_c, strict=True) if k]
        e, resid, stat, dof, p = adjusted_residuals(o)
        for i, name in enumerate(names):
            for j, value in enumerate(values):
                res = float(resid[i, j])
                out.append({"level": level, "name": name, "group": group[name] or "",
                            "by": by, "value": value, "observed": int(o[i, j]),
                            "expected": float(e[i, j]), "residual": res,
                            "significant": bool(math.isfinite(res) and abs(res) > SIGNIFICANT),
                            "chi2": stat, "dof": dof, "p_value": p})
    return pa.Table.from_pylist(out, schema=CROSSTAB_SCHEMA)
