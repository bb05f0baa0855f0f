"""topic_effects on a synthetic corpus with a known trend; alignment across k; labels; --lang."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines import topics
from pipelines.topics.align import alignment_rows
from pipelines.topics.effects import group_effects, year_effects
from tests.topics.synthetic import lda_corpus

YEARS = np.repeat(np.arange(2000, 2020), 10)  # 200 documents, 10 a year


def _true_share(years: np.ndarray) -> np.ndarray:
    """Topic 0's share rises linearly from 0.1 in 2000 to 0.7 in 2019."""
    return 0.1 + 0.6 * (years - 2000) / 19


def test_year_effects_recover_a_known_trend_from_noisy_shares():
    rng = np.random.default_rng(0)
    share = np.clip(_true_share(YEARS) + rng.normal(0, 0.1, len(YEARS)), 0, 1)
    theta = np.column_stack([share, 1 - share])
    grid, est, lo, hi = year_effects(YEARS, theta, df=5, n_boot=200, seed=1)
    assert grid.tolist() == list(range(2000, 2020))
    truth = _true_share(grid)
    assert np.abs(est[:, 0] - truth).max() < 0.06
    assert ((lo[:, 0] <= truth) & (truth <= hi[:, 0])).mean() >= 0.9
    assert (lo <= est).all() and (est <= hi).all()
    np.testing.assert_allclose(est.sum(axis=1), 1.0)  # shares of a linear fit still add up


def test_year_effects_with_one_basis_function_are_the_mean():
    theta = np.array([[0.2, 0.8], [0.4, 0.6], [0.9, 0.1]])
    _, est, _, _ = year_effects([2001, 2002, 2003], theta, df=1, n_boot=10)
    np.testing.assert_allclose(est, np.tile(theta.mean(axis=0), (3, 1)))


def test_group_effects_are_group_means_with_bootstrap_intervals():
    theta = np.array([[0.2, 0.8], [0.4, 0.6], [0.9, 0.1], [0.7, 0.3]])
    names, est, lo, hi, n = group_effects(["a", "a", "b", "b"], theta, n_boot=500, seed=0)
    assert names == ["a", "b"] and n.tolist() == [2, 2]
    np.testing.assert_allclose(est, [[0.3, 0.7], [0.8, 0.2]])
    # the bootstrap means of two documents lie between their two values
    assert lo[0, 0] >= 0.2 - 1e-12 and hi[0, 0] <= 0.4 + 1e-12


@pytest.mark.slow
def test_topic_effects_of_a_fitted_model_follow_the_trend():
    share = _true_share(YEARS)
    tables, _ = lda_corpus(n_topics=2, length=80, seed=3, years=YEARS.tolist(),
                           shares=np.column_stack([share, 1 - share]))
    out = topics.compute(tables, topics.Params(k="2", seeds=1, workers=1, iterations=300,
                                               max_df=1.0, by="group"))
    terms = out["topic_terms"].to_pylist()
    # the fitted topic whose top word is topic 0's commonest word is the rising one
    rising = next(r["topic"] for r in terms if r["rank"] == 1 and r["term"] == "t0w00")
    rows = [r for r in out["topic_effects"].to_pylist()
            if r["covariate"] == "year" and r["topic"] == rising]
    est = np.array([r["share"] for r in rows])
    truth = _true_share(np.array([r["x"] for r in rows]))
    assert np.abs(est - truth).max() < 0.1
    assert {r["covariate"] for r in out["topic_effects"].to_pylist()} == {"year", "group"}


