"""Synthetic corpora drawn from known topics, for tests of the choice of k and of effects."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TOKENS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
    ("tokens", pa.list_(pa.string())), ("pos", pa.list_(pa.string())), ("lang", pa.string())])
DOCS_SCHEMA = pa.schema([("doc_id", pa.string()), ("title", pa.string()), ("year", pa.int32()),
                         ("group", pa.string())])


def topic_words(n_topics: int, per_topic: int) -> list[list[str]]:
    """Disjoint word lists, one per topic: t0w00, t0w01, ..."""
    return [[f"t{t}w{i:02d}" for i in range(per_topic)] for t in range(n_topics)]


def lda_corpus(n_topics: int = 5, n_docs: int = 150, length: int = 60, per_topic: int = 20,
               alpha: float = 0.2, seed: int = 0, shares: np.ndarray | None = None,
               years: list[int] | None = None) -> tuple[dict[str, pa.Table], np.ndarray]:
    """Documents drawn by LDA's generative story from ``n_topics`` known topics.

    Each topic puts Zipf-like weight on its own ``per_topic`` words. ``shares`` (documents x
    topics) fixes each document's topic mixture instead of drawing it from Dirichlet(alpha).

    Returns:
        The ``segment/tokens`` and ``ingest/documents`` tables, and the true mixtures.
    """
    rng = np.random.default_rng(seed)
    words = topic_words(n_topics, per_topic)
    zipf = 1.0 / np.arange(1, per_topic + 1)
    zipf /= zipf.sum()
    theta = shares if shares is not None else rng.dirichlet([alpha] * n_topics, size=n_docs)
    rows, docs = [], []
    for d in range(len(theta)):
        z = rng.choice(n_topics, size=length, p=theta[d])
        toks = [words[t][rng.choice(per_topic, p=zipf)] for t in z]
        rows.append({"doc_id": f"d{d:04d}", "para_id": 0, "sent_id": 0, "tokens": toks,
                     "pos": ["n"] * length, "lang": "en"})
        docs.append({"doc_id": f"d{d:04d}", "title": f"doc {d}",
                     "year": years[d] if years else None, "group": "ab"[d % 2]})
    return ({"segment/tokens": pa.Table.from_pylist(rows, schema=TOKENS_SCHEMA),
             "ingest/documents": pa.Table.from_pylist(docs, schema=DOCS_SCHEMA)}, theta)
