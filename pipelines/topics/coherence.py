"""Topic coherence c_v, c_npmi and u_mass (Röder, Both & Hinneburg 2015), counted correctly.

The pipeline and its constants are those of gensim's ``CoherenceModel`` (segmentation,
probability estimation, confirmation measure, arithmetic mean), so values equal gensim's
wherever gensim counts right. gensim 4.4.0 (the newest release) does not: its sliding-window
accumulator (``WordOccurrenceAccumulator._slide_window``) forgets a word when the first of
two copies of it leaves the window, so on texts with repeated words it under-counts
occurrences and co-occurrences. Here a window contains a word when any of its positions
falls inside it, which is the definition of Röder et al. (boolean sliding window).

Reference corpus: the units' token lists as segmented (every token, not only the kept
vocabulary), one text per unit; windows never cross a unit boundary.

* ``c_v``: boolean sliding window of 110 tokens; one-set segmentation; indirect cosine of
  NPMI context vectors (gamma 1, a word's NPMI with itself included); mean over words, then
  over topics.
* ``c_npmi``: boolean sliding window of 10 tokens; one-one segmentation (every ordered pair of
  distinct top words); NPMI; mean over pairs, then over topics.
* ``u_mass``: boolean document (each unit one window); one-preceding segmentation;
  log((D(w_i, w_j)/N + eps) / (D(w_j)/N)); mean over pairs, then over topics.

A text shorter than the window is one window; a text of n >= w tokens has n - w + 1 windows
(gensim's ``iter_windows`` with ``ignore_below_size=False``). NPMI and the log ratios add
``eps = 1e-12`` inside the logarithm of the joint probability, as gensim does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["WINDOWS", "EPSILON", "window_counts", "coherence_scores"]

WINDOWS = {"c_v": 110, "c_npmi": 10, "u_mass": None}
EPSILON = 1e-12


def _short_rows(ids: np.ndarray) -> np.ndarray:
    return np.unique(ids[ids >= 0])


def window_counts(texts: Sequence[Sequence[str]], words: Sequence[str], window: int | None
                  ) -> tuple[np.ndarray, np.ndarray, int]:
    """Count windows containing each word and each pair of words.

    Args:
        texts: The reference texts (token lists).
        words: The words to count (distinct).
        window: Sliding window size, or None for whole texts (boolean document).

    Returns:
        ``(occurrences, co_occurrences, n_windows)``: a vector over ``words``, a symmetric
        matrix over ``words`` whose diagonal equals the occurrences, and the number of windows.

    >>> occ, co, n = window_counts([["a", "b", "a", "c"]], ["a", "c"], 2)
    >>> occ.tolist(), int(co[0, 1]), n
    ([3.0, 1.0], 1, 3)
    """
    from scipy import sparse

    index = {w: i for i, w in enumerate(words)}
    r = len(words)
    rows: list[np.ndarray] = []  # relevant word ids of each window group
    weights: list[float] = []  # how many windows share that set of words
    n_windows = 0
    for text in texts:
        ids = np.fromiter((index.get(t, -1) for t in text), dtype=np.int64, count=len(text))
        n = len(ids)
        if window is None or n <= window:
            n_windows += 1
            present = _short_rows(ids)
            if len(present):
                rows.append(present)
                weights.append(1.0)
            continue
        n_win = n - window + 1
        n_windows += n_win
        pos = np.flatnonzero(ids >= 0)
        if not len(pos):
            continue
        # an occurrence at p lies in the windows starting at max(0, p-w+1) .. min(p, n_win-1)
        starts = np.maximum(0, pos - window + 1)
        ends = np.minimum(pos, n_win - 1) + 1
        cuts = np.unique(np.concatenate([[0, n_win], starts, ends]))
        lengths = np.diff(cuts)
        a = np.searchsorted(cuts, starts)
        b = np.searchsorted(cuts, ends)
        local, word = np.unique(ids[pos], return_inverse=True)
        cover = np.zeros((len(local), len(cuts)), dtype=np.int64)
        np.add.at(cover, (word, a), 1)
        np.add.at(cover, (word, b), -1)
        inside = np.cumsum(cover, axis=1)[:, :-1] > 0  # words x segments
        for s in np.flatnonzero(inside.any(axis=0)):
            rows.append(local[inside[:, s]])
            weights.append(float(lengths[s]))
    if not rows:
        return np.zeros(r), np.zeros((r, r)), n_windows
    indptr = np.cumsum([0] + [len(x) for x in rows])
    matrix = sparse.csr_matrix((np.ones(indptr[-1]), np.concatenate(rows), indptr),
                               shape=(len(rows), r))
    w = np.asarray(weights)
    occurrences = np.asarray(matrix.T @ w).ravel()
    co = (matrix.T @ sparse.diags(w) @ matrix).toarray()
    return occurrences, co, n_windows


def _npmi(co: np.ndarray, occ: np.ndarray, n: int) -> np.ndarray:
    """NPMI of every pair as gensim computes it (``log_ratio_measure(normalize=True)``)."""
    joint = co / n + EPSILON
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(joint) - np.log(np.outer(occ / n, occ / n))
        return pmi / -np.log(joint)


def _c_v(topics: list[np.ndarray], npmi: np.ndarray) -> list[float]:
    values = []
    for t in topics:
        m = npmi[np.ix_(t, t)]
        total = m.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (m @ total) / (np.linalg.norm(m, axis=1) * np.linalg.norm(total))
        values.append(float(np.mean(cos)))
    return values


def _c_npmi(topics: list[np.ndarray], npmi: np.ndarray) -> list[float]:
    values = []
    for t in topics:
        m = npmi[np.ix_(t, t)]
        off = ~np.eye(len(t), dtype=bool)
        values.append(float(np.mean(m[off])) if off.any() else float("nan"))
    return values


def _u_mass(topics: list[np.ndarray], co: np.ndarray, occ: np.ndarray, n: int) -> list[float]:
    values = []
    for t in topics:
        pairs = [(t[i], t[j]) for i in range(1, len(t)) for j in range(i)]
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = [np.log((co[a, b] / n + EPSILON) / (occ[b] / n)) for a, b in pairs]
        values.append(float(np.mean(vals)) if vals else float("nan"))
    return values


def coherence_scores(texts: Sequence[Sequence[str]], topics: Sequence[Sequence[str]]
                     ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """c_v, c_npmi and u_mass of one model's topics over the reference texts.

    Args:
        texts: The reference texts (token lists).
        topics: Each topic's top words (10 in the topics stage); each must occur in ``texts``
            (a model's top words always do), else its scores are not finite.

    Returns:
        ``(means, per_topic)``: the mean over topics of each measure (NaN where undefined) and
        the per-topic values.
    """
    words = sorted({w for t in topics for w in t})
    ids = {w: i for i, w in enumerate(words)}
    topic_ids = [np.array([ids[w] for w in t], dtype=np.int64) for t in topics]
    per_topic: dict[str, list[float]] = {}
    for measure, window in WINDOWS.items():
        occ, co, n = window_counts(texts, words, window)
        if measure == "u_mass":
            per_topic[measure] = _u_mass(topic_ids, co, occ, n)
        else:
            npmi = _npmi(co, occ, n)
            per_topic[measure] = (_c_v if measure == "c_v" else _c_npmi)(topic_ids, npmi)
    means = {}
    for measure, vals in per_topic.items():
        value = float(np.mean(vals)) if vals else float("nan")
        means[measure] = value if np.isfinite(value) else float("nan")
    return means, per_topic
