"""LDA fits for the topics stage: tomotopy (Gibbs sampling) or gensim (variational Bayes).

A fit runs single-threaded (tomotopy ``workers=1``, gensim ``LdaModel`` rather than
``LdaMulticore``) so one seed gives the same model on any machine; parallelism comes from running
several fits (different k or seed) in a process pool, see :func:`pipelines.topics.fit.fit_task`.

Perplexity, the same estimator for both backends (Wallach, Murray, Salakhutdinov & Mimno 2009,
"document completion" with the plug-in θ): each held-out unit's words at even positions are
shown to the model, which infers θ_d from them (tomotopy ``infer``, gensim ``inference``); the
words at odd positions are scored with log Σ_k θ_dk φ_kw, and perplexity = exp(−Σ / N) over
them. Held-out words whose term occurs in no training unit are left out of both halves (a
trained model has no φ for them). With nothing held out (``holdout`` 0, or fewer than 20 units)
the same formula is applied in-sample to every training word with the fitted θ.

Griffiths2004 (tomotopy only): the chain runs ``iterations // 2`` sweeps of burn-in, then the
rest in ten equal steps (``keep``); after each step log p(w | z) is computed from the sampler's
topic-word counts (:func:`~pipelines.topics.metrics.log_p_w_given_z`, β = tomotopy's ``eta``),
and the harmonic mean of these samples is the metric, as ldatuning does with topicmodels'
``keep``. gensim has no Gibbs chain and so no Griffiths2004 (the column is null); its
``loglik`` is the variational lower bound per word (``bound``), a different quantity.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import numpy as np

from pipelines.topics.corpus import Corpus, Fit, holdout_mask, normalise_rows
from pipelines.topics.metrics import completion_perplexity, griffiths_2004, log_p_w_given_z

__all__ = ["fit_tomotopy", "fit_gensim", "completion_split", "bow", "GRIFFITHS_SAMPLES"]

GRIFFITHS_SAMPLES = 10


def completion_split(corpus: Corpus, held_idx: np.ndarray, train_idx: np.ndarray
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each held-out unit: the observed half (even positions) and the scored half (odd),
    as vocabulary columns.

    Terms that no training unit contains are dropped first; units left with fewer than two
    words (nothing to score) are skipped.
    """
    bags = corpus.bags
    seen = np.zeros(len(corpus.vocab), dtype=bool)
    if len(train_idx):
        seen[bags.take(train_idx).ids] = True
    shown, scored = [], []
    for i in held_idx:
        unit = bags[i]
        words = unit[seen[unit]].astype(np.int64)
        if len(words) < 2:
            continue
        shown.append(words[0::2])
        scored.append(words[1::2])
    return shown, scored


def _in_sample(corpus: Corpus, train_idx: np.ndarray) -> list[np.ndarray]:
    return [corpus.bags[i].astype(np.int64) for i in train_idx]


def _tomotopy_counts(model: object, k: int) -> np.ndarray:
    """The sampler's current topic-word counts n_kw (k x used vocabulary).

    tomotopy gives n_kw + η as float32 (``normalize=False``); rounding after taking η off
    gives n_kw exactly while a count is below 2**23 (the float32 spacing there is 1).
    """
    eta = np.float32(model.eta)
    counts = np.empty((k, len(model.used_vocabs)))
    for t in range(k):
        counts[t] = np.rint(np.asarray(model.get_topic_word_dist(t, normalize=False),
                                       dtype=np.float32) - eta)
    return counts


