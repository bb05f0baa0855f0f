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

from pipelines.topics.corpus import Bags, sorted_unique

__all__ = ["WINDOWS", "EPSILON", "window_counts", "bag_window_counts", "coherence_scores",
           "bag_coherence"]

WINDOWS = {"c_v": 110, "c_npmi": 10, "u_mass": None}
EPSILON = 1e-12


#: relevant-word occurrences counted at once; the units are cut into chunks of about this many
#: (counts add over units, as no window crosses a unit), which bounds the memory of a count
CHUNK = 1 << 19


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
    bags, index = _encode(texts, words)
    return bag_window_counts(bags, index, window)


def _encode(texts: Sequence[Sequence[str]], words: Sequence[str]) -> tuple[Bags, np.ndarray]:
    """Texts as bags over ``words`` (every other token one id past them) and the word ids."""
    index = {w: i for i, w in enumerate(words)}
    other = len(words)
    bags = Bags.from_lists([[index.get(t, other) for t in text] for text in texts])
    return bags, np.arange(len(words), dtype=np.int64)


def bag_window_counts(texts: Bags, cols: np.ndarray, window: int | None
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`window_counts` on texts given as token ids, for the word ids ``cols`` (distinct).

    Each occurrence of a counted word at position p of a text of n tokens lies in the windows
    starting at max(0, p - w + 1) .. min(p, n - w) (in the one window of a text with n <= w,
    or of every text when ``window`` is None). Numbering all windows of all texts one after
    the other, a word's windows are the union of its occurrences' intervals, and the windows
    containing two words are the intersection of their unions; both are counted exactly
    (integers) from the elementary segments between interval ends.
    """
    cols = np.asarray(cols, dtype=np.int64)
    r = len(cols)
    lengths = texts.lengths()
    if window is None:
        per_text = np.ones(len(lengths), dtype=np.int64)
    else:
        per_text = np.where(lengths <= window, 1, lengths - window + 1)
    n_windows = int(per_text.sum())
    occurrences, co = np.zeros(r), np.zeros((r, r))
    if not r or not len(texts.ids):
        return occurrences, co, n_windows
    first_window = np.cumsum(per_text) - per_text
    lookup = np.full(max(int(texts.ids.max()), int(cols.max())) + 2, -1, dtype=np.int32)
    lookup[cols] = np.arange(r)
    # positions of the counted words, found a chunk of tokens at a time (nothing per token of
    # the reference corpus is held but the ids themselves); ids are >= 0, so -1 never indexes
    # from the end here
    ids = texts.ids
    pos = np.concatenate([lo + np.flatnonzero(lookup[ids[lo:lo + CHUNK]] >= 0)
                          for lo in range(0, len(ids), CHUNK)] or [np.zeros(0, np.int64)])
    if not len(pos):
        return occurrences, co, n_windows
    word_at = lookup[ids[pos]].astype(np.int64)  # the word of each position in pos
    text = np.searchsorted(texts.offsets, pos, side="right") - 1
    for lo, hi in _chunks(text):
        occ_c, co_c = _count(word_at[lo:hi], text[lo:hi],
                             pos[lo:hi] - texts.offsets[text[lo:hi]], lengths, first_window,
                             per_text, window, r)
        occurrences += occ_c
        co += co_c
    return occurrences, co, n_windows


def _chunks(text: np.ndarray) -> list[tuple[int, int]]:
    """Cut sorted text numbers into runs of about ``CHUNK`` entries at text boundaries."""
    n = len(text)
    cuts = np.searchsorted(text, text[np.arange(CHUNK, n, CHUNK)], side="left")
    bounds = sorted_unique(np.concatenate([[0], cuts, [n]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _count(word: np.ndarray, text: np.ndarray, p: np.ndarray, lengths: np.ndarray,
           first_window: np.ndarray, per_text: np.ndarray, window: int | None, r: int
           ) -> tuple[np.ndarray, np.ndarray]:
    from scipy import sparse

    base = first_window[text]
    whole = np.ones(len(p), dtype=bool) if window is None else lengths[text] <= window
    start = np.where(whole, base, base + np.maximum(0, p - (window or 0) + 1))
    end = np.where(whole, base + 1, base + np.minimum(p, per_text[text] - 1) + 1)
    # merge each word's intervals: sort by (word, start); a new run starts past the reach
    order = np.lexsort((start, word))
    word, start, end = word[order], start[order], end[order]
    span = int(end.max()) + 1
    reach = np.maximum.accumulate(word * span + end) - word * span
    new = np.ones(len(word), dtype=bool)
    new[1:] = (word[1:] != word[:-1]) | (start[1:] > reach[:-1])
    heads = np.flatnonzero(new)
    w_run, a_run = word[heads], start[heads]
    b_run = np.maximum.reduceat(end, heads)
    occurrences = np.bincount(w_run, weights=(b_run - a_run).astype(np.float64), minlength=r)
    # elementary segments between all run ends; a run covers segments sa .. sb - 1
    cuts = sorted_unique(np.concatenate([a_run, b_run]))
    sa, sb = np.searchsorted(cuts, a_run), np.searchsorted(cuts, b_run)
    count = sb - sa
    total = int(count.sum())
    seg = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count - sa, count)
    cover = sparse.csr_matrix((np.ones(total), (seg, np.repeat(w_run, count))),
                              shape=(len(cuts) - 1, r))
    cover.data[:] = 1.0  # (a run never covers a segment twice; guard all the same)
    seg_len = np.diff(cuts).astype(np.float64)
    co = (cover.T @ sparse.diags(seg_len) @ cover).toarray()
    return occurrences, co


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
    bags, _ = _encode(texts, words)
    return bag_coherence(bags, [np.array([ids[w] for w in t], dtype=np.int64) for t in topics])


def bag_coherence(texts: Bags, topics: Sequence[np.ndarray]
                  ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """:func:`coherence_scores` on texts given as token ids, each topic as its top word ids."""
    cols = (sorted_unique(np.concatenate(topics)) if len(topics)
            else np.zeros(0, dtype=np.int64))
    topic_ids = [np.searchsorted(cols, t) for t in topics]
    per_topic: dict[str, list[float]] = {}
    for measure, window in WINDOWS.items():
        occ, co, n = bag_window_counts(texts, cols, window)
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
