"""Model-selection metrics for the topics stage, one implementation for every backend.

* Coherence ``c_v``, ``c_npmi`` and ``u_mass``: :mod:`pipelines.topics.coherence`.
* Topic diversity: the share of distinct words among all topics' top-25 words (Dieng et al.
  2020).
* Stability: mean Jaccard similarity of the top-20 words of two seeds' topics matched one to
  one (Hungarian algorithm), averaged over every pair of seeds.
* Perplexity: the plug-in estimate exp(−Σ log Σ_k θ_dk φ_kw / N) (Wallach et al. 2009), on
  held-out words by document completion; see :mod:`pipelines.topics.lda`.
* The four ldatuning metrics, translated from R ``ldatuning`` (Murzintcev, ``R/main.R``,
  https://github.com/nikita-moor/ldatuning): Griffiths2004 (the harmonic mean of
  p(w | z) over Gibbs samples after burn-in, Griffiths & Steyvers 2004; tomotopy only),
  CaoJuan2009, Arun2010, Deveaud2014.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "top_words",
    "topic_diversity",
    "matched_stability",
    "log_p_w_given_z",
    "griffiths_2004",
    "completion_perplexity",
    "cao_juan_2009",
    "arun_2010",
    "deveaud_2014",
]

def top_words(topic_term: np.ndarray, vocab: Sequence[str], n: int) -> list[list[str]]:
    """The ``n`` heaviest words of each topic; ties go to the earlier (sorted) term.

    >>> top_words(np.array([[0.1, 0.6, 0.3]]), ["a", "b", "c"], 2)
    [['b', 'c']]
    """
    order = np.argsort(-topic_term, axis=1, kind="stable")[:, :n]
    return [[vocab[j] for j in row] for row in order]


def topic_diversity(topics: Sequence[Sequence[str]]) -> float:
    """Share of distinct words among all topics' top words.

    >>> topic_diversity([["a", "b"], ["b", "c"]])
    0.75
    """
    words = [w for t in topics for w in t]
    return len(set(words)) / len(words) if words else float("nan")


def matched_stability(a: Sequence[Sequence[str]], b: Sequence[Sequence[str]]) -> float:
    """Mean Jaccard similarity of two models' topics under the best one-to-one matching.

    The topics (top-20 word lists in the topics stage) are paired by the Hungarian algorithm
    (``scipy.optimize.linear_sum_assignment``) so that the total Jaccard similarity is largest
    and no topic is used twice (Greene, O'Callaghan & Cunningham 2014 use the same matching).

    >>> matched_stability([["a", "b"], ["c", "d"]], [["a", "b"], ["a", "c"]])
    0.6666666666666666
    """
    from scipy.optimize import linear_sum_assignment

    sa, sb = [set(t) for t in a], [set(t) for t in b]
    sim = np.array([[len(x & y) / len(x | y) if x | y else 0.0 for y in sb] for x in sa])
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return float(sim[rows, cols].sum() / max(len(sa), len(sb)))


def log_p_w_given_z(counts: np.ndarray, beta: float) -> float:
    """log p(w | z) of a Gibbs sample (Griffiths & Steyvers 2004, eq. 2).

    ``K (lnΓ(Vβ) − V lnΓ(β)) + Σ_k [Σ_w lnΓ(n_kw + β) − lnΓ(n_k + Vβ)]`` for the ``K x V``
    topic-word counts ``n_kw`` of one sample and the symmetric word prior ``β``.
    """
    from scipy.special import gammaln

    counts = np.asarray(counts, dtype=np.float64)
    k, v = counts.shape
    return float(k * (gammaln(v * beta) - v * gammaln(beta)) + gammaln(counts + beta).sum()
                 - gammaln(counts.sum(axis=1) + v * beta).sum())


def griffiths_2004(logliks: Sequence[float]) -> float:
    """Harmonic mean of p(w | z) over Gibbs samples, on the log scale (ldatuning Griffiths2004).

    ldatuning computes ``median(x) − log(mean(exp(−x + median(x))))`` with 2000-bit floats
    (Rmpfr); the same value in double precision is ``median − logsumexp(median − x) + log n``.

    >>> round(griffiths_2004([-10.0, -10.0]), 6)
    -10.0
    """
    from scipy.special import logsumexp

    x = np.asarray(logliks, dtype=np.float64)
    if not len(x):
        return float("nan")
    med = float(np.median(x))
    return float(med - logsumexp(med - x) + np.log(len(x)))


def completion_perplexity(theta: np.ndarray, phi: np.ndarray, docs: Sequence[np.ndarray]
                          ) -> float:
    """exp(−Σ_d Σ_i log Σ_k θ_dk φ_k,w_di / N): the plug-in perplexity of word ids ``docs``.

    Args:
        theta: ``D x K`` topic shares of the documents scored.
        phi: ``K x V`` topic-word distributions.
        docs: For each document, the word ids (columns of ``phi``) to score.

    Returns:
        The perplexity (natural log inside), NaN when there is no word to score.

    >>> completion_perplexity(np.array([[1.0]]), np.array([[0.5, 0.5]]), [np.array([0, 1])])
    2.0
    """
    total, n = 0.0, 0
    for d, ids in enumerate(docs):
        if len(ids):
            total += float(np.log(theta[d] @ phi[:, ids]).sum())
            n += len(ids)
    return float(np.exp(-total / n)) if n else float("nan")


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
