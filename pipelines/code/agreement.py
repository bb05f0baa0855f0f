"""Agreement between two codings of the same units, per code and overall.

Each code is a binary decision per unit (coded or not) by coder A (wenmai's rules) and coder B
(the imported coding). For each code:

- percent agreement: (units both coded + units neither coded) / units, as NVivo's coding
  comparison query reports it (NVivo counts characters; here the unit is the coding unit);
- Cohen's kappa (Cohen 1960): (p_o - p_e) / (1 - p_e), with p_e from each coder's own marginal
  proportions; 1 when both coders agree on every unit and the code is constant for both;
- Krippendorff's alpha for nominal data with two coders and no missing values
  (Krippendorff 2004, ch. 11): 1 - D_o / D_e from the coincidence matrix,
  alpha = 1 - (n - 1) (o_01 + o_10) / (2 n_0 n_1) with n = 2 x units pairable values.

The overall row pools every (code, unit) decision into one 2 x 2 table (a variant of NVivo's
average over codes, which weights by source length); ``mean`` rows average the per-code values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

__all__ = ["AGREEMENT_SCHEMA", "percent_agreement", "cohen_kappa", "krippendorff_alpha",
           "agreement_table"]

AGREEMENT_SCHEMA = pa.schema([
    ("name", pa.string()), ("units", pa.int64()), ("both", pa.int64()),
    ("only_a", pa.int64()), ("only_b", pa.int64()), ("neither", pa.int64()),
    ("percent_agreement", pa.float64()), ("kappa", pa.float64()), ("alpha", pa.float64()),
])


def _counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    return (int(np.sum(a & b)), int(np.sum(a & ~b)), int(np.sum(~a & b)),
            int(np.sum(~a & ~b)))


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of units on which the two binary codings agree (in percent).

    >>> percent_agreement(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]))
    75.0
    """
    both, only_a, only_b, neither = _counts(a, b)
    n = both + only_a + only_b + neither
    return 100.0 * (both + neither) / n if n else float("nan")


def _kappa(both: int, only_a: int, only_b: int, neither: int) -> float:
    n = both + only_a + only_b + neither
    if n == 0:
        return float("nan")
    p_o = (both + neither) / n
    pa1, pb1 = (both + only_a) / n, (both + only_b) / n
    p_e = pa1 * pb1 + (1 - pa1) * (1 - pb1)
    if p_e == 1.0:
        return 1.0 if p_o == 1.0 else float("nan")
    return (p_o - p_e) / (1 - p_e)


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary codings of the same units."""
    return _kappa(*_counts(a, b))


def _alpha(both: int, only_a: int, only_b: int, neither: int) -> float:
    units = both + only_a + only_b + neither
    n = 2 * units
    if units == 0:
        return float("nan")
    n1 = 2 * both + only_a + only_b  # how often value 1 was given
    n0 = n - n1
    disagree = only_a + only_b  # o_01 = o_10 = disagree in the coincidence matrix
    if n0 == 0 or n1 == 0:
        return 1.0 if disagree == 0 else float("nan")
    return 1.0 - (n - 1) * (2 * disagree) / (2.0 * n0 * n1)


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of two binary codings of the same units."""
    return _alpha(*_counts(a, b))


def agreement_table(coded_a: Mapping[str, np.ndarray], coded_b: Mapping[str, np.ndarray]
                    ) -> pa.Table:
    """Per-name agreement rows, then the pooled row and the mean row.

    Args:
        coded_a: Name -> boolean array over the units (coder A).
        coded_b: Name -> boolean array over the same units (coder B); the same names.
    """
    rows, pooled = [], np.zeros(4, dtype=np.int64)
    for name in coded_a:
        counts = _counts(coded_a[name], coded_b[name])
        pooled += counts
        rows.append(_row(name, counts))
    if rows:
        total = rows.copy()
        rows.append(_row("(all, pooled)", tuple(int(x) for x in pooled)))
        rows.append({"name": "(mean over names)", "units": total[0]["units"],
                     "both": None, "only_a": None, "only_b": None, "neither": None,
                     **{k: float(np.nanmean([r[k] for r in total]))
                        if any(not np.isnan(r[k]) for r in total) else float("nan")
                        for k in ("percent_agreement", "kappa", "alpha")}})
    return pa.Table.from_pylist(rows, schema=AGREEMENT_SCHEMA)


def _row(name: str, counts: tuple[int, int, int, int]) -> dict:
    both, only_a, only_b, neither = counts
    n = sum(counts)
    return {"name": name, "units": n, "both": both, "only_a": only_a, "only_b": only_b,
            "neither": neither,
            "percent_agreement": 100.0 * (both + neither) / n if n else float("nan"),
            "kappa": _kappa(*counts), "alpha": _alpha(*counts)}
