"""Tests of the segment stage: tokens of known sentences, filters, both backends, parallelism."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import segment as S
from pipelines.core import store
from pipelines.core.errors import BadParams
from pipelines.core.resources import data_path
from pipelines.segment.worker import Segmenter, Settings

BACKENDS = ("rjieba", "jieba")


def docs(*texts: str) -> pa.Table:
    """A documents table with ids d0, d1, ..."""
    return pa.table({"doc_id": [f"d{i}" for i in range(len(texts))], "text": list(texts)})


def seg_compute(tables: dict, params: S.Params) -> dict:
    """``S.compute`` with the tokens dataset read back as one table."""
    out = S.compute(tables, params)
    assert isinstance(out["tokens"], store.StoredTable)
    return {**out, "tokens": store.read_all(out["tokens"])}


def run(*texts: str, **params: object) -> list[dict]:
    """Segment texts in-process and return the rows that keep a token, without ``words``."""
    return [{k: v for k, v in r.items() if k != "words"}
            for r in run_all(*texts, **params) if r["tokens"]]


def run_all(*texts: str, **params: object) -> list[dict]:
    """Segment texts in-process and return every row of the tokens table."""
    p = S.Params(workers=1, **params)
    return seg_compute({"ingest/documents": docs(*texts)}, p)["tokens"].to_pylist()


def toks(*texts: str, **params: object) -> list[list[str]]:
    return [r["tokens"] for r in run(*texts, **params)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_chinese_sentence_with_domain_terms(backend: str) -> None:
    rows = run("我们在推进职业教育和乡村振兴。", backend=backend)
    assert rows == [{"doc_id": "d0", "para_id": 0, "sent_id": 0,
                     "tokens": ["推进", "职业教育", "乡村振兴"], "pos": ["v", "nz", "nz"],
                     "lang": "zh"}]


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_domain_dict_jieba_splits_terms(backend: str) -> None:
    assert toks("我们在推进职业教育和乡村振兴。", backend=backend, use_domain_dict=False) == [
        ["推进", "职业", "教育", "乡村", "振兴"]]


def test_sentence_ids_survive_dropped_sentences_and_paragraphs() -> None:
    rows = run("我们的。职业教育很重要。2020年，学生人数增长。\n\nThe policies were studied. We")
    assert [(r["para_id"], r["sent_id"], r["tokens"], r["lang"]) for r in rows] == [
        (0, 1, ["职业教育", "重要"], "zh"),
        (0, 2, ["学生", "人数", "增长"], "zh"),
        (2, 3, ["policy", "study"], "en"),
    ]


def test_english_tokens_lemmas_and_pos() -> None:
    rows = run("The policies of vocational education, COVID-19 and e-commerce were studied.")
    assert rows[0]["tokens"] == ["policy", "vocational", "education", "covid-19",
                                 "e-commerce", "study"]
    assert rows[0]["pos"] == ["eng"] * 6
    assert rows[0]["lang"] == "en"
    assert toks("Funding for training teachers.") == [["funding", "training", "teacher"]]


def test_english_without_lemmas_keeps_forms_and_case() -> None:
    assert toks("Teachers' Policies in China.", lemmatize=False, lowercase=False) == [
        ["Teachers", "Policies", "China"]]
    assert toks("Teachers' Policies in China.", lemmatize=False) == [
        ["teachers", "policies", "china"]]


def test_mixed_script_sentence_keeps_latin_words_as_eng() -> None:
    rows = run("发展e-commerce产业和5G网络。")
    assert rows[0]["tokens"] == ["发展", "e-commerce", "产业", "5g", "网络"]
    assert rows[0]["pos"][1] == "eng" and rows[0]["pos"][3] == "eng"
    assert rows[0]["lang"] == "zh"


def test_numbers_dropped_or_kept() -> None:
    text = "2020年增长3.5个百分点。"
    assert toks(text) == [["增长", "百分点"]]
    assert "2020" in toks(text, keep_numbers=True)[0]


def test_keep_pos_prefix_and_min_length() -> None:
    text = "我们在推进职业教育和乡村振兴。"
    assert toks(text, keep_pos=("n",)) == [["职业教育", "乡村振兴"]]
    assert toks(text, keep_pos=("v",)) == [["推进"]]
    assert toks(text, min_length=3) == [["职业教育", "乡村振兴"]]


def test_presegmented_text_is_taken_as_is() -> None:
    rows = run("职业 教育 的 发展 。 Rural schools", presegmented=True)
    assert rows == [{"doc_id": "d0", "para_id": 0, "sent_id": 0,
                     "tokens": ["职业", "教育", "发展"], "pos": ["un", "un", "un"], "lang": "zh"},
                    {"doc_id": "d0", "para_id": 0, "sent_id": 1,
                     "tokens": ["rural", "school"], "pos": ["eng", "eng"], "lang": "en"}]


@pytest.mark.parametrize("backend", BACKENDS)
def test_user_dict_stopwords_and_synonyms_same_in_both_backends(
        backend: str, tmp_path: Path) -> None:
    udict = tmp_path / "user.txt"
    udict.write_text("# my words\n职教人才 2000 nz\n组团帮扶\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_text("重要\nStudy\n", encoding="utf-8")
    syn = tmp_path / "syn.tsv"
    syn.write_text("职教\t职业教育\nvocational education\t职业教育\n", encoding="utf-8")
    rows = run("职教人才很重要，组团帮扶。Vocational education is studied.",
               backend=backend, user_dicts=(str(udict),), stopwords=(str(stop),),
               synonyms=str(syn))
    assert [(r["tokens"], r["pos"]) for r in rows] == [
        (["职教人才", "组团帮扶"], ["nz", "nz"]),
        (["职业教育"], ["nz"]),
    ]
    assert toks("发展职教。", backend=backend, synonyms=str(syn)) == [["发展", "职业教育"]]


def test_shipped_synonym_example_maps_english_phrases() -> None:
    example = str(data_path("synonyms", "example.tsv"))
    assert toks("Targeted poverty alleviation and rural revitalization.",
                synonyms=example) == [["精准扶贫", "乡村振兴"]]


def test_shipped_synonyms_by_builtin_name() -> None:
    text = "Targeted poverty alleviation and rural revitalization."
    assert toks(text, synonyms="builtin:example") == [["精准扶贫", "乡村振兴"]]
    assert S.external_inputs(S.Params(synonyms="builtin:bilingual_concepts"))[-1] == data_path(
        "synonyms", "bilingual_concepts.tsv")
    with pytest.raises(BadParams, match="'builtin:nope' is not shipped with wenmai; choose a "
                       "file or one of builtin:bilingual_concepts, builtin:example"):
        S.external_inputs(S.Params(synonyms="builtin:nope"))


def test_report_counts_removed_tokens_and_unseen_domain_terms() -> None:
    out = seg_compute({"ingest/documents": docs("我们的。职业教育很重要。2020年，学生人数增长。")},
                    S.Params(workers=1))
    report = out["report"].to_pylist()
    removed = {r["term"]: r["count"] for r in report if r["kind"] == "removed"}
    # 我们 的 很 年: stopwords; 。。，。: punctuation; 2020: number
    assert removed == {"punctuation": 4, "number": 1, "stopword": 4, "short": 0, "pos": 0}
    unseen = {r["term"] for r in report if r["kind"] == "domain_unseen"}
    assert "乡村振兴" in unseen and "职业教育" not in unseen


@pytest.mark.parametrize("backend", BACKENDS)
def test_report_lists_words_missing_from_the_dictionary(backend: str) -> None:
    # the HMM finds the village 培森 and the name 玉奇贵; both are absent from the dictionary
    text = "溧阳市职教人才帮扶白河县。培森村委第一书记玉奇贵。"
    out = seg_compute({"ingest/documents": docs(text)}, S.Params(workers=1, backend=backend))
    assert [r["tokens"] for r in out["tokens"].to_pylist()] == [
        ["溧阳市", "职教", "人才", "帮扶", "白河县"], ["培森", "村委", "第一书记", "玉奇贵"]]
    oov = [(r["term"], r["count"]) for r in out["report"].to_pylist() if r["kind"] == "oov"]
    assert oov == [("培森", 1), ("玉奇贵", 1)]


def test_external_inputs_name_every_word_list(tmp_path: Path) -> None:
    shipped = S.external_inputs(S.Params())
    assert shipped == [data_path("dicts", "education_policy.txt"),
                       data_path("stopwords", "zh.txt"), data_path("stopwords", "en.txt")]
    p = S.Params(use_domain_dict=False, use_default_stopwords=False, user_dicts=("u.txt",),
                 stopwords=("s.txt",), synonyms="syn.tsv")
    assert S.external_inputs(p) == [Path("u.txt"), Path("s.txt"), Path("syn.tsv")]


def test_deterministic_and_workers_give_identical_results() -> None:
    texts = [f"第{i}篇：我们推进职业教育和乡村振兴。Rural schools need teachers." for i in range(6)]
    docs_list = [(f"d{i}", t) for i, t in enumerate(texts)]
    settings = S.settings_from_params(S.Params())
    one = S.segment_documents(docs_list, settings, workers=1)
    # each partition on its own, as a worker would run it
    parts = [Segmenter(settings).run(docs_list[:2]), Segmenter(settings).run(docs_list[2:])]
    assert [r for p in parts for r in p.rows] == one.rows
    two = S.segment_documents(docs_list, settings, workers=2, part_chars=50,
                              min_chars_parallel=1)
    assert two.rows == one.rows
    assert two.removed == one.removed


def test_empty_and_missing_text() -> None:
    out = seg_compute({"ingest/documents": docs("", "。。。")}, S.Params(workers=1))
    assert out["tokens"].num_rows == 0
    assert out["tokens"].schema == S.TOKENS_SCHEMA


def test_settings_are_picklable() -> None:
    import pickle

    s = S.settings_from_params(S.Params())
    assert isinstance(pickle.loads(pickle.dumps(s)), Settings)


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_texts_keep_policy_terms_whole(backend: str, shared: Path) -> None:
    texts = [(shared / "seeds" / name).read_text(encoding="utf-8")
             for name in ("001_a41b0b4c803a10c3.txt", "004_5f5d496aa1008b9a.txt")]
    out = seg_compute({"ingest/documents": docs(*texts)}, S.Params(backend=backend, workers=1))
    tokens = [t for row in out["tokens"].to_pylist() for t in row["tokens"]]
    # every occurrence in the raw text lies inside one token (乡村振兴 or 乡村振兴战略)
    raw = "".join(texts)
    for term in ("职业教育", "精准扶贫", "乡村振兴"):
        assert raw.count(term) > 0
        assert sum(t.count(term) for t in tokens) == raw.count(term), term
    assert seg_compute({"ingest/documents": docs("深化产教融合和校企合作。")},
                     S.Params(backend=backend, workers=1))["tokens"].to_pylist()[0][
        "tokens"] == ["深化", "产教融合", "校企合作"]


def test_runner_writes_tables_and_a_dictionary_edit_makes_the_stage_stale(
        workdir: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from pipelines import terms
    from pipelines.core import runner

    (workdir / "ingest").mkdir()
    pq.write_table(docs("我们推进职业教育。", "乡村振兴和职业教育。"),
                   workdir / "ingest" / "documents.parquet")
    udict = tmp_path / "u.txt"
    udict.write_text("组团帮扶\n", encoding="utf-8")
    params = S.Params(workers=1, user_dicts=(str(udict),))
    assert runner.run_stage(S, workdir, params).ran
    assert runner.current_state(S, workdir, params).state == "fresh"
    assert runner.run_stage(terms, workdir, terms.Params()).ran
    top = pq.read_table(workdir / "terms" / "terms.parquet").to_pylist()[0]
    assert (top["term"], top["tf"], top["df"]) == ("职业教育", 2, 2)
    udict.write_text("组团帮扶\n职教人才\n", encoding="utf-8")
    state = runner.current_state(S, workdir, params)
    assert state.state == "stale"
    assert any("u.txt" in r for r in state.reasons)


@pytest.mark.parametrize("backend", BACKENDS)
def test_words_keep_what_the_counting_filters_drop(backend: str, tmp_path: Path) -> None:
    syn = tmp_path / "syn.tsv"
    syn.write_text("职教\t职业教育\n", encoding="utf-8")
    rows = run_all("鼓励发展。我们推进职教和Policies！", backend=backend, policy_stopwords=True,
                   synonyms=str(syn))
    # a sentence of policy stopwords only: no counting token, but every word
    assert [(r["sent_id"], r["tokens"], r["words"]) for r in rows] == [
        (0, [], ["鼓励", "发展"]),
        (1, ["推进", "职业教育", "policy"], ["我们", "推进", "职业教育", "和", "policy"])]
    assert run_all("！？。", backend=backend) == []  # punctuation is no word


def test_words_are_the_same_in_both_passes() -> None:
    text = "鼓励发展。第3条 我们在2020年推进职业教育，the Policies of 乡村振兴！。"
    settings = S.settings_from_params(S.Params(policy_stopwords=True, keep_pos=("n",)))
    fast, slow = Segmenter(settings), Segmenter(settings)
    slow.vectorised = False
    docs = [("d0", text), ("d1", "")]
    assert fast.run(docs).table.equals(slow.run(docs).table)
    assert fast.run(docs).word_rows[0] == ("d0", 0, ["鼓励", "发展"])
