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
    coherence,
    deveaud_2014,
    jaccard_stability,
    recommend_k,
    top_words,
    topic_diversity,
)


def test_top_words_breaks_ties_by_vocabulary_order():
    tt = np.array([[0.2, 0.4, 0.4], [0.5, 0.25, 0.25]])
    assert top_words(tt, ["a", "b", "c"], 2) == [["b", "c"], ["a", "b"]]


def test_topic_diversity_and_stability():
    assert topic_diversity([["a", "b", "c"], ["c", "d", "e"]]) == pytest.approx(5 / 6)
    # best matches: {a,b,c}~{a,b,d} = 2/4, {x,y,z}~{x,y,z} = 1
    assert jaccard_stability([["a", "b", "c"], ["x", "y", "z"]],
                             [["x", "y", "z"], ["a", "b", "d"]]) == pytest.approx(0.75)


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


def test_recommend_k_across_seeds():
    k, reason = recommend_k({2: [0.60, 0.62], 3: [0.60, 0.70], 4: [0.50, 0.52]})
    # best mean 0.65 at k=3, SD of its seeds 0.0707 -> k=2 (0.61) is within one SD
    assert k == 2
    assert reason == ("k=2: smallest k whose mean c_v 0.6100 is within one standard deviation "
                      "(0.0707, across seeds) of the best mean c_v 0.6500 at k=3")


def test_recommend_k_one_seed_uses_sd_across_k():
    # SD of (0.40, 0.55, 0.60) = 0.1041; 0.60 - 0.1041 = 0.496 -> k=3
    k, reason = recommend_k({2: [0.40], 3: [0.55], 4: [0.60]})
    assert k == 3 and "(0.1041, across k)" in reason
    assert recommend_k({5: [0.3]})[0] == 5
    assert recommend_k({2: [float("nan")], 3: [0.2]})[0] == 3  # a NaN c_v never qualifies
    assert recommend_k({2: [float("nan")], 3: [float("nan")]})[0] == 2


def test_shared_accumulator_coherence_matches_one_model_at_a_time():
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    texts = [["a", "b", "c", "d"], ["a", "b", "e"], ["c", "d", "e", "f"], ["a", "f", "b"]]
    sets = [[["a", "b"], ["c", "d"]], [["a", "f"], ["e", "c"], ["b", "d"]]]
    shared = coherence(texts, sets)
    dictionary = Dictionary(texts)
    for topics, got in zip(sets, shared, strict=True):
        for measure in ("c_v", "c_npmi", "u_mass"):
            alone = CoherenceModel(topics=topics, texts=texts, dictionary=dictionary,
                                   coherence=measure, topn=10, processes=1).get_coherence()
            assert got[measure] == pytest.approx(alone)


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
