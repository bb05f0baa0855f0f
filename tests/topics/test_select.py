"""The rule that chooses k: hand cases, and a synthetic corpus of 5 known topics."""

from __future__ import annotations

import pytest

from pipelines import topics
from pipelines.topics.select import choose_k
from tests.topics.synthetic import lda_corpus


def test_agreeing_metrics_give_their_k():
    choice = choose_k({2: [0.05, 0.06], 3: [0.10, 0.11], 4: [0.12, 0.10], 5: [0.02, 0.03]},
                      {2: [0.7], 3: [0.95], 4: [0.8], 5: [0.4]})
    assert choice.k == 3 and not choice.edge
    assert choice.reason.startswith("k=3: closest to the best on both")


def test_disagreeing_metrics_give_no_clear_k():
    # coherence rises with k, stability falls: every compromise is in the worse half of one
    choice = choose_k({2: [0.0], 3: [0.1], 4: [0.2], 5: [0.3], 6: [0.4]},
                      {2: [1.0], 3: [0.9], 4: [0.7], 5: [0.65], 6: [0.6]})
    assert choice.k is None
    assert choice.reason.startswith("no clear k; see the figure: coherence is best at k=6, "
                                    "stability at k=2")


def test_edge_of_the_range_warns():
    choice = choose_k({2: [0.1, 0.1], 3: [0.2, 0.2], 4: [0.3, 0.3]},
                      {2: [0.5], 3: [0.6], 4: [0.9]})
    assert choice.k == 4 and choice.edge
    assert "edge of the range k=2..4: widen the range" in choice.reason


def test_one_seed_uses_coherence_and_says_so():
    choice = choose_k({2: [0.1], 3: [0.3], 4: [0.2]}, {2: [], 3: [], 4: []})
    assert choice.k == 3 and "stability was not measured" in choice.reason


@pytest.mark.slow
def test_synthetic_corpus_of_five_topics_gives_five():
    tables, _ = lda_corpus(n_topics=5, n_docs=150, seed=0)
    # 500 sweeps: with 200 the sampler has not converged at k=5 on every seed
    params = topics.Params(k="2..8", seeds=3, workers=0, iterations=500, max_df=1.0)
    out = topics.compute(tables, params)
    rec = out["recommendation"].to_pylist()[0]
    assert rec["k"] == 5 and not rec["edge"], rec["reason"]
    ms = out["model_selection"].to_pylist()
    assert all(r["recommended"] == (r["k"] == 5) for r in ms)