def fit_tomotopy(corpus: Corpus, k: int, seed: int, keep: bool = True) -> Fit:
    """LDA by collapsed Gibbs sampling in tomotopy (alpha 0.1 optimised, eta 0.01).

    ``keep`` serialises the model into ``Fit.model`` (else it is empty).
    """
    import tomotopy as tp

    bags = corpus.bags
    words = np.asarray(corpus.vocab, dtype=object)
    held = holdout_mask(len(bags), corpus.holdout, seed)
    model = tp.LDAModel(k=k, seed=seed)
    train_idx = np.flatnonzero(~held)
    for i in train_idx:
        model.add_doc(words[bags[i]].tolist())
    once = {"workers": 1, "parallel": tp.ParallelScheme.NONE}
    burn = corpus.iterations // 2
    rest = corpus.iterations - burn
    keep = max(1, rest // GRIFFITHS_SAMPLES)
    if burn:
        model.train(iterations=burn, **once)
    logliks, done = [], 0
    while done < rest:
        step = min(keep, rest - done)
        model.train(iterations=step, **once)
        done += step
        if step == keep:
            logliks.append(log_p_w_given_z(_tomotopy_counts(model, k), float(model.eta)))
    # tomotopy numbers words by first sight; map its columns onto the sorted vocabulary
    col = {w: j for j, w in enumerate(corpus.vocab)}
    order = np.array([col[w] for w in model.used_vocabs])
    topic_term = np.zeros((k, len(corpus.vocab)))
    for t in range(k):
        topic_term[t, order] = model.get_topic_word_dist(t)
    topic_term = normalise_rows(topic_term)
    doc_topic = np.zeros((len(bags), k))
    # iterate: indexing model.docs[i] raises IndexError for i > 0 in tomotopy 0.14
    for i, doc in zip(train_idx, model.docs, strict=True):
        doc_topic[i] = doc.get_topic_dist()
    held_idx = np.flatnonzero(held)
    if len(held_idx):
        docs = [model.make_doc(words[bags[i]].tolist()) for i in held_idx]
        dists, _ = model.infer(docs, iterations=corpus.iterations, **once)
        for i, dist in zip(held_idx, dists, strict=True):
            doc_topic[i] = dist
        shown, scored = completion_split(corpus, held_idx, train_idx)
        halves = [model.make_doc(words[half].tolist()) for half in shown]
        theta, _ = model.infer(halves, iterations=corpus.iterations, **once)
        theta = normalise_rows(np.array([np.asarray(t) for t in theta]))
        perplexity = completion_perplexity(theta, topic_term, scored)
    else:
        perplexity = completion_perplexity(doc_topic[train_idx], topic_term,
                                           _in_sample(corpus, train_idx))
    return Fit(k, seed, topic_term, normalise_rows(doc_topic), perplexity,
               float(model.ll_per_word), 0.0, _tomotopy_bytes(model) if keep else b"",
               griffiths2004=griffiths_2004(logliks) if logliks else None,
               heldout=len(held_idx))


def _tomotopy_bytes(model: object) -> bytes:
    """``model.saves(full=True)``, the same bytes, by way of a temporary file: ``saves``
    builds them in a growing buffer and copies it (about four times the model's size at the
    peak, measured), ``save`` streams them to the file and reading it back holds them once."""
    with tempfile.TemporaryDirectory(prefix="wenmai-lda-") as folder:
        path = Path(folder) / "model.bin"
        model.save(str(path), full=True)
        return path.read_bytes()


def _bows(corpus: Corpus, idx: np.ndarray) -> list[list[tuple[int, int]]]:
    """gensim bags of words (a list, so gensim can pass over it several times)."""
    return [bow(corpus.bags[i]) for i in idx]


def bow(ids: np.ndarray) -> list[tuple[int, int]]:
    """(term, count) pairs by term."""
    terms, counts = np.unique(ids, return_counts=True)
    return list(zip(terms.tolist(), counts.tolist(), strict=True))


def fit_gensim(corpus: Corpus, k: int, seed: int, keep: bool = True) -> Fit:
    """LDA by online variational Bayes in gensim ``LdaModel`` (the reference backend)."""
    from gensim.models import LdaModel

    held = holdout_mask(len(corpus.bags), corpus.holdout, seed)
    train_idx = np.flatnonzero(~held)
    held_idx = np.flatnonzero(held)
    train = _bows(corpus, train_idx)
    id2word = dict(enumerate(corpus.vocab))
    model = LdaModel(train, id2word=id2word, num_topics=k, random_state=seed,
                     passes=corpus.passes, iterations=corpus.iterations, eval_every=None)
    topic_term = normalise_rows(model.get_topics())
    doc_topic = np.zeros((len(corpus.bags), k))
    gamma, _ = model.inference(train)
    doc_topic[train_idx] = gamma
    n_train = int(corpus.bags.lengths()[train_idx].sum())
    loglik = float(model.bound(train) / n_train)
    if len(held_idx):
        gamma_h, _ = model.inference(_bows(corpus, held_idx))
        doc_topic[held_idx] = gamma_h
        shown, scored = completion_split(corpus, held_idx, train_idx)
        gamma_c, _ = model.inference([bow(half) for half in shown])
        perplexity = completion_perplexity(normalise_rows(gamma_c), topic_term, scored)
    else:
        perplexity = completion_perplexity(normalise_rows(doc_topic[train_idx]), topic_term,
                                           _in_sample(corpus, train_idx))
    return Fit(k, seed, topic_term, normalise_rows(doc_topic), perplexity, loglik, 0.0,
               _gensim_bytes(model) if keep else b"", griffiths2004=None,
               heldout=len(held_idx))


def _gensim_bytes(model: object) -> bytes:
    """The gensim model as one pickle (``pickle.loads`` gives the ``LdaModel`` back)."""
    return pickle.dumps(model, protocol=4)
