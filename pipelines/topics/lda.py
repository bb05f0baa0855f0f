"""LDA fits for the topics stage: tomotopy (Gibbs sampling) or gensim (variational Bayes).

A fit runs single-threaded (tomotopy ``workers=1``, gensim ``LdaModel`` rather than
``LdaMulticore``) so one seed gives the same model on any machine; parallelism comes from running
several fits (different k or seed) in a process pool, see :func:`pipelines.topics.fit.fit_task`.
"""

from __future__ import annotations

import pickle

import numpy as np

from pipelines.topics.corpus import Corpus, Fit, holdout_mask, normalise_rows

__all__ = ["fit_tomotopy", "fit_gensim"]


def fit_tomotopy(corpus: Corpus, k: int, seed: int) -> Fit:
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
    return Fit(k, seed, normalise_rows(topic_term), normalise_rows(doc_topic), perplexity,
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


def fit_gensim(corpus: Corpus, k: int, seed: int) -> Fit:
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
    return Fit(k, seed, normalise_rows(model.get_topics()), normalise_rows(doc_topic),
               perplexity, loglik, 0.0, _gensim_bytes(model))


def _gensim_bytes(model: object) -> bytes:
    """The gensim model as one pickle (``pickle.loads`` gives the ``LdaModel`` back)."""
    return pickle.dumps(model, protocol=4)
