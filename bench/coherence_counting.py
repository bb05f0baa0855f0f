"""How much correct window counting moves coherence against gensim's counting on a real corpus.

Usage (after `wenmai ingest`, `segment` and `topics` on a work folder, document units):

    PYTHONPATH=. python bench/coherence_counting.py WORKDIR [K ...]

For each k (default 2 3 5 8) it scores the first seed's top-10 words of every topic with
wenmai's counting (pipelines/topics/coherence.py) and with gensim's CoherenceModel (whose
sliding window forgets a repeated word when its first copy leaves the window) on the same
texts, and prints both and the difference. Not a speed benchmark.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

import pyarrow.parquet as pq


def main() -> None:
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    from pipelines.topics.coherence import coherence_scores

    work = sys.argv[1]
    ks = [int(k) for k in sys.argv[2:]] or [2, 3, 5, 8]
    units: OrderedDict[str, list[str]] = OrderedDict()
    for r in pq.read_table(f"{work}/segment/tokens.parquet").to_pylist():
        units.setdefault(r["doc_id"], []).extend(t for t in r["tokens"] if t)
    texts = list(units.values())
    terms = pq.read_table(f"{work}/topics/topic_terms.parquet").to_pylist()
    dictionary = Dictionary(texts)
    for k in ks:
        topics = [[r["term"] for r in sorted((x for x in terms if x["k"] == k and x["topic"] == t),
                                             key=lambda x: x["rank"])[:10]] for t in range(k)]
        own, _ = coherence_scores(texts, topics)
        for measure in ("c_v", "c_npmi"):
            g = CoherenceModel(topics=topics, texts=texts, dictionary=dictionary,
                               coherence=measure, topn=10, processes=1).get_coherence()
            print(f"k={k} {measure}: wenmai {own[measure]:.4f}  gensim {g:.4f}  "
                  f"difference {own[measure] - g:+.4f}")


if __name__ == "__main__":
    main()
