"""Hand-checked values of the topics stage's metrics, recommendation rule and LDAvis helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.topics.corpus import holdout_mask
from pipelines.topics.ldavis import intertopic_coordinates, jensen_shannon
from pipelines.topics.metrics import (
    arun_2010,
    cao_juan_2009,
    completion_perplexity,
    deveaud_2014,
    griffiths_2004,
    log_p_w_given_z,
    matched_stability,
    top_words,
    topic_diversity,
)


def test_top_words_breaks_ties_by_vocabulary_order():
    tt = np.array([[0.2, 0.4, 0.4], [0.5, 0.25, 0.25]])
    assert top_words(tt, ["a", "b", "c"], 2) == [["b", "c"], ["a", "b"]]


def test_topic_diversity_and_one_to_one_stability():
    assert topic_diversity([["a", "b", "c"], ["c", "d", "e"]]) == pytest.approx(5 / 6)
    # best matches: {a,b,c}~{a,b,d} = 2/4, {x,y,z}~{x,y,z} = 1
    assert matched_stability([["a", "b", "c"], ["x", "y", "z"]],
                             [["x", "y", "z"], ["a", "b", "d"]]) == pytest.approx(0.75)
    # both reference topics resemble the same other topic most; one-to-one matching pairs
    # {a,b,c} with {a,b,c} (1) and {a,b,d} with {x,y,z} (0): mean 0.5, not (1 + 0.5) / 2
    assert matched_stability([["a", "b", "c"], ["a", "b", "d"]],
                             [["a", "b", "c"], ["x", "y", "z"]]) == pytest.approx(0.5)


def test_matched_stability_equals_brute_force_over_permutations():
    from itertools import permutations

    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(12)]
    a = [list(rng.choice(words, 4, replace=False)) for _ in range(5)]
    b = [list(rng.choice(words, 4, replace=False)) for _ in range(5)]

    def jac(x, y):
        return len(set(x) & set(y)) / len(set(x) | set(y))

    best = max(sum(jac(a[i], b[p[i]]) for i in range(5)) for p in permutations(range(5)))
    assert matched_stability(a, b) == pytest.approx(best / 5)


def test_log_p_w_given_z_by_hand():
    # K=1, V=2, beta=1: p(w|z) = Γ(2)/Γ(1)^2 * Γ(n1+1)Γ(n2+1)/Γ(n+2) = n1! n2! / (n+1)!
    assert log_p_w_given_z(np.array([[2, 1]]), 1.0) == pytest.approx(math.log(2 * 1 / 24))
    # K=2: the product of the two topics' terms
    counts = np.array([[2, 1], [0, 3]])
    expected = math.log(2 / 24) + math.log(6 / 24)
    assert log_p_w_given_z(counts, 1.0) == pytest.approx(expected)


def test_log_p_w_given_z_equals_the_sequential_polya_urn():
    # p(w|z) is the probability of drawing the words one by one from each topic's Polya urn
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(3, 5))
    beta, v = 0.3, counts.shape[1]
    total = 0.0
    for row in counts:
        seen = np.zeros(v)
        for w in np.repeat(np.arange(v), row):
            total += math.log((seen[w] + beta) / (seen.sum() + v * beta))
            seen[w] += 1
    assert log_p_w_given_z(counts, beta) == pytest.approx(total)


def test_griffiths_2004_is_the_harmonic_mean_of_the_likelihoods():
    logliks = [-1000.0, -1002.0, -1001.5, -1010.0]
    # 1 / mean(1 / p) with p = exp(x), computed with exact rational powers of e in logs
    from decimal import Decimal, getcontext

    getcontext().prec = 60
    inv = sum(Decimal(-x).exp() for x in logliks) / len(logliks)
    assert griffiths_2004(logliks) == pytest.approx(float(-inv.ln()), abs=1e-9)
    # ldatuning's form: median - log(mean(exp(-x + median)))
    med = float(np.median(logliks))
    direct = med - math.log(np.mean(np.exp(-np.array(logliks) + med)))
    assert griffiths_2004(logliks) == pytest.approx(direct)


def test_completion_perplexity_equals_theta_phi_loop():
    rng = np.random.default_rng(1)
    theta = rng.dirichlet(np.ones(3), size=4)
    phi = rng.dirichlet(np.ones(6), size=3)
    docs = [rng.integers(0, 6, size=n) for n in (5, 0, 3, 7)]
    total, n = 0.0, 0
    for d, ids in enumerate(docs):
        for w in ids:
            total += math.log(sum(theta[d, k] * phi[k, w] for k in range(3)))
            n += 1
    assert completion_perplexity(theta, phi, docs) == pytest.approx(math.exp(-total / n))


def test_cao_juan_2009():
    assert cao_juan_2009(np.array([[1.0, 0.0], [0.6, 0.8]])) == pytest.approx(0.6)
    # three topics: pairs (1,2)=0, (1,3)=0.6, (2,3)=0.8 -> mean 1.4/3
    tt = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    assert cao_juan_2009(tt) == pytest.approx(1.4 / 3)


def test_deveaud_2014():
    x, y = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    kl_xy = 0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75)
    kl_yx = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert deveaud_2014(np.vstack([x, y])) == pytest.approx(0.5 * (kl_xy + kl_yx) / 2)


def test_arun_2010():
    eye = np.eye(2)
    assert arun_2010(eye, eye, np.array([2.0, 2.0])) == pytest.approx(0.0)
    # cm1 = [1, 1], cm2 = [3, 1] / 3 -> ln 3 - ln(3) / 3
    assert arun_2010(eye, eye, np.array([3.0, 1.0])) == pytest.approx(2 / 3 * math.log(3))


def test_holdout_mask_is_deterministic_by_seed():
    a, b = holdout_mask(40, 0.1, 7), holdout_mask(40, 0.1, 7)
    assert a.sum() == 4 and (a == b).all()
    assert holdout_mask(19, 0.1, 7).sum() == 0
    assert holdout_mask(40, 0.0, 7).sum() == 0


def test_jensen_shannon_and_intertopic_map():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    # m = (.25, .5, .25): 0.5*(0.5 ln 2) * 2 = 0.5 ln 2
    assert jensen_shannon(p, q) == pytest.approx(0.5 * math.log(2))
    coords = intertopic_coordinates(np.vstack([p, q]))
    assert coords.shape == (2, 2)
    assert abs(coords[0, 0] - coords[1, 0]) == pytest.approx(0.5 * math.log(2))
    assert coords[:, 1] == pytest.approx([0.0, 0.0])


def test_stability_rows_average_every_pair_of_seeds():
    from pipelines.topics.corpus import Fit
    from pipelines.topics.tables import _stability

    fits = [Fit(2, s, np.zeros((2, 1)), np.zeros((1, 2)), None, None, 0.0, b"")
            for s in range(3)]
    tops = [[["a", "b"], ["c", "d"]], [["a", "b"], ["c", "e"]], [["a", "x"], ["c", "d"]]]
    per_fit, pairs = _stability(fits, tops)
    # pairs (0,1): (1 + 1/3)/2; (0,2): (1/3 + 1)/2; (1,2): (1/3 + 1/3)/2
    p01, p02, p12 = 2 / 3, 2 / 3, 1 / 3
    assert pairs[2] == pytest.approx([p01, p02, p12])
    assert per_fit[0] == pytest.approx((p01 + p02) / 2)
    assert per_fit[1] == pytest.approx((p01 + p12) / 2)
    assert per_fit[2] == pytest.approx((p02 + p12) / 2)


def test_tomotopy_sample_counts_match_its_topic_word_distributions():
    """The counts fed to Griffiths2004 are the sampler's: φ_kw = (n_kw + β) / (n_k + Vβ)."""
    import tomotopy as tp

    from pipelines.topics.lda import _tomotopy_counts

    model = tp.LDAModel(k=2, seed=1)
    for i in range(12):
        model.add_doc(["a", "b", "c", "a"] if i % 2 else ["x", "y", "z", "y"])
    model.train(20, workers=1, parallel=tp.ParallelScheme.NONE)
    counts = _tomotopy_counts(model, 2)
    beta, v = float(model.eta), len(model.used_vocabs)
    assert counts.sum() == 48
    assert counts.sum(axis=1).tolist() == list(model.get_count_by_topics())
    for k in range(2):
        phi = (counts[k] + beta) / (counts[k].sum() + v * beta)
        assert np.asarray(model.get_topic_word_dist(k)) == pytest.approx(phi, rel=1e-5)


