"""What every topic fit shares: the :class:`Corpus` it fits and the :class:`Fit` it returns.

Every backend (tomotopy or gensim LDA, scikit-learn NMF) takes the same corpus (bags of words over
one shared vocabulary) and returns a fit in the same shape, so metrics and tables never look at a
library's objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Bags", "Corpus", "Fit", "sorted_unique", "holdout_mask", "normalise_rows"]


class Bags:
    """Token id lists of many units in one flat array (unit i: ``ids[offsets[i]:offsets[i+1]]``).

    One ``int32`` per token instead of a Python list of strings per unit: the topics stage
    keeps its corpus in this form, built batch by batch (see :mod:`pipelines.topics.build`).
    """

    __slots__ = ("ids", "offsets")

    def __init__(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        self.ids = np.ascontiguousarray(ids, dtype=np.int32)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]]) -> Bags:
        """Bags of the given id lists.

        >>> Bags.from_lists([[1, 2], [], [0]]).lengths().tolist()
        [2, 0, 1]
        """
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        ids = (np.concatenate([np.asarray(x, dtype=np.int32) for x in lists])
               if lengths.sum() else np.zeros(0, dtype=np.int32))
        return cls(ids, np.concatenate([[0], np.cumsum(lengths)]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i]:self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        """Tokens per unit."""
        return np.diff(self.offsets)

    def take(self, idx: np.ndarray) -> Bags:
        """The units ``idx`` (in that order) as new bags."""
        idx = np.asarray(idx, dtype=np.int64)
        lengths = self.lengths()[idx]
        starts = self.offsets[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        # position j of the result lies in unit u: source index starts[u] + (j - offsets[u])
        shift = np.repeat(starts - offsets[:-1], lengths)
        return Bags(self.ids[np.arange(offsets[-1], dtype=np.int64) + shift], offsets)


class _Words(Sequence):
    """Read-only view of bags as tuples of vocabulary words (for code that wants strings)."""

    def __init__(self, bags: Bags, vocab: Sequence[str]) -> None:
        self._bags, self._vocab = bags, np.asarray(vocab, dtype=object)

    def __len__(self) -> int:
        return len(self._bags)

    def __getitem__(self, i):  # type: ignore[override]
        return tuple(self._vocab[self._bags[i]].tolist())


@dataclass(frozen=True)
class Corpus:
    """Bags of words ready to fit, shared by every (k, seed).

    Attributes:
        vocab: The kept terms, sorted; a term's index is its column everywhere.
        bags: Each unit's tokens, already filtered to ``vocab``, as ``vocab`` columns, in
            document order.
        method: ``"lda"`` or ``"nmf"``.
        backend: ``"tomotopy"`` or ``"gensim"`` (LDA only).
        iterations: Gibbs sweeps (tomotopy), per-document inference iterations (gensim) or
            ``max_iter`` (NMF).
        passes: Passes over the corpus (gensim only).
        holdout: Share of units held out for perplexity (0 = in-sample perplexity).
        texts: Each unit's whole token list (every segmented token, not only ``vocab``): the
            reference corpus of coherence, as ``vocab`` columns with ``len(vocab)`` standing
            for every token outside the vocabulary (only positions matter there). None: the
            bags are the reference corpus.
    """

    vocab: tuple[str, ...]
    bags: Bags
    method: str
    backend: str
    iterations: int
    passes: int
    holdout: float
    texts: Bags | None = None

    @classmethod
    def of_words(cls, vocab: Sequence[str], units: Sequence[Sequence[str]], method: str,
                 backend: str, iterations: int, passes: int, holdout: float,
                 texts: Sequence[Sequence[str]] = ()) -> Corpus:
        """A corpus from token lists (``units`` hold only ``vocab`` words; ``texts`` any)."""
        vocab = tuple(vocab)
        col = {w: j for j, w in enumerate(vocab)}
        bags = Bags.from_lists([[col[w] for w in u] for u in units])
        text_bags = (Bags.from_lists([[col.get(w, len(vocab)) for w in t] for t in texts])
                     if texts else None)
        return cls(vocab, bags, method, backend, iterations, passes, holdout, text_bags)

    @property
    def units(self) -> Sequence[tuple[str, ...]]:
        """Each unit's kept tokens as words (a view; built on access)."""
        return _Words(self.bags, self.vocab)

    def reference(self) -> Bags:
        """The reference texts of coherence (``texts``, or the bags when there are none)."""
        return self.texts if self.texts is not None else self.bags

    def subset(self, idx: np.ndarray) -> Corpus:
        """The corpus of the units ``idx`` (same vocabulary and settings)."""
        return Corpus(self.vocab, self.bags.take(idx), self.method, self.backend,
                      self.iterations, self.passes, self.holdout,
                      None if self.texts is None else self.texts.take(idx))


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


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: ``np.unique`` by an in-place sort.

    (numpy 2.4's ``np.unique`` takes a hash-table path for integers that is far slower on
    millions of values: 27 s against 1.1 s for 3 M int64 on the development machine.)

    >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(np.asarray(values).ravel())
    if not len(values):
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]
