"""What every topic fit shares: the :class:`Corpus` it fits and the :class:`Fit` it returns.

Every backend (tomotopy or gensim LDA, scikit-learn NMF) takes the same corpus (bags of words over
one shared vocabulary) and returns a fit in the same shape, so metrics and tables never look at a
library's objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Corpus", "Fit", "holdout_mask", "normalise_rows"]


@dataclass(frozen=True)
class Corpus:
    """Bags of words ready to fit, shared by every (k, seed).

    Attributes:
        vocab: The kept terms, sorted; a term's index is its column everywhere.
        units: Each unit's tokens, already filtered to ``vocab``, in document order.
        method: ``"lda"`` or ``"nmf"``.
        backend: ``"tomotopy"`` or ``"gensim"`` (LDA only).
        iterations: Gibbs sweeps (tomotopy), per-document inference iterations (gensim) or
            ``max_iter`` (NMF).
        passes: Passes over the corpus (gensim only).
        holdout: Share of units held out for perplexity (0 = in-sample perplexity).
        texts: Each unit's whole token list (every segmented token, not only ``vocab``): the
            reference corpus of coherence.
    """

    vocab: tuple[str, ...]
    units: tuple[tuple[str, ...], ...]
    method: str
    backend: str
    iterations: int
    passes: int
    holdout: float
    texts: tuple[tuple[str, ...], ...] = ()


@dataclass
class Fit:
    """One fitted model reduced to arrays.

    Attributes:
        k: Number of topics.
        seed: The random seed of this fit.
        topic_term: ``k x V`` array, each row a distribution over ``Corpus.vocab``.
        doc_topic: ``n_units x k`` array, each row sums to 1 (held-out units are inferred).
        perplexity: Plug-in perplexity exp(-Σ log Σ_k θ_dk φ_kw / N) by document completion
            on the held-out units, or in-sample when none are held out (see
            :mod:`pipelines.topics.lda`); the same estimator for both backends. None for NMF.
        loglik: Per-word log-likelihood the backend reports on the training units (tomotopy
            ``ll_per_word``, log p(w, z) / N; gensim ``bound() / N``, the variational lower
            bound); None for NMF.
        seconds: Wall time of the fit.
        model: The serialised model (tomotopy ``saves()``, pickle for gensim and NMF).
        griffiths2004: Harmonic mean of log p(w | z) over Gibbs samples after burn-in
            (tomotopy); None for gensim and NMF.
        heldout: Number of held-out units (0: perplexity is in-sample).
        scores: Coherence means (``c_v``, ``c_npmi``, ``u_mass``), scored in the worker.
    """

    k: int
    seed: int
    topic_term: np.ndarray
    doc_topic: np.ndarray
    perplexity: float | None
    loglik: float | None
    seconds: float
    model: bytes
    griffiths2004: float | None = None
    heldout: int = 0
    scores: dict[str, float] = field(default_factory=dict)


def holdout_mask(n_units: int, share: float, seed: int) -> np.ndarray:
    """Boolean mask of held-out units: ``round(share * n)`` units drawn by ``seed``.

    Nothing is held out when ``share`` is 0 or fewer than 20 units exist (too few to spare).

    >>> int(holdout_mask(30, 0.1, 1).sum()), int(holdout_mask(19, 0.1, 1).sum())
    (3, 0)
    """
    mask = np.zeros(n_units, dtype=bool)
    if share <= 0 or n_units < 20:
        return mask
    n_out = max(1, int(round(share * n_units)))
    rng = np.random.default_rng(seed)
    mask[rng.choice(n_units, size=n_out, replace=False)] = True
    return mask


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1; an all-zero row becomes uniform."""
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    uniform = np.full_like(matrix, 1.0 / matrix.shape[1])
    return np.where(sums > 0, matrix / np.where(sums > 0, sums, 1.0), uniform)
