"""The code stage on tiny documents: codings, tables, files; empty without a codebook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines import code
from pipelines.code.tables import association
from pipelines.core.errors import BadParams
from pipelines.core.store import read_all
from tests.code.helpers import DOCS, book_text, tables, value


@pytest.fixture
def book(tmp_path: Path) -> str:
    path = tmp_path / "book.yaml"
    path.write_text(book_text(("培训", "培训 or training"), ("政府", "政府"), ("教师", "teach*")),
                    encoding="utf-8")
    return str(path)


def test_codings_have_spans_and_matches(book: str) -> None:
    out = code.compute(tables(), code.Params(codebook=book, orders=10))
    rows = read_all(out["codings"]).to_pylist()
    assert [(r["doc_id"], r["sent_id"], r["code"]) for r in rows] == [
        ("d1", 0, "政府"), ("d1", 1, "培训"), ("d1", 2, "培训"), ("d2", 0, "培训"),
        ("d2", 0, "教师")]
    for r in rows:
        assert DOCS[r["doc_id"]][r["start"]:r["end"]] == r["text"]
    assert rows[2]["text"] == "学校开展教师培训。" and rows[2]["para_id"] == 1
    assert rows[3]["matched"] == ["training"] and rows[4]["matched"] == ["teacher"]


def test_frequencies_matrix_cooccurrence(book: str) -> None:
    out = code.compute(tables(), code.Params(codebook=book, orders=10))
    freq = {(r["level"], r["name"]): r for r in out["code_frequencies"].to_pylist()}
    assert freq[("code", "培训")]["units"] == 3 and freq[("code", "培训")]["documents"] == 2
    assert freq[("category", "C")]["units"] == 4  # d2 s0 counts once for the category
    assert freq[("code", "培训")]["unit_share"] == pytest.approx(3 / 5)
    chars = len("企业参与培训！") + len("学校开展教师培训。") + len("Teachers need training.")
    total = sum(len(s) for s in ["政府加大经费投入。", "企业参与培训！", "学校开展教师培训。",
                                  "Teachers need training.", "乡村振兴需要人才。"])
    assert freq[("code", "培训")]["coverage"] == pytest.approx(chars / total)
    matrix = {(r["level"], r["name"], r["value"]): r for r in out["code_matrix"].to_pylist()}
    cell = matrix[("code", "培训", "2020")]
    assert (cell["units"], cell["value_units"]) == (2, 3)
    assert cell["row_pct"] == pytest.approx(100 * 2 / 3)
    assert cell["col_pct"] == pytest.approx(100 * 2 / 3)  # 2020 column: 政府 1 + 培训 2
    pairs = out["code_cooccurrence"].to_pylist()
    assert [(p["source"], p["target"], p["cooccurrences"]) for p in pairs] == [
        ("培训", "教师", 1)]
    p = pairs[0]  # a = 3, b = 1, c = 1, N = 5
    assert p["jaccard"] == pytest.approx(1 / 3) and p["dice"] == pytest.approx(0.5)
    assert p["lift"] == pytest.approx(5 / 3)
    assert p["npmi"] == pytest.approx(np.log2(5 / 3) / -np.log2(1 / 5))
    assert "<node id=\"0\" label=\"培训\">" in out["code_network.gexf"]


def test_association_measures_by_hand() -> None:
    c, a, b, n = np.array([2]), np.array([4]), np.array([5]), 20
    assert association("jaccard", c, a, b, n)[0] == pytest.approx(2 / 7)
    assert association("cosine", c, a, b, n)[0] == pytest.approx(2 / np.sqrt(20))
    assert association("inclusion", c, a, b, n)[0] == pytest.approx(0.5)
    assert association("pmi", c, a, b, n)[0] == pytest.approx(np.log2(2.0))


def test_paragraph_and_document_units(book: str) -> None:
    out = code.compute(tables(), code.Params(codebook=book, unit="paragraph", orders=0))
    rows = read_all(out["codings"]).to_pylist()
    assert rows[0]["sent_id"] is None and rows[0]["text"] == "政府加大经费投入。企业参与培训！"
    out = code.compute(tables(), code.Params(codebook=book, unit="document", orders=0))
    assert {(r["doc_id"], r["code"]) for r in read_all(out["codings"]).to_pylist()} == {
        ("d1", "政府"), ("d1", "培训"), ("d2", "培训"), ("d2", "教师")}
    assert read_all(out["codings"]).to_pylist()[0]["text"] == DOCS["d1"]


def test_same_result_twice_and_with_workers(book: str) -> None:
    one = code.compute(tables(), code.Params(codebook=book, orders=20, reserve=1))
    two = code.compute(tables(), code.Params(codebook=book, orders=20, reserve=1, workers=2))
    for name in code.OUTPUTS:
        assert value(one[name]).equals(value(two[name])), name
    assert value(one["project.qdpx"]) == value(two["project.qdpx"])


def test_no_codebook_gives_empty_tables() -> None:
    out = code.compute(tables(), code.Params())
    assert set(out) == set(code.OUTPUTS) and all(t.num_rows == 0 for t in out.values())


def test_bad_by_column(book: str) -> None:
    with pytest.raises(BadParams, match="--by 'province' is not a column of ingest/documents"):
        code.compute(tables(), code.Params(codebook=book, by=("province",)))


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = value(a[name]), value(b[name])
        assert x == y if isinstance(x, (bytes, str)) else x.equals(y), name


def test_batches_and_token_order_do_not_change_the_tables(book, tmp_path, monkeypatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.core.store import StoredTable

    docs = {f"d{i}": ("政府加大经费投入。企业参与培训！\n" if i % 2 else "Teachers need training. ")
            + f"学校开展教师培训{i}。" for i in range(7)}
    toks = {(d, s): ["政府", "培训", "教师"][: 1 + (s + int(d[1:])) % 3]
            for d in docs for s in range(4)}
    whole = code.compute(tables(docs, toks), code.Params(codebook=book, orders=10))
    assert whole["codings"].num_rows > 7
    monkeypatch.setattr(code.stage, "BATCH_DOCS", 2)
    given = tables(docs, toks)
    for name, table in given.items():  # as the runner hands them: datasets on disk, 3 parts
        folder = tmp_path / name
        folder.mkdir(parents=True)
        for i, start in enumerate(range(0, table.num_rows, -(-table.num_rows // 3))):
            pq.write_table(table.slice(start, -(-table.num_rows // 3)),
                           folder / f"part-{i:05d}.parquet", row_group_size=3)
        given[name] = StoredTable(sorted(folder.iterdir()), name)
    _same(whole, code.compute(given, code.Params(codebook=book, orders=10)))
    shuffled = tables(docs, toks)  # tokens not in document order: read whole instead
    tokens = shuffled["segment/tokens"]
    shuffled["segment/tokens"] = tokens.take(pa.array(list(range(tokens.num_rows))[::-1]))
    _same(whole, code.compute(shuffled, code.Params(codebook=book, orders=10)))


def test_the_package_streams_its_inputs() -> None:
    """The runner looks for STREAMED on the package: without it the inputs are read whole."""
    assert code.STREAMED == code.stage.STREAMED == ("segment/tokens", "ingest/documents")
