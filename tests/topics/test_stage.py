"""Tests of the topics stage on a tiny two-theme corpus (education vs poverty relief)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines import topics
from pipelines.core.errors import BadInputFile, BadParams, EmptyCorpus

EDU = ["教育", "学校", "教师", "学生", "课程", "教学"]
POV = ["扶贫", "农村", "产业", "收入", "脱贫", "农民"]
N_PER_THEME = 8


def _corpus(n: int = N_PER_THEME) -> dict[str, pa.Table]:
    """2n documents, n per theme; each has two one-sentence paragraphs of 4 theme words plus
    "政策" (in every document, so max_df drops it)."""
    rows, docs = [], []
    for theme, words in enumerate((EDU, POV)):
        for i in range(n):
            doc_id = f"{'ep'[theme]}{i:02d}"
            picked = [words[(i + j) % 6] for j in range(4)]
            for para in range(2):
                toks = picked + ["政策"] + picked[para * 2:para * 2 + 2]
                rows.append({"doc_id": doc_id, "para_id": para, "sent_id": para,
                             "tokens": toks, "pos": ["n"] * len(toks), "lang": "zh"})
            docs.append({"doc_id": doc_id, "title": f"{'教育' if theme == 0 else '扶贫'}文件{i}",
                         "year": 2018 + i % 2 if theme == 0 else None,
                         "region": ["east", "west"][i % 2]})
    tokens = pa.Table.from_pylist(rows, schema=pa.schema([
        ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
        ("tokens", pa.list_(pa.string())), ("pos", pa.list_(pa.string())),
        ("lang", pa.string())]))
    documents = pa.Table.from_pylist(docs, schema=pa.schema([
        ("doc_id", pa.string()), ("title", pa.string()), ("year", pa.int32()),
        ("region", pa.string())]))
    return {"segment/tokens": tokens, "ingest/documents": documents}


def _params(**kw) -> topics.Params:
    return topics.Params(**{"k": "2..3", "workers": 1, "iterations": 100, "seeds": 1, **kw})


def _separates(terms: pa.Table, k: int = 2) -> bool:
    """Each topic's top-4 words all come from one theme, and the two topics differ."""
    themes = []
    for t in range(k):
        rows = [r for r in terms.to_pylist() if r["k"] == k and r["topic"] == t and r["rank"] <= 4]
        words = {r["term"] for r in rows}
        if words <= set(EDU):
            themes.append("edu")
        elif words <= set(POV):
            themes.append("pov")
        else:
            return False
    return sorted(themes) == ["edu", "pov"]


@pytest.mark.parametrize(("method", "backend"),
                         [("lda", "tomotopy"), ("lda", "gensim"), ("nmf", "tomotopy")])
def test_k2_separates_the_two_themes(method, backend):
    out = topics.compute(_corpus(), _params(method=method, backend=backend, k="2"))
    assert _separates(out["topic_terms"])
    dt = out["doc_topics"].to_pylist()
    # every education document leans to one topic, every poverty document to the other
    main = {}
    for doc in {r["doc_id"] for r in dt}:
        weights = sorted((r["weight"], r["topic"]) for r in dt if r["doc_id"] == doc)
        main[doc] = weights[-1][1]
    assert len({main[d] for d in main if d.startswith("e")}) == 1
    assert len({main[d] for d in main if d.startswith("p")}) == 1
    assert main["e00"] != main["p00"]


def test_table_shapes_and_columns():
    out = topics.compute(_corpus(), _params())
    ms = out["model_selection"]
    assert ms.num_rows == 2
    assert ms.column("k").to_pylist() == [2, 3]
    assert ms.column("method").to_pylist() == ["lda", "lda"]
    assert sum(ms.column("recommended").to_pylist()) == 1
    # 16 documents, 12 kept terms (政策 is in every document, above max_df=0.5)
    assert out["topic_terms"].num_rows == (2 + 3) * 12
    assert out["doc_topics"].num_rows == 16 * (2 + 3)
    assert out["doc_topics"].column("para_id").null_count == 16 * 5
    assert out["representative_docs"].num_rows == (2 + 3) * 5
    # only education documents carry a year: 2018 and 2019, for each k and topic
    assert out["topic_trends"].num_rows == 2 * (2 + 3)
    assert set(out["topic_trends"].column("n_docs").to_pylist()) == {4}
    assert out["topic_by_group"].num_rows == 0
    rec = out["recommendation"].to_pylist()
    assert len(rec) == 1 and rec[0]["reason"].startswith(f"k={rec[0]['k']}: best mean c_npmi")
    assert "stability was not measured" in rec[0]["reason"]
    k = rec[0]["k"]
    assert isinstance(out[f"lda_k{k}.bin"], bytes) and len(out[f"lda_k{k}.bin"]) > 100
    html = out[f"ldavis_k{k}.html"]
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    for name in topics.OUTPUTS:
        assert out[name].schema.equals(topics.SCHEMAS[name])
    # per-document weights sum to 1
    dt = out["doc_topics"].to_pandas()
    sums = dt.groupby(["k", "doc_id"])["weight"].sum()
    assert sums.round(9).eq(1.0).all()


