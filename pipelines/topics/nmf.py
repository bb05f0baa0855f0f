"""NMF topic fits for the topics stage: scikit-learn ``NMF`` on TF-IDF weighted bags of words."""

from __future__ import annotations

import pickle

import numpy as np

from pipelines.topics.corpus import Corpus, Fit, normalise_rows

__all__ = ["fit_nmf", "count_matrix"]


def count_matrix(corpus: Corpus):  # -> scipy.sparse.csr_matrix
    """Units x vocabulary term counts as a sparse matrix (columns in ``corpus.vocab`` order)."""
    from scipy import sparse

    bags = corpus.bags
    rows = np.repeat(np.arange(len(bags), dtype=np.int64), bags.lengths())
    data = np.ones(len(rows), dtype=np.float64)
    matrix = sparse.csr_matrix((data, (rows, bags.ids.astype(np.int64))),
                               shape=(len(bags), len(corpus.vocab)))
    matrix.sum_duplicates()
    return matrix


def fit_nmf(corpus: Corpus, k: int, seed: int) -> Fit:
    """Factorise the TF-IDF matrix into k topics.

    ``init="nndsvdar"`` starts from the SVD and fills its zeros with small random values drawn
    by ``seed``, so different seeds give (slightly) different models and stability means
    something. Topic rows and document rows are scaled to sum 1 so they read like LDA's
    distributions. Perplexity and log-likelihood do not exist for NMF (None).

    Args:
        corpus: The shared corpus.
        k: Number of topics.
        seed: ``random_state`` of the initialisation.

    Returns:
        The fit; ``model`` is a pickle of the fitted ``TfidfTransformer`` and ``NMF``.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    tfidf = TfidfTransformer()
    weights = tfidf.fit_transform(count_matrix(corpus))
    model = NMF(n_components=k, init="nndsvdar", random_state=seed, max_iter=corpus.iterations)
    doc_topic = model.fit_transform(weights)
    return Fit(k, seed, normalise_rows(model.components_), normalise_rows(doc_topic), None,
               None, 0.0, pickle.dumps({"tfidf": tfidf, "nmf": model}, protocol=4))
