"""Coherence: equal to gensim where gensim counts right, equal to a hand count where it does not."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pipelines.topics.coherence import EPSILON, coherence_scores, window_counts


def _gensim(texts, topics, measure):
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    return CoherenceModel(topics=topics, texts=texts, dictionary=Dictionary(texts),
                          coherence=measure, topn=10, processes=1).get_coherence()


@pytest.mark.parametrize("length", [(3, 40), (120, 300)])
def test_equals_gensim_on_texts_without_repeated_words(length):
    # (120, 300): every text is longer than c_v's window of 110, so windows slide
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(400)]
    texts = [rng.sample(vocab, rng.randint(*length)) for _ in range(40)]
    present = sorted({w for t in texts for w in t})  # top words of a model always occur
    topics = [rng.sample(present[:60], 10) for _ in range(4)]
    means, per_topic = coherence_scores(texts, topics)
    for measure in ("c_v", "c_npmi", "u_mass"):
        assert means[measure] == pytest.approx(_gensim(texts, topics, measure), abs=1e-12)
        assert len(per_topic[measure]) == 4


def test_window_counts_by_hand_with_repeated_words():
    # windows of 3 over a b a c b: [a b a] [b a c] [a c b]
    text = ["a", "b", "a", "c", "b"]
    occ, co, n = window_counts([text], ["a", "b", "c"], 3)
    assert n == 3
    assert occ.tolist() == [3, 3, 2]  # a in all three, b in all three, c in two
    assert co[0, 1] == 3 and co[0, 2] == 2 and co[1, 2] == 2
    assert np.diag(co).tolist() == occ.tolist()


def test_gensim_4_4_forgets_a_repeated_word_that_leaves_the_window():
    """The bug that makes wenmai count windows itself: gensim's count of a differs."""
    from gensim.corpora import Dictionary
    from gensim.topic_coherence.text_analysis import WordOccurrenceAccumulator

    text = ["a", "b", "a", "c", "b"]
    d = Dictionary([text])
    ids = {d.token2id[w] for w in "abc"}
    acc = WordOccurrenceAccumulator(ids, d).accumulate([text], 3)
    gensim_a = acc[d.token2id["a"]]
    occ, _, _ = window_counts([text], ["a", "b", "c"], 3)
    # the first a leaves with window 2, which still holds the second a, and gensim
    # never sets it again: it counts 1 window of 3
    if gensim_a == occ[0]:
        pytest.skip("this gensim counts repeated words correctly; drop the own counting?")
    assert (gensim_a, occ[0]) == (1, 3)


def test_c_npmi_and_u_mass_by_hand():
    texts = [["a", "b", "x"], ["a", "y", "z"], ["b", "a"], ["c"]]
    # every text is shorter than 10: one window each, N = 4; a:3 b:2 ab:2
    means, _ = coherence_scores(texts, [["a", "b"]])
    p_ab, p_a, p_b = 2 / 4, 3 / 4, 2 / 4
    npmi = (math.log(p_ab + EPSILON) - math.log(p_a * p_b)) / -math.log(p_ab + EPSILON)
    assert means["c_npmi"] == pytest.approx(npmi)
    # u_mass: one pair (b, a): log((D(b,a)/N + eps) / (D(a)/N))
    assert means["u_mass"] == pytest.approx(math.log((2 / 4 + EPSILON) / (3 / 4)))


def test_c_v_by_hand():
    texts = [["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]
    means, _ = coherence_scores(texts, [["a", "b", "c"]])
    n = 4
    occ = {"a": 3, "b": 3, "c": 3}
    co = {("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 2}

    def npmi(x, y):
        c = occ[x] if x == y else co[tuple(sorted((x, y)))]
        joint = c / n + EPSILON
        return (math.log(joint) - math.log(occ[x] / n * occ[y] / n)) / -math.log(joint)

    words = ["a", "b", "c"]
    vec = {w: [npmi(w, v) for v in words] for w in words}
    total = [sum(vec[w][j] for w in words) for j in range(3)]
    cos = [np.dot(vec[w], total) / (np.linalg.norm(vec[w]) * np.linalg.norm(total))
           for w in words]
    assert means["c_v"] == pytest.approx(float(np.mean(cos)))


def _brute_counts(texts, words, window):
    """Enumerate every window of every text and test membership directly."""
    r = len(words)
    occ, co, n = np.zeros(r), np.zeros((r, r)), 0
    for text in texts:
        if window is None or len(text) <= window:
            spans = [text]
        else:
            spans = [text[s:s + window] for s in range(len(text) - window + 1)]
        for span in spans:
            n += 1
            inside = [i for i, w in enumerate(words) if w in span]
            for i in inside:
                occ[i] += 1
                for j in inside:
                    co[i, j] += 1
    return occ, co, n


@pytest.mark.parametrize("window", [None, 1, 3, 10])
@pytest.mark.parametrize("chunk", [None, 7])
def test_window_counts_equal_every_window_enumerated(window, chunk, monkeypatch):
    # repeated words, empty and short texts; chunk=7 cuts the units into many count chunks
    from pipelines.topics import coherence

    if chunk:
        monkeypatch.setattr(coherence, "CHUNK", chunk)
    rng = random.Random(window or 0)
    texts = [[rng.choice("abcdefgh") for _ in range(rng.randint(0, 25))] for _ in range(30)]
    words = ["a", "c", "d", "h"]
    occ, co, n = window_counts(texts, words, window)
    b_occ, b_co, b_n = _brute_counts(texts, words, window)
    assert n == b_n
    assert occ.tolist() == b_occ.tolist()
    assert co.tolist() == b_co.tolist()
