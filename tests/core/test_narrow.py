"""Narrowing one analysis's inputs: a subset of documents, its own stopwords and POS filter."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines.core import store
from pipelines.core.errors import BadInputFile, BadParams, EmptyCorpus
from pipelines.core.narrow import Narrowing, load_words, narrow

TOKENS_SCHEMA = pa.schema([("doc_id", pa.string()), ("para_id", pa.int32()),
                           ("sent_id", pa.int32()), ("tokens", pa.list_(pa.string())),
                           ("pos", pa.list_(pa.string())), ("lang", pa.string())])
TOKENS = pa.Table.from_pylist([
    {"doc_id": "a", "para_id": 0, "sent_id": 0, "tokens": ["新疆", "发展", "教育"],
     "pos": ["ns", "vn", "n"], "lang": "zh"},
    {"doc_id": "a", "para_id": 0, "sent_id": 1, "tokens": ["西藏", "学校"], "pos": ["ns", "n"],
     "lang": "zh"},
    {"doc_id": "b", "para_id": 0, "sent_id": 0, "tokens": ["广东", "推进", "改革"],
     "pos": ["ns", "v", "vn"], "lang": "zh"},
    {"doc_id": "c", "para_id": 0, "sent_id": 0, "tokens": [], "pos": [], "lang": "zh"},
], schema=TOKENS_SCHEMA)
DOCS = pa.table({"doc_id": ["a", "b", "c"], "year": pa.array([2012, 2015, 2018], pa.int32()),
                 "text": ["x", "y", "z"]})
TABLES = {"segment/tokens": TOKENS, "ingest/documents": DOCS}


def _stop(tmp_path, *words: str) -> str:
    path = tmp_path / "places.txt"
    path.write_text("\ufeff" + "\n".join(words) + "\n\n", encoding="utf-8")
    return str(path)


def test_nothing_set_returns_the_tables_themselves() -> None:
    assert narrow(TABLES, "terms", Narrowing()) is TABLES


def test_stopwords_drop_tokens_and_their_tags_in_step(tmp_path) -> None:
    out = narrow(TABLES, "terms", Narrowing(stopwords=(_stop(tmp_path, "新疆", "西藏", "广东"),)))
    tokens = out["segment/tokens"]
    assert tokens.column("tokens").to_pylist() == [["发展", "教育"], ["学校"], ["推进", "改革"], []]
    assert tokens.column("pos").to_pylist() == [["vn", "n"], ["n"], ["v", "vn"], []]
    assert tokens.schema == TOKENS_SCHEMA
    assert out["ingest/documents"] is DOCS  # no where: the documents as they were


def test_pos_keeps_tags_by_prefix() -> None:
    out = narrow(TABLES, "topics", Narrowing(pos=("n",)))["segment/tokens"]
    # "n" keeps n, ns, nz ... but not vn or v
    assert out.column("tokens").to_pylist() == [["新疆", "教育"], ["西藏", "学校"], ["广东"], []]
    both = narrow(TABLES, "topics", Narrowing(pos=("n", "vn")))["segment/tokens"]
    assert both.column("pos").to_pylist() == [["ns", "vn", "n"], ["ns", "n"], ["ns", "vn"], []]


def test_where_keeps_the_rows_of_the_documents_that_pass(tmp_path) -> None:
    out = narrow(TABLES, "network", Narrowing(where="year >= 2013",
                                              stopwords=(_stop(tmp_path, "推进"),)))
    assert out["ingest/documents"].column("doc_id").to_pylist() == ["b", "c"]
    assert out["segment/tokens"].column("doc_id").to_pylist() == ["b", "c"]
    assert out["segment/tokens"].column("tokens").to_pylist() == [["广东", "改革"], []]


def test_stored_tables_are_narrowed_part_by_part(tmp_path) -> None:
    work = tmp_path / "work"
    writer = store.PartWriter(TOKENS_SCHEMA, "tokens", folder=tmp_path)
    writer.write(TOKENS.slice(0, 2))  # document a
    writer.write(TOKENS.slice(2))  # documents b and c
    store.write_outputs(work, "segment", {"tokens": writer.finish()})
    store.write_outputs(work, "ingest", {"documents": DOCS})
    tables = {"segment/tokens": store.open_table(work, "segment/tokens"),
              "ingest/documents": store.open_table(work, "ingest/documents")}
    with store.spooling(work, "terms"):
        out = narrow(tables, "terms", Narrowing(where="year < 2013", pos=("n",)))
        tokens, docs = out["segment/tokens"], out["ingest/documents"]
        assert isinstance(tokens, store.StoredTable) and len(tokens.files) == 1  # b/c part empty
        assert tokens.read().column("tokens").to_pylist() == [["新疆", "教育"], ["西藏", "学校"]]
        assert docs.read().column("doc_id").to_pylist() == ["a"]
    # the stored tables themselves are untouched
    assert store.read_table(work, "segment/tokens").equals(TOKENS)


def test_no_document_left_and_bad_filters_are_clear_errors(tmp_path) -> None:
    with pytest.raises(EmptyCorpus, match=r"no document of 3 passes where 'year > 2020'"):
        narrow(TABLES, "terms", Narrowing(where="year > 2020"))
    with pytest.raises(BadParams, match="'province' is not a column"):
        narrow(TABLES, "terms", Narrowing(where="province = '新疆'"))
    bad = tmp_path / "bad.txt"
    bad.write_text("新疆 西藏\n", encoding="utf-8")
    with pytest.raises(BadInputFile, match="line 1: .* holds several words"):
        load_words(bad)
    bad.write_bytes("新疆".encode("gbk"))
    with pytest.raises(BadInputFile, match="is not UTF-8"):
        load_words(bad)
