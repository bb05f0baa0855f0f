"""The rule that recommends a number of topics k from coherence and stability across seeds.

For every k tried, the mean over seeds of the coherence c_npmi (Lau, Newman & Baldwin 2014:
NPMI agrees best with human judgements of topic quality) and the mean stability (one-to-one
matched top-20 Jaccard similarity between every pair of seeds; Greene, O'Callaghan &
Cunningham 2014) are each rescaled to 0..1 over the ks tried (min-max, as ldatuning plots its
metrics). The recommended k is the one with the largest sum of the two scaled values: the k
closest to the best on both. The rule declines to choose ("no clear k") when that k is in the
worse half of either metric (scaled value below 0.5), i.e. when the two metrics disagree, and
warns when the choice is the smallest or largest k tried ("widen the range"). With a single
seed there is no stability: the k with the best mean c_npmi is recommended with that caveat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Choice", "choose_k", "scaled"]

AGREEMENT = 0.5


@dataclass(frozen=True)
class Choice:
    """The outcome of the rule.

    Attributes:
        k: The recommended k, or None when there is no clear k.
        closest: The k with the best combined score (equals ``k`` when one is recommended);
            the model files are written for it.
        reason: One or two sentences for the log, the table and the figure caption.
        edge: The closest k is the smallest or largest k tried.
    """

    k: int | None
    closest: int
    reason: str
    edge: bool


def scaled(values: Mapping[int, float]) -> dict[int, float]:
    """Min-max rescale to 0..1 (NaN stays NaN; all equal gives 1).

    >>> scaled({2: 1.0, 3: 3.0, 4: 2.0})
    {2: 0.0, 3: 1.0, 4: 0.5}
    """
    finite = [v for v in values.values() if math.isfinite(v)]
    if not finite:
        return {k: float("nan") for k in values}
    lo, hi = min(finite), max(finite)
    return {k: (float("nan") if not math.isfinite(v) else 1.0 if hi == lo
                else (v - lo) / (hi - lo)) for k, v in values.items()}


def _mean(values: Sequence[float]) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def choose_k(coherence: Mapping[int, Sequence[float]],
             stability: Mapping[int, Sequence[float]]) -> Choice:
    """Apply the rule of this module.

    Args:
        coherence: k -> c_npmi of each seed's model.
        stability: k -> stability of each pair of seeds (empty with one seed).

    Returns:
        The choice and its reason.

    >>> choose_k({2: [0.1, 0.1], 3: [0.2, 0.2], 4: [0.15, 0.1]},
    ...          {2: [0.6], 3: [0.9], 4: [0.5]}).k
    3
    """
    ks = sorted(coherence)
    c_mean = {k: _mean(coherence[k]) for k in ks}
    s_mean = {k: _mean(stability.get(k, [])) for k in ks}
    span = f"{ks[0]}..{ks[-1]}" if len(ks) > 1 else str(ks[0])
    if not any(math.isfinite(v) for v in c_mean.values()):
        return Choice(None, ks[0], "no clear k: no model has a finite c_npmi", False)
    c_scaled = scaled(c_mean)
    if not any(math.isfinite(v) for v in s_mean.values()):
        best = max((k for k in ks if math.isfinite(c_mean[k])), key=lambda k: (c_mean[k], -k))
        edge = len(ks) > 2 and best in (ks[0], ks[-1])
        reason = (f"k={best}: best mean c_npmi ({c_mean[best]:.3f}) of k={span}; one seed, so "
                  "stability was not measured (use --seeds 3 for a choice that weighs it)")
        return Choice(best, best, reason + _edge_note(edge, span, best), edge)
    s_scaled = scaled(s_mean)

    def score(k: int) -> float:
        c, s = c_scaled[k], s_scaled[k]
        return (c if math.isfinite(c) else 0.0) + (s if math.isfinite(s) else 0.0)

    best = max(ks, key=lambda k: (score(k), -k))
    edge = len(ks) > 2 and best in (ks[0], ks[-1])
    runner = max((k for k in ks if k != best), key=lambda k: (score(k), -k), default=None)
    detail = (f"mean c_npmi {c_mean[best]:.3f} (scaled {c_scaled[best]:.2f}) and stability "
              f"{s_mean[best]:.2f} (scaled {s_scaled[best]:.2f}) over k={span}")
    if runner is not None:
        detail += f"; next: k={runner} (combined {score(runner):.2f} vs {score(best):.2f})"
    worse = [name for name, v in (("c_npmi", c_scaled[best]), ("stability", s_scaled[best]))
             if not math.isfinite(v) or v < AGREEMENT]
    if worse:
        c_best = max(ks, key=lambda k: (c_mean[k], -k))
        s_best = max(ks, key=lambda k: (s_mean[k], -k))
        reason = (f"no clear k; see the figure: coherence is best at k={c_best}, stability at "
                  f"k={s_best}, and the closest compromise k={best} is in the worse half of "
                  f"{' and '.join(worse)} ({detail})")
        return Choice(None, best, reason + _edge_note(edge, span, best), edge)
    reason = f"k={best}: closest to the best on both coherence and stability: {detail}"
    return Choice(best, best, reason + _edge_note(edge, span, best), edge)


def _edge_note(edge: bool, span: str, k: int) -> str:
    if not edge:
        return ""
    if k == 2:
        return (f". It is at the edge of the range k={span}, and 2 is the smallest k: the "
                "units may be too few or too long for finer topics (with whole documents as units, "
                "try --unit paragraph)")
    return (f". It is at the edge of the range k={span}: widen the range (--k) to see whether "
            "a k beyond it does better")