def test_alignment_parents_follow_the_most_similar_topic():
    a = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    b = np.array([[0.9, 0.1, 0.0, 0.0], [0.1, 0.9, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    rows = alignment_rows([(2, a, np.array([0.5, 0.5])), (3, b, np.array([0.3, 0.2, 0.5]))])
    assert len(rows) == 6
    parents = {(r["topic_from"], r["topic_to"]) for r in rows if r["parent"]}
    assert parents == {(0, 0), (0, 1), (1, 2)}
    cos = a[0] @ b[0] / (np.linalg.norm(a[0]) * np.linalg.norm(b[0]))
    assert rows[0]["similarity"] == pytest.approx(cos)


def test_lang_keeps_one_script_and_a_split_is_reported():
    import pyarrow as pa

    tables, _ = lda_corpus(n_topics=2, n_docs=40, seed=0)
    rows = tables["segment/tokens"].to_pylist()
    zh = ["教育", "学校", "教师", "学生", "课程", "教学", "培训", "职业"]
    for i, r in enumerate(rows):  # every other document becomes Chinese
        if i % 2:
            # t0w.. -> the first four words, t1w.. -> the last four: same topics, in Chinese
            r["tokens"] = [zh[int(t[1]) * 4 + int(t[-2:]) % 4] for t in r["tokens"]]
    tokens = pa.Table.from_pylist(rows, schema=tables["segment/tokens"].schema)
    mixed = {**tables, "segment/tokens": tokens}
    out = topics.compute(mixed, topics.Params(k="2", seeds=1, workers=1, iterations=100,
                                              max_df=1.0))
    split = out["recommendation"].column("language_split")[0].as_py()
    assert split and "split by language" in split
    assert set(out["topic_terms"].column("topic_lang").to_pylist()) == {"zh", "en"}
    only_zh = topics.compute(mixed, topics.Params(k="2", seeds=1, workers=1, iterations=100,
                                                  max_df=1.0, lang="zh"))
    assert all(t in zh for t in only_zh["topic_terms"].column("term").to_pylist())
    assert only_zh["recommendation"].column("language_split")[0].as_py() is None


def test_labels_file_relabels_without_changing_the_model(tmp_path):
    tables, _ = lda_corpus(n_topics=2, n_docs=40, seed=0)
    p = topics.Params(k="2", seeds=1, workers=1, iterations=50, max_df=1.0)
    plain = topics.compute(tables, p)
    path = tmp_path / "labels.tsv"
    path.write_text("1\tMy topic\n", encoding="utf-8")
    named = topics.compute(tables, topics.Params(**{**p.__dict__, "labels": str(path)}))
    assert named["doc_topics"].drop_columns(["label"]).equals(
        plain["doc_topics"].drop_columns(["label"]))
    labels = {r["topic"]: r["label"] for r in named["topic_terms"].to_pylist()}
    auto = {r["topic"]: r["label"] for r in plain["topic_terms"].to_pylist()}
    assert labels == {0: auto[0], 1: "My topic"}


def test_relabel_equals_a_full_run_with_the_labels(tmp_path):
    tables, _ = lda_corpus(n_topics=2, n_docs=40, seed=0)
    p = topics.Params(k="2..3", seeds=2, workers=1, iterations=50, max_df=1.0)
    path = tmp_path / "labels.tsv"
    path.write_text("0\t<!--<script>教育\n", encoding="utf-8")  # markup survives the page
    labelled = topics.Params(**{**p.__dict__, "labels": str(path)})
    full = topics.compute(tables, labelled)
    relabelled = topics.relabel(topics.compute(tables, p), labelled)
    assert sorted(full) == sorted(relabelled)
    for name, value in full.items():
        other = relabelled[name]
        if name == "model_selection":
            value, other = value.drop_columns(["seconds"]), other.drop_columns(["seconds"])
        assert value == other, name
    # and back: no labels file restores the automatic labels
    plain = topics.compute(tables, p)
    back = topics.relabel(full, p)
    assert back["topic_terms"].equals(plain["topic_terms"])


def test_runner_relabels_without_refitting(tmp_path, monkeypatch):
    from pipelines.core import store
    from pipelines.core.runner import run_stage

    tables, _ = lda_corpus(n_topics=2, n_docs=40, seed=0)
    work = tmp_path / "work"
    for name, table in tables.items():
        store.write_outputs(work, name.split("/")[0], {name.split("/")[1]: table})
    p = topics.Params(k="2", seeds=1, workers=1, iterations=50, max_df=1.0)
    first = run_stage(topics, work, p)
    model = (work / "topics" / "lda_k2.bin").read_bytes()

    def no_fit(*_a, **_k):
        raise AssertionError("compute must not run when only the labels change")

    monkeypatch.setattr(topics, "compute", no_fit)
    path = tmp_path / "labels.tsv"
    path.write_text("1\tSecond\n", encoding="utf-8")
    second = run_stage(topics, work, topics.Params(**{**p.__dict__, "labels": str(path)}))
    assert first.ran and second.reasons == ["relabel"]
    labels = store.read_table(work, "topics/topic_terms").column("label").to_pylist()
    assert "Second" in labels
    assert (work / "topics" / "lda_k2.bin").read_bytes() == model
    path.write_text("1\tThird\n", encoding="utf-8")  # editing the file relabels again
    assert run_stage(topics, work, topics.Params(**{**p.__dict__, "labels": str(path)}
                                                 )).reasons == ["relabel"]
    assert "Third" in store.read_table(work, "topics/doc_topics").column("label").to_pylist()
    state = run_stage(topics, work, topics.Params(**{**p.__dict__, "labels": str(path)}))
    assert not state.ran  # fresh now
    with pytest.raises(AssertionError, match="must not run"):  # other params still refit
        run_stage(topics, work, topics.Params(**{**p.__dict__, "iterations": 60}))


def test_labels_describe_the_first_seed_model():
    tables, _ = lda_corpus(n_topics=3, n_docs=60, seed=2)
    p = topics.Params(k="2..3", seeds=1, workers=1, iterations=50, max_df=1.0)
    one = topics.compute(tables, p)
    three = topics.compute(tables, topics.Params(**{**p.__dict__, "seeds": 3}))
    # the tables describe seed 42's model whatever the number of seeds; so do the labels
    assert one["topic_terms"].equals(three["topic_terms"])


def test_year_effects_stay_shares_across_a_gap_and_match_a_direct_fit():
    """A topic near 0 then near 1, with no documents 2010-2014: a linear spline overshoots
    [0, 1] there (issue 24); the fractional logit, its band too, stays inside, and equals the
    maximum of the quasi-likelihood found by a general optimiser."""
    from scipy.optimize import minimize

    from pipelines.topics.effects import _design, fractional_logit

    rng = np.random.default_rng(3)
    years = np.concatenate([np.repeat(np.arange(2000, 2010), 3), np.repeat([2015, 2016], 6)])
    share = np.where(years < 2010, 0.02, 0.97) + rng.normal(0, 0.01, len(years))
    share = np.clip(share, 0.001, 0.999)
    theta = np.column_stack([share, 1 - share])
    basis, _ = _design(years.astype(float), 5)
    linear = basis(np.arange(2000, 2017.0)) @ np.linalg.lstsq(basis(years.astype(float)), theta,
                                                              rcond=None)[0]
    assert linear.max() > 1 or linear.min() < 0  # the old fit leaves [0, 1] on this corpus
    grid, est, lo, hi = year_effects(years, theta, df=5, n_boot=100, seed=0)
    assert grid.tolist() == list(range(2000, 2017))
    for arr in (est, lo, hi):
        assert (arr >= 0).all() and (arr <= 1).all()

    design = basis(years.astype(float))

    def negll(b: np.ndarray) -> float:
        mu = np.clip(1 / (1 + np.exp(-(design @ b))), 1e-12, 1 - 1e-12)
        return -float(np.sum(share * np.log(mu) + (1 - share) * np.log(1 - mu)))

    direct = minimize(negll, np.zeros(design.shape[1]), method="BFGS",
                      options={"gtol": 1e-10, "maxiter": 10000}).x
    mine = fractional_logit(design, share[:, None])[:, 0]
    at = basis(years.astype(float))
    np.testing.assert_allclose(1 / (1 + np.exp(-(at @ mine))),
                               1 / (1 + np.exp(-(at @ direct))), atol=2e-3)
