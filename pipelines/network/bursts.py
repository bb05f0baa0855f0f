"""Kleinberg's burst detection (two-state automaton, batched arrivals), as CiteSpace uses it.

Kleinberg, J. (2002/2003), "Bursty and hierarchical structure in streams", KDD / Data Mining
and Knowledge Discovery 7:373-397, section 4 (enumerating bursts over batches). For a term,
batch t (a year) holds ``d_t`` windows (sentences) of which ``r_t`` contain the term. With
``p0 = sum r / sum d`` and ``p1 = s * p0`` (capped below 1), the cost of state i in batch t is

    sigma_i(t) = -ln[ C(d_t, r_t) p_i^r_t (1 - p_i)^(d_t - r_t) ],

moving up from state 0 to 1 costs ``gamma * ln(n)`` (n batches), moving down is free, and the
automaton starts in state 0. The state sequence of least total cost (Viterbi) marks the burst
years (state 1); each maximal run of them is a burst from ``start`` to ``end`` (years), with
``strength`` = sum over its batches of ``sigma_0(t) - sigma_1(t)`` (Kleinberg's weight).
The binomial coefficient cancels in both, so it is left out.
"""

from __future__ import annotations

import numpy as np

__all__ = ["burst_states", "find_bursts"]


def _costs(r: np.ndarray, d: np.ndarray, s: float) -> tuple[np.ndarray, np.ndarray]:
    """sigma_0 and sigma_1 (without the binomial coefficient) for terms x batches."""
    from scipy.special import xlog1py, xlogy

    p0 = np.minimum(r.sum(axis=1, keepdims=True) / d.sum(), 1.0 - 1e-12)
    p1 = np.minimum(s * p0, 1.0 - 1e-12)

    def cost(p: np.ndarray) -> np.ndarray:
        # xlogy(0, 0) = 0: a term absent from every batch costs nothing in either state
        return -(xlogy(r, p) + xlog1py(d - r, -p))

    return cost(p0), cost(p1)


def burst_states(r: np.ndarray, d: np.ndarray, *, s: float = 2.0, gamma: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Least-cost state sequences of the two-state automaton (Viterbi), terms x batches.

    Args:
        r: Windows containing each term in each batch (terms x batches).
        d: Windows in each batch (batches,).
        s: Rate ratio of the burst state.
        gamma: Cost factor of moving up a state.

    Returns:
        (states as 0/1 int8 array, sigma_0 - sigma_1 per term and batch).
    """
    r = np.asarray(r, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)[None, :]
    terms, n = r.shape
    c0, c1 = _costs(r, d, s)
    up = gamma * np.log(n) if n > 1 else 0.0
    # cost[k] = least cost of a sequence ending in state k; start in state 0
    best0, best1 = c0[:, 0].copy(), c1[:, 0] + up
    back = np.zeros((terms, n, 2), dtype=np.int8)  # previous state of each (t, state)
    for t in range(1, n):
        from0, from1 = best0, best1  # to state 0: from 0 free, from 1 free (down)
        new0 = np.minimum(from0, from1)
        back[:, t, 0] = (from1 < from0).astype(np.int8)
        stay, climb = best1, best0 + up
        new1 = np.minimum(stay, climb)
        back[:, t, 1] = (stay <= climb).astype(np.int8)
        best0, best1 = new0 + c0[:, t], new1 + c1[:, t]
    states = np.zeros((terms, n), dtype=np.int8)
    state = (best1 < best0).astype(np.int8)
    for t in range(n - 1, -1, -1):
        states[:, t] = state
        state = back[np.arange(terms), t, state]
    return states, c0 - c1


def find_bursts(r: np.ndarray, d: np.ndarray, years: list[int], *, s: float = 2.0,
                gamma: float = 1.0) -> list[tuple[int, int, int, float]]:
    """Bursts as (term row, start year, end year, strength), in term then start order."""
    states, gain = burst_states(r, d, s=s, gamma=gamma)
    out = []
    for row in range(states.shape[0]):
        t = 0
        n = states.shape[1]
        while t < n:
            if states[row, t]:
                end = t
                while end + 1 < n and states[row, end + 1]:
                    end += 1
                out.append((row, years[t], years[end], float(gain[row, t:end + 1].sum())))
                t = end + 1
            else:
                t += 1
    return out
