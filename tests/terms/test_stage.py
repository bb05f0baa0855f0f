"""Tests of the terms stage: hand-counted tf/df/idf, keyness (G2, log ratio) worked out by
hand, TF-IDF with an idf that reaches zero, and keywords per group of documents."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from pipelines import terms as T
from pipelines.core import store
from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.segment import TOKENS_SCHEMA


def tokens_table(rows: list[tuple[str, list[str]]] | None = None) -> pa.Table:
    if rows is None:
        full = [
            ("a", 0, 0, ["职业教育", "乡村振兴"], ["nz", "nz"], "zh"),
            ("a", 0, 1, ["职业教育", "policy"], ["n", "eng"], "zh"),
            ("b", 0, 0, ["职业教育", "扶贫"], ["nz", "vn"], "zh"),
        ]
    else:
        full = [(d, 0, i, toks, ["n"] * len(toks), "zh") for i, (d, toks) in enumerate(rows)]
    cols = list(zip(*[(*r, r[3]) for r in full], strict=True))  # words: the tokens
    return pa.table(dict(zip(TOKENS_SCHEMA.names, map(list, cols), strict=True)),
                    schema=TOKENS_SCHEMA)


def run(tokens: pa.Table | None = None, documents: pa.Table | None = None,
        **params: object) -> dict[str, pa.Table]:
    tables = {"segment/tokens": tokens if tokens is not None else tokens_table()}
    if documents is not None:
        tables["ingest/documents"] = documents
    return read(T.compute(tables, T.Params(**params)))


def read(out: dict[str, object]) -> dict[str, pa.Table]:
    """The stage's outputs in memory (``keywords`` is a dataset of parts)."""
    return {name: store.read_all(value) for name, value in out.items()}


#: doc x: 甲 甲 甲 乙 (4 tokens); doc y: 甲 乙 乙 乙 乙 丙 (6 tokens)
XY = [("x", ["甲", "甲", "甲", "乙"]), ("y", ["甲", "乙", "乙", "乙", "乙", "丙"])]


def test_terms_counts_and_an_idf_that_reaches_zero() -> None:
    terms = run()["terms"]
    assert terms.schema == T.TERMS_SCHEMA
    rare = math.log(2 / 1)  # N=2 documents, df=1
    assert terms.to_pylist() == [
        {"term": "职业教育", "lang": "zh", "pos": "nz", "tf": 3, "df": 2, "idf": 0.0},
        {"term": "policy", "lang": "en", "pos": "eng", "tf": 1, "df": 1, "idf": rare},
        {"term": "乡村振兴", "lang": "zh", "pos": "nz", "tf": 1, "df": 1, "idf": rare},
        {"term": "扶贫", "lang": "zh", "pos": "vn", "tf": 1, "df": 1, "idf": rare},
    ]


def test_keyness_formula_against_a_hand_computation() -> None:
    # 甲 in x: a=3, b=1, c=4, d=6; E1 = 4*4/10 = 1.6, E2 = 6*4/10 = 2.4
    # G2 = 2 (3 ln(3/1.6) + 1 ln(1/2.4)) = 2 (1.8858260 - 0.8754687) = 2.0207145
    g2, lr = T.keyness(3, 1, 4, 6)
    assert g2 == pytest.approx(2.0207145, abs=1e-7)
    assert lr == pytest.approx(math.log2((3 / 4) / (1 / 6)), abs=1e-12)  # log2 4.5 = 2.1699
    # a zero in the reference: 0 ln 0 = 0 for G2, 0.5 for log ratio (Hardie 2014)
    g2, lr = T.keyness(1, 0, 6, 4)
    assert g2 == pytest.approx(2 * math.log(1 / 0.6), abs=1e-12)  # 1.021651
    assert lr == pytest.approx(math.log2((1 / 6) / (0.5 / 4)), abs=1e-12)
    # a term used at the same rate in both has G2 = 0
    assert T.keyness(2, 3, 4, 6)[0] == pytest.approx(0.0, abs=1e-12)


