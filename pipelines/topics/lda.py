"""Topic-model fits for the topics stage: LDA by tomotopy or gensim, NMF by scikit-learn.

Every fit takes the same :class:`Corpus` (bags of words over one shared vocabulary) and returns
a :class:`Fit` in the same shape, so metrics and tables never look at a library's objects. A fit
runs single-threaded (tomotopy ``workers=1``, gensim ``LdaModel`` rather than ``LdaMulticore``)
so one seed gives the same model on any machine; parallelism comes from running several fits
(different k or seed) in a process pool, see :func:`fit_task`.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["Corpus", "Fit", "fit_task", "holdout_mask"]


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
    """

    vocab: tuple[str, ...]
    units: tuple[tuple[str, ...], ...]
    method: str
    backend: str
    iterations: int
    passes: int
    holdout: float


@dataclass
class Fit:
    """One fitted model reduced to arrays.

    Attributes:
        k: Number of topics.
        seed: The random seed of this fit.
        topic_term: ``k x V`` array, each row a distribution over ``Corpus.vocab``.
        doc_topic: ``n_units x k`` array, each row sums to 1 (held-out units are inferred).
        perplexity: exp(-log-likelihood per word), natural log, on the held-out units (or
            in-sample when none are held out); tomotopy uses the log-likelihood of ``infer``
            over the held-out words seen in training (it cannot score the others), or its
            ``perplexity`` in-sample; gensim its per-word variational bound, so values compare
            across k within one backend, not across backends. None for NMF.
        loglik: Per-word log-likelihood on the training units (tomotopy ``ll_per_word``, gensim
            ``bound() / words``), reported as the Griffiths2004 column (the R package uses the
            harmonic-mean log-likelihood of Gibbs samples; higher is better); None for NMF.
        seconds: Wall time of the fit.
        model: The serialised model (tomotopy ``saves()``, pickle for gensim and NMF).
    """

    k: int
    seed: int
    topic_term: np.ndarray
    doc_topic: np.ndarray
    perplexity: float | None
    loglik: float | None
    seconds: float
    model: bytes


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


def fit_task(task: tuple[int, int, bool], corpus: Corpus) -> Fit:
    """Fit one model; a module-level function so a process pool can run it.

    Args:
        task: ``(k, seed, keep_model)``; ``keep_model`` serialises the model into ``Fit.model``.
        corpus: The shared corpus and fit settings.

    Returns:
        The fit reduced to arrays.
    """
    k, seed, keep = task
    started = time.perf_counter()
    if corpus.method == "nmf":
        from pipelines.topics.nmf import fit_nmf

        fit = fit_nmf(corpus, k, seed)
    elif corpus.backend == "gensim":
        fit = _fit_gensim(corpus, k, seed)
    else:
        fit = _fit_tomotopy(corpus, k, seed)
    fit.seconds = time.perf_counter() - started
    if not keep:
        fit.model = b""
    return fit


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1; an all-zero row becomes uniform."""
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    uniform = np.full_like(matrix, 1.0 / matrix.shape[1])
    return np.where(sums > 0, matrix / np.where(sums > 0, sums, 1.0), uniform)


def _fit_tomotopy(corpus: Corpus, k: int, seed: int) -> Fit:
    """LDA by collapsed Gibbs sampling in tomotopy (alpha 0.1 optimised, eta 0.01)."""
    import tomotopy as tp

    held = holdout_mask(len(corpus.units), corpus.holdout, seed)
    model = tp.LDAModel(k=k, seed=seed)
    train_idx = [i for i in range(len(corpus.units)) if not held[i]]
    for i in train_idx:
        model.add_doc(list(corpus.units[i]))
    model.train(iterations=corpus.iterations, workers=1, parallel=tp.ParallelScheme.NONE)
    # tomotopy numbers words by first sight; map its columns onto the sorted vocabulary
    col = {w: j for j, w in enumerate(corpus.vocab)}
    order = np.array([col[w] for w in model.used_vocabs])
    topic_term = np.zeros((k, len(corpus.vocab)))
    for t in range(k):
        topic_term[t, order] = model.get_topic_word_dist(t)
    doc_topic = np.zeros((len(corpus.units), k))
    # iterate: indexing model.docs[i] raises IndexError for i > 0 in tomotopy 0.14
    for i, doc in zip(train_idx, model.docs, strict=True):
        doc_topic[i] = doc.get_topic_dist()
    held_idx = np.flatnonzero(held)
    if len(held_idx):
        docs = [model.make_doc(list(corpus.units[i])) for i in held_idx]
        dists, lls = model.infer(docs, iterations=corpus.iterations, workers=1,
                                 parallel=tp.ParallelScheme.NONE)
        for i, dist in zip(held_idx, dists, strict=True):
            doc_topic[i] = dist
        # make_doc drops words no training unit has; they add nothing to lls, so don't count them
        n_words = sum(len(doc) for doc in docs)
        perplexity = float(np.exp(-np.sum(lls) / n_words)) if n_words else float("nan")
    else:
        perplexity = float(model.perplexity)
    return Fit(k, seed, _normalise_rows(topic_term), _normalise_rows(doc_topic), perplexity,
               float(model.ll_per_word), 0.0, bytes(model.saves(full=True)))


def _bows(corpus: Corpus, idx: np.ndarray) -> list[list[tuple[int, int]]]:
    """gensim bags of words (a list, so gensim can pass over it several times)."""
    col = {w: j for j, w in enumerate(corpus.vocab)}
    out = []
    for i in idx:
        counts: dict[int, int] = {}
        for w in corpus.units[i]:
            counts[col[w]] = counts.get(col[w], 0) + 1
        out.append(sorted(counts.items()))
    return out


def _fit_gensim(corpus: Corpus, k: int, seed: int) -> Fit:
    """LDA by online variational Bayes in gensim ``LdaModel`` (the reference backend)."""
    from gensim.models import LdaModel

    held = holdout_mask(len(corpus.units), corpus.holdout, seed)
    train_idx = np.flatnonzero(~held)
    held_idx = np.flatnonzero(held)
    train = _bows(corpus, train_idx)
    id2word = dict(enumerate(corpus.vocab))
    model = LdaModel(train, id2word=id2word, num_topics=k, random_state=seed,
                     passes=corpus.passes, iterations=corpus.iterations, eval_every=None)
    doc_topic = np.zeros((len(corpus.units), k))
    gamma, _ = model.inference(train)
    doc_topic[train_idx] = gamma
    n_train = sum(len(corpus.units[i]) for i in train_idx)
    loglik = float(model.bound(train) / n_train)
    if len(held_idx):
        held_bows = _bows(corpus, held_idx)
        gamma_h, _ = model.inference(held_bows)
        doc_topic[held_idx] = gamma_h
        # log_perplexity is gensim's per-word variational bound (natural log)
        perplexity = float(np.exp(-model.log_perplexity(held_bows)))
    else:
        perplexity = float(np.exp(-loglik))
    return Fit(k, seed, _normalise_rows(model.get_topics()), _normalise_rows(doc_topic),
               perplexity, loglik, 0.0, _gensim_bytes(model))


def _gensim_bytes(model: object) -> bytes:
    """The gensim model as one pickle (``pickle.loads`` gives the ``LdaModel`` back)."""
    return pickle.dumps(model, protocol=4)
