"""Topic prevalence by a covariate with confidence intervals, as R stm's ``estimateEffect`` gives.

For each topic, the documents' topic shares θ_dt are regressed on the covariate by least
squares (stm's default estimator is also a linear regression of θ on the covariates):

* a year: a cubic B-spline basis of the year (``df`` basis functions, interior knots at
  quantiles of the years; stm writes this as ``s(year)``), predicted at every integer year
  from the first to the last;
* a group column: one indicator per group, i.e. the group means.

Confidence intervals are percentile intervals of a nonparametric bootstrap over documents
(``n_boot`` resamples drawn by ``seed``). Unlike stm's "method of composition", the θ of each
document is taken as known (the first seed's point estimate), so the intervals show sampling
variation across documents, not the uncertainty of θ itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["spline_basis", "year_effects", "group_effects", "N_BOOT", "LEVEL"]

N_BOOT = 200
LEVEL = 0.95


def spline_basis(x: np.ndarray, lo: float, hi: float, knots: np.ndarray, degree: int
                 ) -> np.ndarray:
    """B-spline design matrix on [lo, hi] with the given interior knots (rows sum to 1)."""
    from scipy.interpolate import BSpline

    t = np.concatenate([[lo] * (degree + 1), knots, [hi] * (degree + 1)])
    return BSpline.design_matrix(np.clip(x, lo, hi), t, degree).toarray()


def _design(years: np.ndarray, df: int) -> tuple[callable, int]:
    """A function mapping years to basis rows, and the number of columns."""
    lo, hi = float(years.min()), float(years.max())
    unique = np.unique(years)
    df = int(max(1, min(df, len(unique))))
    if df == 1 or hi == lo:
        return (lambda x: np.ones((len(x), 1))), 1
    degree = min(3, df - 1)
    n_knots = df - degree - 1
    knots = (np.quantile(years, np.linspace(0, 1, n_knots + 2)[1:-1]) if n_knots
             else np.array([]))
    return (lambda x: spline_basis(np.asarray(x, dtype=np.float64), lo, hi, knots, degree)), df


def year_effects(years: Sequence[float], theta: np.ndarray, *, df: int = 5,
                 n_boot: int = N_BOOT, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expected topic share by year with bootstrap intervals.

    Args:
        years: The year of each document.
        theta: ``D x K`` topic shares of the same documents.
        df: Basis functions of the spline (fewer when there are fewer distinct years).
        n_boot: Bootstrap resamples.
        seed: Seed of the resampling.

    Returns:
        ``(grid, estimate, lower, upper)``: the integer years from first to last, and
        ``len(grid) x K`` arrays of the fitted share and its 95 % interval.
    """
    x = np.asarray(years, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    basis, _ = _design(x, df)
    grid = np.arange(int(x.min()), int(x.max()) + 1)
    design, at = basis(x), basis(grid)
    estimate = at @ np.linalg.lstsq(design, theta, rcond=None)[0]
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(grid), theta.shape[1]))
    for b in range(n_boot):
        pick = rng.integers(0, len(x), len(x))
        draws[b] = at @ np.linalg.lstsq(design[pick], theta[pick], rcond=None)[0]
    tail = (1 - LEVEL) / 2 * 100
    lower, upper = np.percentile(draws, [tail, 100 - tail], axis=0)
    return grid, estimate, lower, upper


def group_effects(groups: Sequence[str], theta: np.ndarray, *, n_boot: int = N_BOOT,
                  seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray,
                                          np.ndarray]:
    """Mean topic share per group with bootstrap intervals (documents resampled in the group).

    Returns:
        ``(names, estimate, lower, upper, n_docs)``, the arrays ``len(names) x K`` (n_docs a
        vector), groups sorted by name.
    """
    theta = np.asarray(theta, dtype=np.float64)
    names = sorted(set(groups))
    labels = np.array(list(groups), dtype=object)
    rng = np.random.default_rng(seed)
    tail = (1 - LEVEL) / 2 * 100
    est, lo, hi, n = [], [], [], []
    for name in names:
        rows = theta[labels == name]
        means = rows[rng.integers(0, len(rows), (n_boot, len(rows)))].mean(axis=1)
        est.append(rows.mean(axis=0))
        low, high = np.percentile(means, [tail, 100 - tail], axis=0)
        lo.append(low)
        hi.append(high)
        n.append(len(rows))
    return names, np.array(est), np.array(lo), np.array(hi), np.array(n)
