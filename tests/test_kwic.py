"""Tests of keyword-in-context lines built from the original text."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines import segment as S
from pipelines.core import store
from pipelines.core.errors import BadParams
from pipelines.kwic import KWIC_SCHEMA, kwic


@pytest.fixture(scope="module")
def tables() -> tuple[pa.Table, pa.Table]:
    documents = pa.table({
        "doc_id": ["a", "b"],
        "title": ["职教报告", "Policy note"],
        "year": pa.array([2019, None], pa.int32()),
        "text": ["我们推进职业教育。\n乡村振兴需要职业教育。",
                 "Policies matter. The policy of China."],
    })
    tokens = store.read_all(S.compute({"ingest/documents": documents},
                                      S.Params(workers=1))["tokens"])
    return documents, tokens


def test_chinese_term_with_context(tables: tuple[pa.Table, pa.Table]) -> None:
    out = kwic(*tables, "职业教育", width=4)
    assert out.schema == KWIC_SCHEMA
    assert out.to_pylist() == [
        {"doc_id": "a", "title": "职教报告", "year": 2019, "sent_id": 0, "left": "我们推进",
         "keyword": "职业教育", "right": "。"},
        {"doc_id": "a", "title": "职教报告", "year": 2019, "sent_id": 1, "left": "振兴需要",
         "keyword": "职业教育", "right": "。"},
    ]


def test_english_term_matches_inflected_forms(tables: tuple[pa.Table, pa.Table]) -> None:
    out = kwic(*tables, "policy", width=4).to_pylist()
    assert [(r["sent_id"], r["left"], r["keyword"], r["right"]) for r in out] == [
        (0, "", "Policies", " mat"),
        (1, "The ", "policy", " of "),
    ]
    for form in ("Policy", "POLICIES", "policies"):  # any case, any inflection
        assert kwic(*tables, form, width=4).to_pylist() == kwic(*tables, "policy",
                                                                width=4).to_pylist()
    assert {r["year"] for r in out} == {None}


def test_limit_absent_term_and_bad_args(tables: tuple[pa.Table, pa.Table]) -> None:
    assert kwic(*tables, "职业教育", limit=1).num_rows == 1
    assert kwic(*tables, "教育").num_rows == 0  # never a token: it sits inside 职业教育
    with pytest.raises(BadParams, match="term is empty"):
        kwic(*tables, "  ")
    with pytest.raises(BadParams, match="width=-1"):
        kwic(*tables, "policy", width=-1)
