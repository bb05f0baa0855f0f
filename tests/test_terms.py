"""Tests of the terms stage: hand-counted tf/df/idf and TF-IDF keyword ranks."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from pipelines import terms as T
from pipelines.core.errors import EmptyCorpus
from pipelines.segment import TOKENS_SCHEMA


def tokens_table() -> pa.Table:
    rows = [
        ("a", 0, 0, ["职业教育", "乡村振兴"], ["nz", "nz"], "zh"),
        ("a", 0, 1, ["职业教育", "policy"], ["n", "eng"], "zh"),
        ("b", 0, 0, ["职业教育", "扶贫"], ["nz", "vn"], "zh"),
    ]
    cols = list(zip(*rows, strict=True))
    return pa.table(dict(zip(TOKENS_SCHEMA.names, map(list, cols), strict=True)),
                    schema=TOKENS_SCHEMA)


def run(**params: object) -> dict[str, pa.Table]:
    return T.compute({"segment/tokens": tokens_table()}, T.Params(**params))


def test_terms_counts_and_smoothed_idf() -> None:
    terms = run()["terms"]
    assert terms.schema == T.TERMS_SCHEMA
    rare = math.log(3 / 2) + 1  # N=2 documents, df=1: ln((1+2)/(1+1)) + 1
    assert terms.to_pylist() == [
        {"term": "职业教育", "lang": "zh", "pos": "nz", "tf": 3, "df": 2, "idf": 1.0},
        {"term": "policy", "lang": "en", "pos": "eng", "tf": 1, "df": 1, "idf": rare},
        {"term": "乡村振兴", "lang": "zh", "pos": "nz", "tf": 1, "df": 1, "idf": rare},
        {"term": "扶贫", "lang": "zh", "pos": "vn", "tf": 1, "df": 1, "idf": rare},
    ]


def test_keywords_scores_ranks_and_ties() -> None:
    kw = run()["keywords"].to_pylist()
    rare = math.log(3 / 2) + 1
    got = [(r["doc_id"], r["rank"], r["term"], round(r["score"], 12), r["method"]) for r in kw]
    assert got == [
        ("a", 1, "职业教育", 0.5, "tfidf"),  # 2 of 4 tokens * idf 1
        ("a", 2, "policy", round(rare / 4, 12), "tfidf"),  # tie with 乡村振兴, by term
        ("a", 3, "乡村振兴", round(rare / 4, 12), "tfidf"),
        ("b", 1, "扶贫", round(rare / 2, 12), "tfidf"),
        ("b", 2, "职业教育", 0.5, "tfidf"),
    ]
    assert [r["term"] for r in run(top_keywords=1)["keywords"].to_pylist()] == ["职业教育", "扶贫"]


def test_min_df_filters_terms_and_keywords() -> None:
    out = run(min_df=2)
    assert out["terms"].column("term").to_pylist() == ["职业教育"]
    assert out["keywords"].to_pylist() == [
        {"doc_id": "a", "term": "职业教育", "score": 0.5, "rank": 1, "method": "tfidf"},
        {"doc_id": "b", "term": "职业教育", "score": 0.5, "rank": 1, "method": "tfidf"},
    ]
    with pytest.raises(EmptyCorpus, match="no term reaches min_df=3 in 2 documents"):
        run(min_df=3)


def test_empty_tokens_table() -> None:
    empty = TOKENS_SCHEMA.empty_table()
    with pytest.raises(EmptyCorpus, match="tokens table has no tokens"):
        T.compute({"segment/tokens": empty}, T.Params())


def test_same_result_twice_and_from_chunked_input() -> None:
    t = tokens_table()
    chunked = pa.concat_tables([t.slice(0, 1), t.slice(1)])
    a = T.compute({"segment/tokens": t}, T.Params())
    b = T.compute({"segment/tokens": chunked}, T.Params())
    assert a["terms"].equals(b["terms"]) and a["keywords"].equals(b["keywords"])
