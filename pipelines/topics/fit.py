"""One fit task, the unit of work of the topics stage's process pool."""

from __future__ import annotations

import time

import numpy as np

from pipelines.topics.coherence import bag_coherence
from pipelines.topics.corpus import Corpus, Fit
from pipelines.topics.lda import fit_gensim, fit_tomotopy
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
        if not keep:
            fit.model = b""
    elif corpus.backend == "gensim":
        fit = fit_gensim(corpus, k, seed, keep)
    else:
        fit = fit_tomotopy(corpus, k, seed, keep)
    top = np.argsort(-fit.topic_term, axis=1, kind="stable")[:, :10]
    fit.scores, _ = bag_coherence(corpus.reference(), list(top))
    fit.seconds = time.perf_counter() - started
    return fit
