"""The streamed counting: the same counts, pairs in the same order and the same outputs for any
cut of ``segment/tokens`` into batches (issue 16)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import sparse

from pipelines import network
from pipelines.network import stream
from pipelines.network.measures import count_cooccurrences
from tests.network.test_stage import tokens_table


def random_rows(seed: int, docs: int = 12) -> list[tuple[str, int, list[str]]]:
    """Documents of a few paragraphs of sentences over a skewed vocabulary of 40 words."""
    rng = np.random.default_rng(seed)
    words = [f"w{k:02d}" for k in range(40)] + ["x", " ", "长词"]
    p = 1.0 / np.arange(1, len(words) + 1)
    rows = []
    for d in range(docs):
        for para in range(int(rng.integers(1, 4))):
            for _ in range(int(rng.integers(1, 5))):
                n = int(rng.integers(1, 9))
                rows.append((f"doc{d:02d}", para, rng.choice(words, n, p=p / p.sum()).tolist()))
    return rows


def years(rows: list) -> pa.Table:
    ids = sorted({r[0] for r in rows})
    return pa.table({"doc_id": ids, "year": pa.array([2000 + k % 7 for k in range(len(ids))],
                                                      pa.int32()),
                     "source": [f"s{k % 3}" for k in range(len(ids))]})


def fields(co: network.Cooccurrence) -> dict:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(co).items()}


WINDOWS = [("sentence", "binary", "sentence"), ("paragraph", "binary", "sentence"),
           ("document", "full", "sentence"), ("3", "binary", "paragraph"),
           ("4", "full", "sentence"), ("2", "full", "paragraph")]


@pytest.mark.parametrize(("window", "counting", "within"), WINDOWS)
@pytest.mark.parametrize("seed", [0, 1])
def test_counts_and_pair_order_do_not_depend_on_batches(window: str, counting: str,
                                                        within: str, seed: int) -> None:
    table = tokens_table(random_rows(seed))
    kwargs = {"window": window, "counting": counting, "within": within, "top_n": 25}
    whole = fields(count_cooccurrences(table, rows=10**6, **kwargs))
    for rows in (1, 2, 7, 33):
        assert fields(count_cooccurrences(table, rows=rows, **kwargs)) == whole


def test_pairs_in_the_order_of_one_product_over_all_windows() -> None:
    """The order the unstreamed stage had (scipy's storage order of X'X), rebuilt from batches."""
    table = tokens_table(random_rows(3))
    co = count_cooccurrences(table, rows=3, top_n=20)
    node = {t: k for k, t in enumerate(co.terms)}
    cells = [(r, node[w]) for r, words in enumerate(table.column("tokens").to_pylist())
             for w in words if w in node]
    rows, cols = np.array(cells).T
    x = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(table.num_rows,
                                                                      len(co.terms)))
    x.sum_duplicates()
    x.data[:] = 1.0
    coo = (x.T @ x).tocoo()
    upper = coo.row < coo.col
    assert co.source.tolist() == coo.row[upper].tolist()
    assert co.target.tolist() == coo.col[upper].tolist()
    assert co.count.tolist() == np.rint(coo.data[upper]).astype(int).tolist()


def test_batches_never_split_a_document() -> None:
    table = tokens_table(random_rows(4))
    for rows in (1, 5, 40):
        batches = list(stream.doc_batches(table, ["doc_id", "tokens"], rows))
        assert sum(b.num_rows for b in batches) == table.num_rows
        seen: set[str] = set()
        for b in batches:
            ids = set(b.column("doc_id").to_pylist())
            assert not ids & seen
            seen |= ids


PARAMS = [
    {},
    {"by": "year", "slice": 2, "two_mode": "source", "min_cooccurrence": 1},
    {"window": "paragraph", "measure": "jaccard", "select": "per_node", "burst_terms": 20},
    {"window": "3", "within": "paragraph", "measure": "npmi", "select": "mst", "by": "source"},
    {"window": "document", "counting": "full", "measure": "count", "two_mode": "year"},
]


@pytest.mark.parametrize("params", PARAMS)
def test_stage_outputs_do_not_depend_on_batches(params: dict,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rows = random_rows(5, docs=20)
    tables = {"segment/tokens": tokens_table(rows), "ingest/documents": years(rows)}
    p = network.Params(**{"top_n": 30, "min_chars": 1, **params})
    whole = network.compute(tables, p)
    for size in (1, 6):
        monkeypatch.setattr(stream, "BATCH_ROWS", size)
        out = network.compute(tables, p)
        assert out.keys() == whole.keys()
        for name, value in whole.items():
            if isinstance(value, pa.Table):
                assert out[name].equals(value), name
            else:
                assert out[name] == value, name


def test_stored_table_input_equals_table_input(tmp_path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """The runner's lazy tables (one file; part files that cut through a document; row
    groups of 5 rows) give the outputs of the tables in memory."""
    import pyarrow.parquet as pq

    from pipelines.core import store

    rows = random_rows(6, docs=20)
    tokens, documents = tokens_table(rows), years(rows)
    p = network.Params(top_n=30, min_chars=1, by="year", slice=3, two_mode="source",
                       burst_terms=20)
    whole = network.compute({"segment/tokens": tokens, "ingest/documents": documents}, p)
    pq.write_table(tokens, tmp_path / "tokens.parquet", row_group_size=5)
    pq.write_table(documents, tmp_path / "documents.parquet")
    cuts = [0, 7, 8, 30, tokens.num_rows]
    parts = []
    for k, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        parts.append(tmp_path / f"part-{k:05d}.parquet")
        pq.write_table(tokens.slice(a, b - a), parts[-1], row_group_size=4)
    monkeypatch.setattr(stream, "BATCH_ROWS", 9)
    for source in (store.StoredTable([tmp_path / "tokens.parquet"], "segment/tokens"),
                   store.StoredTable(parts, "segment/tokens")):
        out = network.compute({"segment/tokens": source, "ingest/documents": store.StoredTable(
            [tmp_path / "documents.parquet"], "ingest/documents")}, p)
        for name, value in whole.items():
            assert (out[name].equals(value) if isinstance(value, pa.Table)
                    else out[name] == value), name


def test_the_runner_hands_the_stage_lazy_tables(tmp_path) -> None:
    import pyarrow.parquet as pq

    from pipelines.core import runner

    rows = random_rows(7)
    tokens, documents = tokens_table(rows), years(rows)
    for name, table in (("segment/tokens", tokens), ("ingest/documents", documents)):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp_path / f"{name}.parquet")
    p = network.Params(top_n=20, min_chars=1)
    runner.run_stage(network, tmp_path, p)
    expected = network.compute({"segment/tokens": tokens, "ingest/documents": documents}, p)
    assert pq.read_table(tmp_path / "network" / "edges.parquet").equals(expected["edges"])
    assert (tmp_path / "network" / "network.gexf").read_bytes() == expected["network.gexf"]
