"""One fit task, the unit of work of the topics stage's process pool."""

from __future__ import annotations

import time

from pipelines.topics.coherence import coherence_scores
from pipelines.topics.corpus import Corpus, Fit
from pipelines.topics.lda import fit_gensim, fit_tomotopy
from pipelines.topics.metrics import top_words
from pipelines.topics.nmf import fit_nmf

__all__ = ["fit_task"]


def fit_task(task: tuple[int, int, bool], corpus: Corpus) -> Fit:
    """Fit one model; a module-level function so a process pool can run it.

    Args:
        task: ``(k, seed, keep_model)``; ``keep_model`` serialises the model into ``Fit.model``.
        corpus: The shared corpus and fit settings.

    Returns:
        The fit reduced to arrays, with its coherence scored here (in the worker).
    """
    k, seed, keep = task
    started = time.perf_counter()
    if corpus.method == "nmf":
        fit = fit_nmf(corpus, k, seed)
    elif corpus.backend == "gensim":
        fit = fit_gensim(corpus, k, seed)
    else:
        fit = fit_tomotopy(corpus, k, seed)
    fit.scores, _ = coherence_scores(corpus.texts or corpus.units,
                                     top_words(fit.topic_term, corpus.vocab, 10))
    fit.seconds = time.perf_counter() - started
    if not keep:
        fit.model = b""
    return fit