def test_topic_numbers_are_stable_and_zero_based():
    out = topics.compute(_corpus(), _params(k="3"))
    assert sorted(set(out["topic_terms"].column("topic").to_pylist())) == [0, 1, 2]
    # automatic labels: the three most relevant terms (LDAvis relevance, lambda 0.6)
    labels = {r["topic"]: r["label"] for r in out["topic_terms"].to_pylist() if r["k"] == 3}
    assert all(len(label.split(" / ")) == 3 for label in labels.values())


@pytest.mark.parametrize(("method", "backend", "unit"),
                         [("lda", "tomotopy", "document"), ("lda", "gensim", "document"),
                          ("nmf", "tomotopy", "document"), ("lda", "tomotopy", "paragraph"),
                          ("lda", "gensim", "paragraph")])
def test_same_seed_gives_identical_tables(method, backend, unit):
    # 32 paragraphs: perplexity is held out and held-out units are inferred
    p = _params(method=method, backend=backend, seeds=2, unit=unit)
    a, b = topics.compute(_corpus(), p), topics.compute(_corpus(), p)
    for name in topics.OUTPUTS:
        ta, tb = a[name], b[name]
        if name == "model_selection":  # wall time is the one column that may differ
            ta, tb = ta.drop_columns(["seconds"]), tb.drop_columns(["seconds"])
        assert ta.equals(tb), name
    k = a["recommendation"].column("k")[0].as_py()
    assert a[f"ldavis_k{k}.html"] == b[f"ldavis_k{k}.html"]


def test_seeds_add_stability_rows():
    out = topics.compute(_corpus(), _params(k="2", seeds=3))
    ms = out["model_selection"].to_pylist()
    assert [r["seed"] for r in ms] == [42, 43, 44]
    assert all(0.0 <= r["stability"] <= 1.0 for r in ms)
    single = topics.compute(_corpus(), _params(k="2"))["model_selection"]
    assert single.column("stability").null_count == 1


def test_nmf_has_no_perplexity_and_lda_has_one():
    nmf = topics.compute(_corpus(), _params(method="nmf"))["model_selection"]
    assert nmf.column("perplexity").null_count == 2
    assert nmf.column("griffiths2004").null_count == 2
    lda = topics.compute(_corpus(), _params())["model_selection"]
    assert all(p > 1 for p in lda.column("perplexity").to_pylist())


def test_held_out_perplexity_with_twenty_units():
    # 16 documents -> in-sample; 32 paragraphs -> 3 held out; both give finite perplexity
    out = topics.compute(_corpus(), _params(unit="paragraph", k="2"))
    assert out["doc_topics"].num_rows == 32 * 2
    assert out["doc_topics"].column("para_id").null_count == 0
    held = out["model_selection"].column("perplexity")[0].as_py()
    in_sample = topics.compute(_corpus(), _params(unit="paragraph", k="2", holdout=0.0))
    assert held > 1 and held != in_sample["model_selection"].column("perplexity")[0].as_py()
    # trends average a document's paragraphs first: still 4 documents per year
    assert set(out["topic_trends"].column("n_docs").to_pylist()) == {4}


def test_topic_by_group():
    out = topics.compute(_corpus(), _params(k="2", by="region"))
    tbg = out["topic_by_group"].to_pylist()
    assert {r["group"] for r in tbg} == {"east", "west"}
    assert {r["n_docs"] for r in tbg} == {8}
    assert {r["by"] for r in tbg} == {"region"}
    with pytest.raises(BadParams, match="--by 'nope' is not a column of ingest/documents"):
        topics.compute(_corpus(), _params(by="nope"))


