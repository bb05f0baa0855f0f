"""The batch-by-batch terms stage writes the same tables as the whole-table one it replaced.

``tests/terms/reference.py`` is the stage as it was on main before it streamed (pandas, one row
per distinct (document, term, POS tag)). Both run on the tokens of data/sample and of a real
shared corpus (the 49 government work reports plus 12 State of the Union speeches, so Chinese
and English terms), with each parameter that changes the arithmetic; the parquet bytes the
store would write must be equal, also when the stage counts in tiny batches and windows and
when a table's documents are not contiguous.

One difference is by design: ``terms/keywords`` is now written as parts during the second
pass, so its rows come in document order (the order of the tokens table) instead of sorted
by doc_id. Each document's rows are the same and next to each other; sorted by doc_id
(stably, so each document keeps its rank order) the table is the reference's, byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
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


def read(out: dict[str, object]) -> dict[str, pa.Table]:
    """The stage's outputs in memory (``keywords`` is a dataset of parts)."""
    return {name: store.read_all(value) for name, value in out.items()}


def in_document_order(keywords: pa.Table, tokens: pa.Table) -> pa.Table:
    """``keywords`` (in document order) sorted by doc_id as the reference sorts it, after
    checking that its documents come in the order they first appear in ``tokens``, each
    document's rows together."""
    first: dict[str, int] = {}
    for doc_id in tokens.column("doc_id").to_pylist():
        first.setdefault(doc_id, len(first))
    ids = keywords.column("doc_id").to_pylist()
    runs = [d for i, d in enumerate(ids) if i == 0 or ids[i - 1] != d]
    assert len(runs) == len(set(runs)), "a document's keywords are not together"
    assert [first[d] for d in runs] == sorted(first[d] for d in runs), "not in document order"
    return keywords.take(pc.sort_indices(keywords, [("doc_id", "ascending")]))  # stable


def _same(tables: dict[str, pa.Table], params: dict[str, object]) -> None:
    want = reference.compute(tables, T.Params(**params))
    got = read(T.compute(tables, T.Params(**params)))
    got["keywords"] = in_document_order(got["keywords"], tables["segment/tokens"])
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
    out = read(T.compute(gov, T.Params(**params)))
    assert out["keywords"].num_rows > 100 and {"zh", "en"} <= set(
        out["terms"].column("lang").to_pylist())
    _same(gov, params)


@pytest.mark.parametrize("params", [{}, {"method": "tfidf"}, {"by": "year"}])
def test_tiny_batches_and_windows_change_nothing(sample: dict[str, pa.Table], params,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    whole = read(T.compute(sample, T.Params(**params)))
    monkeypatch.setattr(count, "BATCH_ROWS", 7)  # documents cut across batches
    monkeypatch.setattr(count, "WINDOW", 5)  # ... and across windows
    monkeypatch.setattr(T.stage, "BLOCK", 3)  # keywords scored a few documents at a time
    monkeypatch.setattr(keywords, "DENSE", 0)  # (group, term) counts as sparse partial sums
    cut = read(T.compute(sample, T.Params(**params)))
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
    want = read(T.compute(sample, T.Params(**params)))
    for stored in (store.StoredTable([tmp_path / "tokens.parquet"], "segment/tokens"),
                   store.StoredTable(parts, "segment/tokens")):
        got = read(T.compute({"segment/tokens": stored, "ingest/documents": docs},
                             T.Params(**params)))
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


def _parts(tokens: pa.Table, cuts: list[int], folder: Path) -> store.StoredTable:
    """``tokens`` written as part files cut at the row numbers ``cuts``."""
    folder.mkdir()
    paths = []
    for i, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, tokens.num_rows], strict=True)):
        paths.append(folder / f"part-{i:05d}.parquet")
        store.write_part(paths[-1], tokens.slice(lo, hi - lo))
    return store.StoredTable(paths, "segment/tokens")


@pytest.mark.parametrize("params", [{}, {"method": "tfidf", "min_df": 2},
                                    {"by": "year", "top_keywords": 3}])
def test_units_and_workers_change_nothing(sample: dict[str, pa.Table], params, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts counted as separate units, in forked workers, keywords written as many parts:
    the same tables as the old stage, and the same part files for 1 and 2 workers."""
    from pipelines.terms import parts as P

    tokens, documents = sample["segment/tokens"], sample["ingest/documents"]
    ids = tokens.column("doc_id").to_pylist()
    n = tokens.num_rows
    starts = [i for i in range(1, n) if ids[i - 1] != ids[i]]  # where a document starts
    inside = [i for i in range(1, n) if ids[i - 1] == ids[i]]
    cuts = sorted({*starts[::3], inside[len(inside) // 3], inside[len(inside) // 3] + 1,
                   inside[-1]})
    assert len(starts) > 6 and any(ids[c - 1] == ids[c] for c in cuts)
    stored = _parts(tokens, cuts, tmp_path / "tokens")
    monkeypatch.setattr(P, "UNIT_ROWS", 1)  # a unit per part, unless parts share a document
    monkeypatch.setattr(P, "PART_ROWS", 5)  # a keywords part every 5 rows or so ...
    monkeypatch.setattr(count, "BATCH_ROWS", 7)  # ... checked every few documents
    monkeypatch.setattr(T.stage, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(T.stage, "SPAWN_MIN_ROWS", 1)
    plan = P.units(stored)
    assert 1 < len(plan) < len(stored.files)  # parts sharing a document are one unit
    assert sum(len(u) for u, _ in plan) == len(stored.files)
    want = reference.compute(sample, T.Params(**params))
    files = {}
    for workers in (1, 2):
        out = T.compute({"segment/tokens": stored, "ingest/documents": documents},
                        T.Params(workers=workers, **params))
        files[workers] = [Path(f).read_bytes() for f in out["keywords"].files]
        got = read(out)
        got["keywords"] = in_document_order(got["keywords"], tokens)
        for name in want:
            assert store._serialise(got[name]) == store._serialise(want[name]), name
    assert len(files[1]) > len(plan) and files[1] == files[2]


def test_a_document_in_two_units_takes_the_whole_table_path(sample: dict[str, pa.Table],
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A document's rows in two parts that are not next to each other: the matrix path."""
    from pipelines.terms import parts as P

    tokens = sample["segment/tokens"]
    ids = tokens.column("doc_id").to_pylist()
    first = ids[0]
    end = ids.index(next(d for d in ids if d != first))
    # the first document's rows cut in two, one half moved to the end of the table
    moved = pa.concat_tables([tokens.slice(1, end - 1), tokens.slice(end), tokens.slice(0, 1)])
    stored = _parts(moved, [end - 1, moved.num_rows - 1], tmp_path / "tokens")
    monkeypatch.setattr(P, "UNIT_ROWS", 1)
    assert len(P.units(stored)) == 3
    whole = {"segment/tokens": moved, "ingest/documents": sample["ingest/documents"]}
    want = reference.compute(whole, T.Params())
    got = read(T.compute({**whole, "segment/tokens": stored}, T.Params()))
    got["keywords"] = in_document_order(got["keywords"], moved)
    for name in want:
        assert store._serialise(got[name]) == store._serialise(want[name]), name
