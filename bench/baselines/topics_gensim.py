"""What a user writes today to choose a number of topics: a gensim LdaModel loop with
CoherenceModel, one fit per (k, seed), on paragraphs.

Plain code, as in a thesis notebook: read the token lists, make a Dictionary (same
vocabulary bounds as wenmai's defaults: in at least 2 and at most half of the units, at most
10,000 terms), fit ``LdaModel`` for every k and seed, score each with c_npmi and c_v, and
pick the k with the best mean c_npmi.

Usage: ``python bench/baselines/topics_gensim.py TOKENS.parquet KMIN KMAX SEEDS``
"""

import sys
import time
from collections import defaultdict

import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel, LdaModel

start = time.perf_counter()
tokens, k_min, k_max, seeds = sys.argv[1], *map(int, sys.argv[2:5])
rows = pd.read_parquet(tokens, columns=["doc_id", "para_id", "tokens"])
paragraphs = defaultdict(list)
for doc_id, para_id, words in zip(rows["doc_id"], rows["para_id"], rows["tokens"],
                                  strict=True):
    paragraphs[(doc_id, para_id)].extend(words)
texts = [words for words in paragraphs.values() if words]

dictionary = Dictionary(texts)
dictionary.filter_extremes(no_below=2, no_above=0.5, keep_n=10000)
corpus = [dictionary.doc2bow(text) for text in texts]
scores = defaultdict(list)
for k in range(k_min, k_max + 1):
    for seed in range(42, 42 + seeds):
        model = LdaModel(corpus, id2word=dictionary, num_topics=k, random_state=seed,
                         passes=10, iterations=200, eval_every=None)
        npmi = CoherenceModel(model=model, texts=texts, dictionary=dictionary,
                              coherence="c_npmi", topn=10).get_coherence()
        cv = CoherenceModel(model=model, texts=texts, dictionary=dictionary,
                            coherence="c_v", topn=10).get_coherence()
        scores[k].append(npmi)
        print(f"k={k} seed={seed} c_npmi={npmi:.4f} c_v={cv:.4f}", file=sys.stderr)
best = max(scores, key=lambda k: sum(scores[k]) / len(scores[k]))
print(f"best k by c_npmi: {best}", file=sys.stderr)
print(time.perf_counter() - start)
