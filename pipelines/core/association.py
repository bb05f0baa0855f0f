"""Association measures of a pair from occurrence counts, shared by the stages that count pairs
(network: terms in windows; code: codes in units).

With ``c`` the units (windows) holding both items, ``a``/``b`` those holding each, ``n`` all
units:

- ``lift`` (the occurrence-based probabilistic association strength of van Eck & Waltman 2009,
  observed over expected under independence, = 2^pmi): n c / (a b)
- ``jaccard``: c / (a + b - c)
- ``dice``: 2c / (a + b)
- ``cosine`` (Salton's index): c / sqrt(a b)
- ``inclusion`` = ``simpson`` (overlap coefficient): c / min(a, b)
- ``pmi``: log2(n c / (a b))
- ``npmi`` (Bouma 2009): pmi / -log2(c / n), 1 when the pair fills every unit

VOSviewer's association strength (from total link strengths) needs the whole network and stays
with the network stage.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OCCURRENCE_MEASURES", "from_occurrences"]

OCCURRENCE_MEASURES = ("jaccard", "dice", "cosine", "inclusion", "simpson", "lift", "pmi",
                       "npmi")


def from_occurrences(measure: str, c: np.ndarray, a: np.ndarray, b: np.ndarray, n: float
                     ) -> np.ndarray:
    """The measure of each pair (arrays aligned), as float64.

    >>> from_occurrences("dice", np.array([2]), np.array([3]), np.array([5]), 10).tolist()
    [0.5]

    Raises:
        ValueError: ``measure`` is not one of :data:`OCCURRENCE_MEASURES`.
    """
    c, a, b = (np.asarray(x, dtype=np.float64) for x in (c, a, b))
    if measure == "jaccard":
        return c / (a + b - c)
    if measure == "dice":
        return 2.0 * c / (a + b)
    if measure == "cosine":
        return c / np.sqrt(a * b)
    if measure in ("inclusion", "simpson"):
        return c / np.minimum(a, b)
    ratio = n * c / (a * b)
    if measure == "lift":
        return ratio
    pmi = np.log2(ratio)
    if measure == "pmi":
        return pmi
    if measure == "npmi":
        denom = -np.log2(c / n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, pmi / np.where(denom > 0, denom, 1.0), 1.0)
    raise ValueError(f"unknown measure {measure!r}")
