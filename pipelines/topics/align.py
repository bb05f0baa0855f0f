"""Topics aligned across k, and topic labels from the most relevant terms.

Alignment: for each pair of consecutive k tried (first seed of each), the cosine similarity of
every topic-word distribution of the smaller k with every one of the larger k. A topic of the
larger k has as ``parent`` the topic of the smaller k it is most similar to, so a reader sees
which topic splits into which (the choice of k changes the grain).

Labels: the three most relevant terms of a topic by LDAvis relevance (Sievert & Shirley 2014)
``λ log φ_tw + (1 − λ) log(φ_tw / p_w)`` with λ = 0.6, joined by " / ".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RELEVANCE_LAMBDA", "relevance_labels", "alignment_rows"]

RELEVANCE_LAMBDA = 0.6


def relevance_labels(topic_term: np.ndarray, p_w: np.ndarray, vocab: Sequence[str], *,
                     n: int = 3, lam: float = RELEVANCE_LAMBDA) -> list[str]:
    """One label per topic: its ``n`` most relevant terms (ties to the earlier term).

    >>> relevance_labels(np.array([[0.5, 0.4, 0.1], [0.1, 0.1, 0.8]]),
    ...                  np.array([0.3, 0.25, 0.45]), ["a", "b", "c"], n=2)
    ['a / b', 'c / b']
    """
    phi = np.maximum(np.asarray(topic_term, dtype=np.float64), 1e-12)
    with np.errstate(divide="ignore"):
        rel = lam * np.log(phi) + (1 - lam) * (np.log(phi) - np.log(np.maximum(p_w, 1e-300)))
    order = np.argsort(-rel, axis=1, kind="stable")[:, :n]
    return [" / ".join(vocab[j] for j in row) for row in order]


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = a / np.linalg.norm(a, axis=1, keepdims=True)
    nb = b / np.linalg.norm(b, axis=1, keepdims=True)
    return na @ nb.T


def alignment_rows(models: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> list[dict]:
    """Rows of the ``topic_alignment`` table.

    Args:
        models: ``(k, topic_term, prevalence)`` of each k, ascending k.

    Returns:
        One row per (topic of k, topic of the next k): ``k_from, topic_from, k_to, topic_to,
        similarity, parent, share_from, share_to``.
    """
    rows = []
    for (k1, phi1, prev1), (k2, phi2, prev2) in zip(models, models[1:], strict=False):
        sim = _cosine(phi1, phi2)
        parent = np.argmax(sim, axis=0)
        for a in range(k1):
            for b in range(k2):
                rows.append({"k_from": k1, "topic_from": a, "k_to": k2, "topic_to": b,
                             "similarity": float(sim[a, b]), "parent": bool(parent[b] == a),
                             "share_from": float(prev1[a]), "share_to": float(prev2[b])})
    return rows
