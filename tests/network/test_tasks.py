"""The counting as engine tasks (issue 16): the same outputs for any cut into tasks, any number
of workers and any engine; a document cut across part files is counted whole, once."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import network
from pipelines.core import store
from pipelines.core.engine import EngineSpec, use
from pipelines.network import stream, tasks
from pipelines.network.measures import count_cooccurrences
from tests.network.test_stage import tokens_table
from tests.network.test_stream import fields, random_rows, years

PARAMS = [
    {"by": "year", "slice": 3, "two_mode": "source", "burst_terms": 20},
    {"window": "paragraph", "measure": "jaccard", "by": "source", "two_mode": "year"},
    {"window": "document", "counting": "full", "measure": "count", "by": "year"},
    {"window": "3", "within": "paragraph", "measure": "npmi", "select": "mst"},
]


def _same(out: dict, whole: dict) -> None:
    assert out.keys() == whole.keys()
    for name, value in whole.items():
        assert (out[name].equals(value) if isinstance(value, pa.Table)
                else out[name] == value), name


def _parts(tmp_path: Path, tokens: pa.Table, cuts: list[int]) -> store.StoredTable:
    """``tokens`` written as part files cut at ``cuts`` (through documents), row groups of 3."""
    files = []
    for k, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        files.append(tmp_path / f"part-{k:05d}.parquet")
        pq.write_table(tokens.slice(a, b - a), files[-1], row_group_size=3)
    return store.StoredTable(files, "segment/tokens")


@pytest.fixture(scope="module")
def corpus() -> tuple[pa.Table, pa.Table]:
    rows = random_rows(8, docs=24)
    return tokens_table(rows), years(rows)


@pytest.mark.parametrize("params", PARAMS)
def test_parts_cut_through_documents_give_the_outputs_of_the_whole_table(
        params: dict, corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each part file its own task, files that end inside a document, a document over three
    files, an empty file: every document is counted whole by one task."""
    tokens, documents = corpus
    p = network.Params(top_n=30, min_chars=1, workers=1, **params)
    whole = network.compute({"segment/tokens": tokens, "ingest/documents": documents}, p)
    ids = tokens.column("doc_id").to_pylist()
    long_doc = max(set(ids), key=ids.count)
    first, last = ids.index(long_doc), len(ids) - ids[::-1].index(long_doc)
    assert last - first >= 3
    cuts = sorted({0, 5, 6, first + 1, first + 2, last - 1, last, tokens.num_rows - 2,
                   tokens.num_rows})
    source = _parts(tmp_path, tokens, [*cuts[:2], cuts[1], *cuts[2:]])  # one part empty
    assert any(pq.ParquetFile(f).metadata.num_rows == 0 for f in source.files)
    monkeypatch.setattr(stream, "BATCH_ROWS", 4)
    for task_rows in (1, 7, 10**6):
        monkeypatch.setattr(tasks, "TASK_ROWS", task_rows)
        for workers in (1, 2):
            out = network.compute({"segment/tokens": source, "ingest/documents": documents},
                                  network.Params(top_n=30, min_chars=1, workers=workers,
                                                 **params))
            _same(out, whole)


def test_each_document_is_read_by_the_task_where_it_starts(tmp_path: Path) -> None:
    tokens = tokens_table([(d, 0, ["w"]) for d in "aabbbbbccd"])
    source = _parts(tmp_path, tokens, [0, 1, 3, 3, 4, 8, 10])
    work = tasks.tasks(source, ["doc_id", "tokens"], task_rows=1)
    assert work.items == [(0, 1), (1, 2), (2, 4), (4, 5), (5, 6)]  # an empty file joins the next
    read = [[t.column("doc_id").to_pylist() for t in tasks._task_tables(
        item, work.files, ["doc_id", "tokens"], 2)] for item in work.items]
    assert read == [[["a", "a"]], [["b"] * 5], [], [["c", "c"]], [["d"]]]


@pytest.mark.parametrize("window", ["sentence", "paragraph", "4"])
def test_counts_do_not_depend_on_tasks_or_workers(window: str, corpus) -> None:
    tokens, _ = corpus
    kwargs = {"window": window, "within": "paragraph", "top_n": 25}
    whole = fields(count_cooccurrences(tokens, task_rows=10**6, **kwargs))
    for task_rows in (1, 5, 40):
        for workers in (1, 2):
            co = count_cooccurrences(tokens, task_rows=task_rows,
                                                      workers=workers, **kwargs)
            assert fields(co) == whole


def test_fresh_processes_count_the_same(corpus, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The processes engine sends each task (a range of part files) to a fresh process."""
    tokens, documents = corpus
    p = network.Params(top_n=30, min_chars=1, by="year", window="paragraph", workers=2)
    whole = network.compute({"segment/tokens": tokens, "ingest/documents": documents}, p)
    source = _parts(tmp_path, tokens, [0, 9, 20, 41, tokens.num_rows])
    monkeypatch.setattr(tasks, "TASK_ROWS", 1)
    with use(EngineSpec(name="processes")):
        _same(network.compute({"segment/tokens": source, "ingest/documents": documents}, p),
              whole)


def test_an_unreadable_part_is_named(corpus, tmp_path: Path) -> None:
    from pipelines.core.errors import SchemaError

    tokens, documents = corpus
    source = _parts(tmp_path, tokens, [0, 20, tokens.num_rows])
    source.files[1].write_bytes(b"not parquet")
    with pytest.raises(SchemaError, match=r"part-00001\.parquet is not a readable parquet "
                       r"table .*; rerun"):
        network.compute({"segment/tokens": source, "ingest/documents": documents},
                        network.Params(top_n=30, min_chars=1))


def test_distinct_is_numpys_unique() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    for values in (np.zeros(0, np.int64), np.array([5]), rng.integers(-3, 40, 500),
                   np.sort(rng.integers(0, 10**12, 2000))):
        got = stream.distinct(values)
        assert got.dtype == values.dtype
        assert got.tolist() == np.unique(values).tolist()
