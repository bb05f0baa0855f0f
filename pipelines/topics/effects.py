"""Topic prevalence by a covariate with confidence intervals, as R stm's ``estimateEffect`` gives.

For each topic, the documents' topic shares θ_dt are regressed on the covariate:

* a year: a fractional logit regression (Papke & Wooldridge 1996, J. Applied Econometrics
  11(6): the quasi-likelihood of a binomial model with a logit link, for outcomes in [0, 1])
  of θ on a cubic B-spline basis of the year (``df`` basis functions, interior knots at
  quantiles of the years; stm writes this as ``s(year)``), predicted at every integer year
  from the first to the last. The fit estimates E[θ | year] like stm's linear regression, but
  on the logit scale, so the curve and its band stay inside (0, 1) where a linear spline
  overshot (a share of 1.65 in a year without documents). Each topic is fitted on its own,
  so the shares of a year add up to 1 only approximately;
* a group column: one indicator per group, i.e. the group means.

Confidence intervals are percentile intervals of a nonparametric bootstrap over documents
(``n_boot`` resamples drawn by ``seed``). Unlike stm's "method of composition", the θ of each
document is taken as known (the first seed's point estimate), so the intervals show sampling
variation across documents, not the uncertainty of θ itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["spline_basis", "year_effects", "group_effects", "fractional_logit", "N_BOOT",
           "LEVEL", "MIN_DOCS"]

N_BOOT = 200
LEVEL = 0.95
#: Fewer documents than this in a group (or per spline basis function) give estimates too
#: unstable to read without a warning.
MIN_DOCS = 5
_RIDGE = 1e-6  # keeps the fit finite when a topic is absent from a stretch of years


def fractional_logit(design: np.ndarray, theta: np.ndarray, start: np.ndarray | None = None,
                     *, iterations: int = 50, tol: float = 1e-9) -> np.ndarray:
    """Coefficients (``p x K``) of one fractional logit regression per column of ``theta``.

    Iteratively reweighted least squares (Newton's method on the Bernoulli quasi-likelihood),
    all topics at once; a tiny ridge keeps the coefficients finite under separation.
    """
    n, p = design.shape
    if start is None:
        mean = np.clip(theta.mean(axis=0), 1e-6, 1 - 1e-6)
        # B-spline rows sum to 1, so equal coefficients give the constant logit(mean)
        start = np.tile(np.log(mean / (1 - mean)), (p, 1))
    beta = np.array(start, dtype=np.float64)
    eye = _RIDGE * np.eye(p)
    for _ in range(iterations):
        eta = np.clip(design @ beta, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        w = np.maximum(mu * (1 - mu), 1e-12)
        info = np.einsum("nk,ni,nj->kij", w, design, design) + eye
        score = design.T @ (theta - mu) - _RIDGE * beta
        step = np.linalg.solve(info, score.T[..., None])[..., 0].T
        beta += step
        if np.abs(step).max() < tol:
            break
    return beta


def _predict(at: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(at @ beta, -30, 30)))


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
    """Expected topic share by year (fractional logit on a spline) with bootstrap intervals.

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
    beta = fractional_logit(design, theta)
    estimate = _predict(at, beta)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(grid), theta.shape[1]))
    for b in range(n_boot):
        pick = rng.integers(0, len(x), len(x))
        draws[b] = _predict(at, fractional_logit(design[pick], theta[pick], beta,
                                                 iterations=8, tol=1e-6))
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
