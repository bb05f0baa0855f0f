"""The batch-by-batch terms stage writes the same tables as the whole-table one it replaced.

``tests/terms/reference.py`` is the stage as it was on main before it streamed (pandas, one row
per distinct (document, term, POS tag)). Both run on the tokens of data/sample and of a real
shared corpus (the 49 government work reports plus 12 State of the Union speeches, so Chinese
and English terms), with each parameter that changes the arithmetic; the parquet bytes the
store would write must be equal, also when the stage counts in tiny batches and windows and
when a table's documents are not contiguous.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines import terms as T
from pipelines.core import store
from pipelines.terms import count, keywords
from tests import conftest
from tests.conftest import SAMPLE
from tests.terms import reference

PARAMS = [
    {},
    {"min_keyness": 0.0, "top_keywords": 50},
    {"method": "tfidf"},
    {"method": "tfidf", "min_df": 3, "top_keywords": 3},
    {"by": "year"},
    {"by": "year", "min_keyness": 10.83, "min_df": 2},
]


def _segment(docs: Path, work: Path) -> dict[str, pa.Table]:
    for args in (["ingest", str(docs), "--workers", "1"],
                 ["segment", "--backend", "rjieba", "--workers", "1"]):
        result = CliRunner().invoke(wenmai, ["-q", "--workdir", str(work), *args])
        assert result.exit_code == 0, result.output
    return {name: store.open_table(work, name).read()  # one file, or a folder of parts
            for name in ("segment/tokens", "ingest/documents")}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    return _segment(SAMPLE / "docs", tmp_path_factory.mktemp("sample") / "work")


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    corpora = conftest.SHARED / "corpora"  # read at run time: a checkout elsewhere may set it
    if not corpora.is_dir():
        pytest.skip("../shared is not present (only CI and developers have it)")
    docs = tmp_path_factory.mktemp("gov") / "docs"
    shutil.copytree(corpora / "gov-reports-1954-2017" / "govReports", docs)
    for path in sorted((corpora / "sotu-us-1790-2021" / "data").glob("20*.txt"))[:12]:
        shutil.copy(path, docs / path.name)
    return _segment(docs, docs.parent / "work")


def _same(tables: dict[str, pa.Table], params: dict[str, object]) -> None:
    want = reference.compute(tables, T.Params(**params))
    got = T.compute(tables, T.Params(**params))
    assert set(got) == set(want)
    for name in want:
        assert got[name].schema == want[name].schema, name
        assert got[name].to_pylist() == want[name].to_pylist(), name
        assert store._serialise(got[name]) == store._serialise(want[name]), name


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(map(str, p.items())) or "-")
def test_same_tables_as_before_on_the_sample(sample: dict[str, pa.Table], params) -> None:
    _same(sample, params)


@pytest.mark.slow
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(map(str, p.items())) or "-")
def test_same_tables_as_before_on_a_real_corpus(gov: dict[str, pa.Table], params) -> None:
    out = T.compute(gov, T.Params(**params))
    assert out["keywords"].num_rows > 100 and {"zh", "en"} <= set(
        out["terms"].column("lang").to_pylist())
    _same(gov, params)


@pytest.mark.parametrize("params", [{}, {"method": "tfidf"}, {"by": "year"}])
def test_tiny_batches_and_windows_change_nothing(sample: dict[str, pa.Table], params,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    whole = T.compute(sample, T.Params(**params))
    monkeypatch.setattr(count, "BATCH_ROWS", 7)  # documents cut across batches
    monkeypatch.setattr(count, "WINDOW", 5)  # ... and across windows
    monkeypatch.setattr(T.stage, "BLOCK", 3)  # keywords scored a few documents at a time
    monkeypatch.setattr(keywords, "DENSE", 0)  # (group, term) counts as sparse partial sums
    cut = T.compute(sample, T.Params(**params))
    for name in whole:
        assert cut[name].equals(whole[name]), name


def test_documents_out_of_order_change_nothing(sample: dict[str, pa.Table]) -> None:
    """Rows of one document apart (a table sorted by sentence): the matrix path, same tables."""
    tokens = sample["segment/tokens"]
    shuffled = tokens.take(pa.array(sorted(range(tokens.num_rows),
                                           key=lambda i: (i * 7919) % tokens.num_rows)))
    assert not count.count_tokens(tokens).apart
    counts = count.count_tokens(shuffled)
    assert counts.apart  # so the stage counts the whole matrix, one row per document
    indptr, col, _ = count.count_matrix(shuffled, counts.vocab)
    assert len(indptr) == len(counts.docs) + 1 and indptr[-1] == len(col)
    tables = {**sample, "segment/tokens": shuffled}
    for params in ({}, {"by": "year", "method": "tfidf"}):
        _same(tables, params)


@pytest.mark.parametrize("params", [{}, {"by": "year", "method": "tfidf"}])
def test_stored_tables_give_the_tables_of_tables_in_memory(sample: dict[str, pa.Table], params,
                                                           tmp_path: Path) -> None:
    """A one-file stored table and a dataset of part files, read in batches, as in memory."""
    tokens, documents = sample["segment/tokens"], sample["ingest/documents"]
    pq.write_table(documents, tmp_path / "documents.parquet")
    pq.write_table(tokens, tmp_path / "tokens.parquet", row_group_size=500)
    n = tokens.num_rows
    cuts = [0, 1, n // 3, n // 3 + 1, n // 2, n]  # parts cut inside documents
    ids = tokens.column("doc_id").to_pylist()
    assert any(ids[c - 1] == ids[c] for c in cuts[1:-1])
    parts = []
    for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False)):
        parts.append(tmp_path / f"part-{i:05d}.parquet")
        store.write_part(parts[-1], tokens.slice(lo, hi - lo))
    docs = store.StoredTable([tmp_path / "documents.parquet"], "ingest/documents")
    want = T.compute(sample, T.Params(**params))
    for stored in (store.StoredTable([tmp_path / "tokens.parquet"], "segment/tokens"),
                   store.StoredTable(parts, "segment/tokens")):
        got = T.compute({"segment/tokens": stored, "ingest/documents": docs},
                        T.Params(**params))
        for name in want:
            assert got[name].equals(want[name]), name


def test_the_runner_streams_tokens_and_documents() -> None:
    assert set(T.STREAMED) == {"segment/tokens", "ingest/documents"} <= set(T.INPUTS)


@pytest.mark.parametrize("kind", ["text", "float"])
def test_odd_group_values_as_before(sample: dict[str, pa.Table], kind: str) -> None:
    """Missing values, an empty label, whole floats (years read as 2017.0), a document listed
    twice (its first row with a value counts), a document without tokens."""
    ids = sorted(set(sample["segment/tokens"].column("doc_id").to_pylist()))
    if kind == "text":
        pool = [None, "", "乙", "甲", "b", "a"]
        values = [pool[i % len(pool)] for i in range(len(ids))]
        typ = pa.string()
    else:
        pool = [None, 2017.0, 1998.0, 2017.5, float("nan")]
        values = [pool[i % len(pool)] for i in range(len(ids))]
        typ = pa.float64()
    docs = pa.table({"doc_id": [*ids, ids[0], ids[2], "no-tokens"],
                     "grp": pa.array([*values, values[3], values[4], values[2]], typ)})
    _same({**sample, "ingest/documents": docs}, {"by": "grp", "min_keyness": 0.0})