def test_keyness_keywords_per_document_are_the_overused_terms() -> None:
    kw = run(tokens_table(XY), min_keyness=0.0)["keywords"].to_pylist()
    got = [(r["doc_id"], r["rank"], r["term"], r["freq"], r["ref_freq"], round(r["g2"], 6),
            round(r["log_ratio"], 6), r["method"]) for r in kw]
    assert got == [
        ("x", 1, "甲", 3, 1, 2.020714, 2.169925, "keyness"),  # 乙 is underused in x
        # 丙: a=1 b=0 c=6 d=4 -> 2 ln(1/0.6); 乙: a=4 b=1 c=6 d=4, E1=3 E2=2 ->
        # 2 (4 ln(4/3) + ln(1/2)) = 2 (1.1507283 - 0.6931472) = 0.9151622
        ("y", 1, "丙", 1, 0, 1.021651, 0.415037, "keyness"),
        ("y", 2, "乙", 4, 1, 0.915162, 1.415037, "keyness"),
    ]
    assert all(r["score"] == r["g2"] for r in kw)
    # the default threshold (p < 0.05) keeps none of these weak differences
    assert run(tokens_table(XY))["keywords"].num_rows == 0


def test_tfidf_keywords_never_include_a_term_of_every_document() -> None:
    kw = run(method="tfidf")["keywords"].to_pylist()
    got = [(r["doc_id"], r["rank"], r["term"], round(r["score"], 12)) for r in kw]
    rare = math.log(2)
    assert got == [
        ("a", 1, "policy", round(rare / 4, 12)),  # tie with 乡村振兴, by term
        ("a", 2, "乡村振兴", round(rare / 4, 12)),
        ("b", 1, "扶贫", round(rare / 2, 12)),
    ]
    assert [r["term"] for r in run(method="tfidf", top_keywords=1)["keywords"].to_pylist()
            ] == ["policy", "扶贫"]


def test_group_keywords_by_a_documents_column() -> None:
    rows = XY + [("z", ["甲", "甲", "甲", "乙"])]
    docs = pa.table({"doc_id": ["x", "y", "z"], "year": pa.array([2017, 2018, 2017], pa.int32()),
                     "text": ["", "", ""]})
    out = run(tokens_table(rows), docs, by="year", min_keyness=0.0)
    got = [(r["by"], r["group"], r["n_docs"], r["term"], r["freq"], r["ref_freq"])
           for r in out["group_keywords"].to_pylist()]
    # 2017 = x + z: 甲 6 of 8 tokens against 1 of 6 in 2018
    assert got == [("year", "2017", 2, "甲", 6, 1), ("year", "2018", 1, "丙", 1, 0),
                   ("year", "2018", 1, "乙", 4, 2)]
    g2 = out["group_keywords"].to_pylist()[0]["g2"]
    assert g2 == pytest.approx(T.keyness(6, 1, 8, 6)[0])
    with pytest.raises(BadParams, match="'group' is not a column of ingest/documents"):
        run(tokens_table(rows), docs, by="group")


def test_min_df_filters_terms_and_keywords() -> None:
    out = run(min_df=2, method="tfidf")
    assert out["terms"].column("term").to_pylist() == ["职业教育"]
    assert out["keywords"].num_rows == 0
    with pytest.raises(EmptyCorpus, match="no term reaches min_df=3 in 2 documents"):
        run(min_df=3)


def test_empty_tokens_table() -> None:
    empty = TOKENS_SCHEMA.empty_table()
    with pytest.raises(EmptyCorpus, match="tokens table has no tokens"):
        T.compute({"segment/tokens": empty}, T.Params())


def test_same_result_twice_and_from_chunked_input() -> None:
    t = tokens_table(XY)
    chunked = pa.concat_tables([t.slice(0, 1), t.slice(1)])
    a = run(t, min_keyness=0.0)
    b = run(chunked, min_keyness=0.0)
    assert a["terms"].equals(b["terms"]) and a["keywords"].equals(b["keywords"])


@pytest.mark.parametrize("stored", [False, True])
def test_a_tokens_table_without_pos_says_to_rerun_segment(stored: bool, tmp_path) -> None:
    tokens = tokens_table(XY).drop_columns(["pos"])
    if stored:
        store.write_part(tmp_path / "part-00000.parquet", tokens)
        tokens = store.StoredTable([tmp_path / "part-00000.parquet"], "segment/tokens")
    with pytest.raises(BadParams, match=r"tokens table lacks pos; rerun `wenmai segment`"):
        T.compute({"segment/tokens": tokens}, T.Params())
