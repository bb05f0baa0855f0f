"""The topic corpus built batch by batch equals grouping whole token lists word by word."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from pipelines import topics
from pipelines.core.script import has_han
from pipelines.topics.build import encode_batches, vocabulary

_SCHEMA = pa.schema([("doc_id", pa.string()), ("para_id", pa.int32()),
                     ("tokens", pa.list_(pa.string()))])


def _table(seed: int = 3) -> pa.Table:
    """Sentences of 12 documents in a shuffled order (a unit's rows are not all together),
    with null lists, null and empty tokens, Chinese and English words."""
    rng = random.Random(seed)
    words = ["教育", "学校", "扶贫", "农村", "school", "poverty", "", None, "政策", "data"]
    rows = []
    for d in range(12):
        for p in range(3):
            for _ in range(rng.randint(1, 3)):
                toks = None if rng.random() < 0.05 else [rng.choice(words)
                                                          for _ in range(rng.randint(0, 8))]
                rows.append({"doc_id": f"d{d:02d}", "para_id": p, "tokens": toks})
    rng.shuffle(rows)
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


def _plain(table: pa.Table, unit: str, keep) -> tuple[list, list[list[str]]]:
    """The straightforward grouping: units in first-seen order, tokens in table order."""
    index: dict = {}
    keys, tokens = [], []
    for row in table.to_pylist():
        key = (row["doc_id"], row["para_id"] if unit == "paragraph" else None)
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            tokens.append([])
        tokens[index[key]].extend(w for w in (row["tokens"] or []) if w and keep(w))
    return keys, tokens


@pytest.mark.parametrize("unit", ["document", "paragraph"])
@pytest.mark.parametrize("lang", ["all", "zh"])
@pytest.mark.parametrize("rows", [1, 5, 10_000])
def test_encoded_units_equal_the_plain_grouping(unit, lang, rows, monkeypatch):
    from pipelines.topics import build

    if rows == 5:  # document frequencies counted over many small chunks of units
        monkeypatch.setattr(build, "CHUNK", 7)
    table = _table()
    keep = has_han if lang == "zh" else (lambda w: True)
    encoded = encode_batches(table.to_batches(max_chunksize=rows), unit, keep)
    keys, tokens = _plain(table, unit, keep)
    assert list(zip(encoded.doc_ids, encoded.para_ids, strict=True)) == keys
    got = [[encoded.words[j] for j in encoded.bags[i]] for i in range(len(encoded.bags))]
    assert got == tokens
    # document frequencies and the cap, against counting the plain lists
    vocab, column = vocabulary(encoded, min_df=2, max_df=0.9, top_n=3)
    df: dict[str, int] = {}
    tf: dict[str, int] = {}
    for words in tokens:
        for w in set(words):
            df[w] = df.get(w, 0) + 1
        for w in words:
            tf[w] = tf.get(w, 0) + 1
    kept = [w for w, d in df.items() if 2 <= d <= 0.9 * len(tokens)]
    assert vocab == tuple(sorted(sorted(kept, key=lambda w: (-tf[w], w))[:3]))
    for j, w in enumerate(encoded.words):
        assert column[j] == (vocab.index(w) if w in vocab else len(vocab))


def test_batch_size_does_not_change_the_tables(monkeypatch):
    from pipelines.topics import stage

    docs = pa.table({"doc_id": [f"d{d:02d}" for d in range(12)],
                     "title": [f"t{d}" for d in range(12)],
                     "year": pa.array([2000 + d % 4 for d in range(12)], pa.int32())})
    tables = {"segment/tokens": _table(5), "ingest/documents": docs}
    params = topics.Params(k="2..3", seeds=2, iterations=30, workers=1, unit="paragraph",
                           min_df=1)
    whole = topics.compute(tables, params)
    monkeypatch.setattr(stage, "BATCH", 4)
    small = topics.compute(tables, params)
    for name in topics.OUTPUTS:
        a, b = whole[name], small[name]
        if name == "model_selection":
            a, b = a.drop_columns(["seconds"]), b.drop_columns(["seconds"])
        assert a.equals(b), name
    assert np.isfinite(whole["model_selection"].column("coherence_npmi").to_numpy()).all()


@pytest.mark.parametrize("parts", [1, 3])
def test_a_stored_table_gives_the_same_tables_as_a_table_in_memory(tmp_path, parts):
    """The runner hands topics a StoredTable (STREAMED); one file or several part files."""
    import pyarrow.parquet as pq

    from pipelines.core.store import StoredTable
    from tests.topics.test_stage import _corpus, _params

    tables = _corpus()
    tokens = tables["segment/tokens"]
    cut = [round(i * tokens.num_rows / parts) for i in range(parts + 1)]
    files = []
    for i in range(parts):
        path = tmp_path / f"part-{i:05d}.parquet"
        pq.write_table(tokens.slice(cut[i], cut[i + 1] - cut[i]), path, row_group_size=5)
        files.append(path)
    docs = tmp_path / "documents.parquet"
    pq.write_table(tables["ingest/documents"], docs)
    assert set(topics.STREAMED) == {"segment/tokens", "ingest/documents"}
    params = _params(seeds=2, unit="paragraph", by="region")
    plain = topics.compute(tables, params)
    stored = topics.compute({"segment/tokens": StoredTable(files, "segment/tokens"),
                             "ingest/documents": StoredTable([docs], "ingest/documents")},
                            params)
    for name in topics.OUTPUTS:
        a, b = plain[name], stored[name]
        if name == "model_selection":
            a, b = a.drop_columns(["seconds"]), b.drop_columns(["seconds"])
        assert a.equals(b), name
    k = plain["recommendation"].column("closest_k")[0].as_py()
    assert plain[f"ldavis_k{k}.html"] == stored[f"ldavis_k{k}.html"]