def test_gensim_has_no_griffiths2004_and_the_same_perplexity_estimator():
    from pipelines.topics.corpus import Corpus
    from pipelines.topics.fit import fit_task

    units = tuple(("a", "b", "c", "a") if i % 2 else ("x", "y", "z", "y") for i in range(24))
    vocab = ("a", "b", "c", "x", "y", "z")
    fits = {b: fit_task((2, 1, False), Corpus.of_words(vocab, units, "lda", b, 50, 5, 0.1, units))
            for b in ("gensim", "tomotopy")}
    assert fits["gensim"].griffiths2004 is None
    assert fits["tomotopy"].griffiths2004 is not None and fits["tomotopy"].griffiths2004 < 0
    # two clean themes: both backends' held-out perplexity is near the 3 equally likely words
    for fit in fits.values():
        assert fit.heldout == 2 and 2.0 < fit.perplexity < 4.5


def test_tomotopy_counts_equal_the_topic_of_every_token():
    """n_kw read from tomotopy's unnormalised φ equals counting each token's sampled topic."""
    import random

    import tomotopy as tp

    from pipelines.topics.lda import _tomotopy_counts

    rng = random.Random(4)
    model = tp.LDAModel(k=5, seed=3)
    words = [f"w{i}" for i in range(300)]
    for _ in range(200):  # some words occur thousands of times
        model.add_doc([rng.choice(words[: rng.choice([5, 300])]) for _ in range(120)])
    model.train(30, workers=1, parallel=tp.ParallelScheme.NONE)
    v = len(model.used_vocabs)
    expected = np.zeros((5, v))
    for doc in model.docs:
        np.add.at(expected, (np.asarray(doc.topics), np.asarray(doc.words)), 1)
    assert expected.max() > 500
    assert np.array_equal(_tomotopy_counts(model, 5), expected)
