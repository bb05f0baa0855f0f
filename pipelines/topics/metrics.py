"""Model-selection metrics for the topics stage, one implementation for every backend.

* Coherence ``c_v``, ``c_npmi`` and ``u_mass`` come from gensim's ``CoherenceModel`` fed the top-10
  words of each topic (``topics=``), the units' token lists as ``texts`` and one ``Dictionary``
  of those texts. Window sizes are gensim's defaults: a sliding window of 110 tokens for
  ``c_v``, 10 tokens for ``c_npmi``; ``u_mass`` counts co-occurrence in whole units. Windows
  never cross a unit boundary (each unit is one text).
* Topic diversity: the share of distinct words among all topics' top-25 words (Dieng et al.
  2020).
* Stability: mean best-match Jaccard similarity of the top-20 words of seed 0's topics with
  another seed's topics.
* The four ldatuning metrics, translated from R ``ldatuning`` (Murzintcev, ``R/main.R``,
  https://github.com/nikita-moor/ldatuning): Griffiths2004 (here the per-word log-likelihood
  the backend reports), CaoJuan2009, Arun2010, Deveaud2014.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "top_words",
    "coherence",
    "topic_diversity",
    "jaccard_stability",
    "cao_juan_2009",
    "arun_2010",
    "deveaud_2014",
    "recommend_k",
]

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")


def top_words(topic_term: np.ndarray, vocab: Sequence[str], n: int) -> list[list[str]]:
    """The ``n`` heaviest words of each topic; ties go to the earlier (sorted) term.

    >>> top_words(np.array([[0.1, 0.6, 0.3]]), ["a", "b", "c"], 2)
    [['b', 'c']]
    """
    order = np.argsort(-topic_term, axis=1, kind="stable")[:, :n]
    return [[vocab[j] for j in row] for row in order]


def coherence(
    texts: Sequence[Sequence[str]], topic_sets: Sequence[list[list[str]]]
) -> list[dict[str, float]]:
    """Coherence of several models' topics over the same texts.

    One ``CoherenceModel`` per measure is built on the union of every model's topics, so the
    word (co-)occurrences are counted once; gensim keeps that accumulator when ``topics`` is
    set to a subset, and counts for a word do not depend on which other words are counted.

    Args:
        texts: The units' token lists.
        topic_sets: For each model, its topics as lists of top-10 words.

    Returns:
        For each model, ``{"c_v": ..., "c_npmi": ..., "u_mass": ...}`` (mean over topics;
        NaN where gensim gives no value).
    """
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    texts = [list(t) for t in texts]
    dictionary = Dictionary(texts)
    union = [t for topics in topic_sets for t in topics]
    out: list[dict[str, float]] = [{} for _ in topic_sets]
    for measure in COHERENCE_MEASURES:
        # processes=1: the result must not depend on the machine, and fits already run in a pool
        cm = CoherenceModel(topics=union, texts=texts, dictionary=dictionary,
                            coherence=measure, topn=10, processes=1)
        cm.estimate_probabilities()
        for i, topics in enumerate(topic_sets):
            cm.topics = topics
            value = float(cm.get_coherence())
            out[i][measure] = value if math.isfinite(value) else float("nan")
    return out


def topic_diversity(topics: Sequence[Sequence[str]]) -> float:
    """Share of distinct words among all topics' top words.

    >>> topic_diversity([["a", "b"], ["b", "c"]])
    0.75
    """
    words = [w for t in topics for w in t]
    return len(set(words)) / len(words) if words else float("nan")


def jaccard_stability(reference: Sequence[Sequence[str]], other: Sequence[Sequence[str]]) -> float:
    """Mean over the reference topics of the best Jaccard similarity with any ``other`` topic.

    >>> jaccard_stability([["a", "b"], ["c", "d"]], [["a", "b"], ["a", "c"]])
    0.6666666666666666
    """
    sets = [set(t) for t in other]
    best = [max(len(set(r) & s) / len(set(r) | s) for s in sets) for r in reference]
    return float(np.mean(best))


def cao_juan_2009(topic_term: np.ndarray) -> float:
    """Mean pairwise cosine similarity of topic-word rows (ldatuning CaoJuan2009; lower is better).

    >>> cao_juan_2009(np.array([[1.0, 0.0], [0.0, 1.0]]))
    0.0
    """
    k = topic_term.shape[0]
    if k < 2:
        return float("nan")
    norm = topic_term / np.linalg.norm(topic_term, axis=1, keepdims=True)
    cos = norm @ norm.T
    return float(cos[np.triu_indices(k, 1)].sum() / (k * (k - 1) / 2))


def arun_2010(topic_term: np.ndarray, doc_topic: np.ndarray, lengths: np.ndarray) -> float:
    """Symmetric KL divergence of topic-word singular values and length-weighted topic shares.

    ldatuning Arun2010 (lower is better): ``cm1`` = singular values of the topic-word matrix,
    ``cm2`` = ``lengths @ doc_topic / max(lengths)``, result
    ``sum(cm1*log(cm1/cm2)) + sum(cm2*log(cm2/cm1))``.
    """
    cm1 = np.linalg.svd(topic_term, compute_uv=False)
    cm2 = (lengths @ doc_topic) / np.max(lengths)
    n = min(len(cm1), len(cm2))
    cm1, cm2 = cm1[:n], cm2[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.sum(cm1 * np.log(cm1 / cm2)) + np.sum(cm2 * np.log(cm2 / cm1))
    return float(value)


def deveaud_2014(topic_term: np.ndarray) -> float:
    """Mean pairwise symmetric KL divergence of topic-word rows (ldatuning Deveaud2014; higher is
    better). Zeros get the smallest positive double added, as in the R code.

    >>> round(deveaud_2014(np.array([[0.5, 0.5], [0.5, 0.5]])), 6)
    0.0
    """
    k = topic_term.shape[0]
    if k < 2:
        return float("nan")
    m = np.asarray(topic_term, dtype=np.float64)
    if np.any(m == 0):
        m = m + np.finfo(np.float64).tiny
    total = 0.0
    for a in range(k):
        for b in range(a + 1, k):
            x, y = m[a], m[b]
            total += 0.5 * np.sum(x * np.log(x / y)) + 0.5 * np.sum(y * np.log(y / x))
    return float(total / (k * (k - 1)))


def recommend_k(cv_by_k: dict[int, list[float]]) -> tuple[int, str]:
    """The smallest k whose mean c_v is within one standard deviation of the best mean c_v.

    The standard deviation is that of the best k's c_v across seeds when there are several
    seeds, else that of the mean c_v across k (sample SD, ddof=1; 0 with a single value).
    NaN coherences count as worse than any number.

    Args:
        cv_by_k: k -> the c_v of each seed's model.

    Returns:
        ``(k, reason)`` where ``reason`` is one sentence that can be logged and stored.

    >>> recommend_k({2: [0.40], 3: [0.55], 4: [0.60]})[0]
    3
    """
    means = {k: _nanmean(v) for k, v in sorted(cv_by_k.items())}
    best_k = max(means, key=lambda k: (means[k], -k))
    best = means[best_k]
    seeds = max(len(v) for v in cv_by_k.values())
    if seeds > 1:
        vals = [v for v in cv_by_k[best_k] if math.isfinite(v)]
        sd, across = (float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0), "across seeds"
    else:
        vals = [v for v in means.values() if math.isfinite(v)]
        sd, across = (float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0), "across k"
    if not math.isfinite(best):
        k = min(means)
        return k, f"k={k}: no model has a finite c_v, so the smallest k tried is recommended"
    k = min(k for k, m in means.items() if math.isfinite(m) and m >= best - sd - 1e-12)
    return k, (f"k={k}: smallest k whose mean c_v {means[k]:.4f} is within one standard deviation "
               f"({sd:.4f}, {across}) of the best mean c_v {best:.4f} at k={best_k}")


def _nanmean(values: Sequence[float]) -> float:
    vals = [v for v in values if math.isfinite(v)]
    return float(np.mean(vals)) if vals else -math.inf