def test_labels_file(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("# topic\tlabel\n0\t教育\n1\t扶贫\n", encoding="utf-8")
    out = topics.compute(_corpus(), _params(k="2", labels=str(path)))
    labels = {(r["topic"], r["label"]) for r in out["topic_terms"].to_pylist()}
    assert labels == {(0, "教育"), (1, "扶贫")}
    assert {r["label"] for r in out["doc_topics"].to_pylist()} == {"教育", "扶贫"}
    assert topics.external_inputs(_params(labels=str(path))) == [path]
    path.write_text("5\tToo far\n", encoding="utf-8")
    with pytest.raises(BadInputFile, match="names topic 5, but the recommended k=2"):
        topics.compute(_corpus(), _params(k="2", labels=str(path)))


def test_parse_k():
    assert topics.parse_k("2..8") == [2, 3, 4, 5, 6, 7, 8]
    assert topics.parse_k("2..30:7") == [2, 9, 16, 23, 30]
    assert topics.parse_k("8,3, 5,3") == [3, 5, 8]
    assert topics.parse_k("4") == [4]
    with pytest.raises(BadParams, match=r"k='two' is not a topic count; write it like 2\.\.8"):
        topics.parse_k("two")
    with pytest.raises(BadParams, match="empty range"):
        topics.parse_k("8..2")
    with pytest.raises(BadParams, match="needs k >= 2"):
        topics.parse_k("1..4")
    with pytest.raises(BadParams, match="not a topic count"):
        topics.Params(k="2-8")


def test_k_too_large_for_the_corpus():
    with pytest.raises(BadParams, match=r"^topics: k=16 is larger than the 16 documents allow; "
                                        r"use --k 2\.\.15$"):
        topics.compute(_corpus(), _params(k="2,16"))


def test_vocabulary_bounds_error():
    with pytest.raises(BadParams, match=r"^topics: 0 of 13 terms pass min_df=9, max_df=0\.5; "
                                        "relax one bound$"):
        topics.compute(_corpus(), _params(min_df=9))


def test_top_n_terms_caps_the_vocabulary():
    out = topics.compute(_corpus(), _params(k="2", top_n_terms=4, top_terms=20))
    assert out["topic_terms"].num_rows == 2 * 4


def test_process_pool_gives_the_same_tables():
    # workers=2 forks workers that inherit the corpus (Linux) instead of pickling it per fit
    one = topics.compute(_corpus(), _params(workers=1, seeds=2))
    two = topics.compute(_corpus(), _params(workers=2, seeds=2))
    for name in topics.OUTPUTS:
        a, b = one[name], two[name]
        if name == "model_selection":
            a, b = a.drop_columns(["seconds"]), b.drop_columns(["seconds"])
        assert a.equals(b), name


def test_runner_writes_every_output(tmp_path):
    from pipelines.core import runner, store

    tables = _corpus()
    store.write_outputs(tmp_path, "segment", {"tokens": tables["segment/tokens"]})
    store.write_outputs(tmp_path, "ingest", {"documents": tables["ingest/documents"]})
    result = runner.run_stage(topics, tmp_path, _params(k="2"))
    names = set(result.outputs)
    assert {f"{n}.parquet" for n in topics.OUTPUTS} <= names
    assert {"lda_k2.bin", "ldavis_k2.html"} <= names
    import tomotopy as tp

    model = tp.LDAModel.load(str(tmp_path / "topics" / "lda_k2.bin"))
    assert model.k == 2
    assert not runner.run_stage(topics, tmp_path, _params(k="2", workers=2)).ran


def test_empty_and_tiny_corpora():
    tables = _corpus()
    empty = {**tables, "segment/tokens": tables["segment/tokens"].slice(0, 0)}
    with pytest.raises(EmptyCorpus, match="segment/tokens has no tokens"):
        topics.compute(empty, _params())
    # two documents (4 sentences): too few for any topic model
    tiny = {**tables, "segment/tokens": tables["segment/tokens"].slice(0, 4)}
    with pytest.raises(EmptyCorpus, match="only 2 documents keep a term"):
        topics.compute(tiny, _params(min_df=1, max_df=1.0))


def test_held_out_perplexity_skips_words_unseen_in_training():
    import math

    from pipelines.topics.corpus import Corpus, holdout_mask
    from pipelines.topics.fit import fit_task

    units = [tuple(EDU[(i + j) % 6] for j in range(4)) if i % 2 else
             tuple(POV[(i + j) % 6] for j in range(4)) for i in range(24)]
    held = [i for i, h in enumerate(holdout_mask(24, 0.1, 7)) if h]
    assert len(held) == 2
    # the same corpus, but one held-out unit also has a word no training unit has: tomotopy
    # cannot score it, so it must not dilute the per-word log-likelihood
    extra = list(units)
    extra[held[0]] = units[held[0]] + ("未见词",)
    vocab = tuple(sorted(set(EDU) | set(POV)))
    plain = fit_task((2, 7, False),
                     Corpus.of_words(vocab, tuple(units), "lda", "tomotopy", 50, 1, 0.1))
    with_unseen = fit_task((2, 7, False),
                           Corpus.of_words(tuple(sorted(vocab + ("未见词",))), tuple(extra),
                                           "lda", "tomotopy", 50, 1, 0.1))
    assert math.isfinite(plain.perplexity) and plain.perplexity > 1
    assert with_unseen.perplexity == plain.perplexity


def test_a_large_corpus_points_to_the_bounded_memory_mode(monkeypatch, caplog):
    import logging

    import pipelines.topics.stage as stage

    with caplog.at_level(logging.INFO, logger="wenmai"):
        topics.compute(_corpus(), _params(k="2"))
    assert "--fit-on sample" not in caplog.text
    monkeypatch.setattr(stage, "LARGE_TOKENS", 10)
    with caplog.at_level(logging.INFO, logger="wenmai"):
        topics.compute(_corpus(), _params(k="2"))
    assert "192 kept tokens; with --fit-on all" in caplog.text
    assert "--fit-on sample --sample N bounds it" in caplog.text
