"""The terms stage counts a very long document window by window, with the same results."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from pipelines import terms as T
from pipelines.core import store
from pipelines.segment import TOKENS_SCHEMA
from pipelines.terms import count


def _tokens() -> pa.Table:
    long_row = ["教育", "扶贫", "教育", None, "policy", "教育", "扶贫", "乡村"] * 5
    rows = [("a", 0, 0, long_row, ["n" if w != "扶贫" else "vn" for w in long_row], "zh"),
            ("b", 0, 0, ["扶贫", "教育"], ["v", "n"], "zh"),
            ("a", 1, 1, [], [], "zh"),
            ("c", 0, 0, ["policy"], ["eng"], "en")]
    cols = list(zip(*[(*r, r[3]) for r in rows], strict=True))  # words: the tokens
    return pa.table(dict(zip(TOKENS_SCHEMA.names, map(list, cols), strict=True)),
                    schema=TOKENS_SCHEMA)


def _plain(table: pa.Table) -> tuple[Counter, Counter]:
    """(document, term) and (term, tag) occurrences counted one token at a time."""
    pairs: Counter = Counter()
    tags: Counter = Counter()
    for row in table.to_pylist():
        for term, pos in zip(row["tokens"], row["pos"], strict=True):
            if term is not None:
                pairs[(row["doc_id"], term)] += 1
                tags[(term, pos)] += 1
    return pairs, tags


def _counted(counts: count.Counts, table: pa.Table, window: int) -> tuple[dict, dict]:
    """What both passes counted: pass 2's rows (each document once) and pass 1's tags."""
    pairs = {}
    for keys, n in count.doc_rows(table, counts.vocab, window):
        for key, k in zip(keys.tolist(), n.tolist(), strict=True):
            pair = (counts.docs[key >> 32], counts.terms[key & 0xFFFFFFFF])
            assert pair not in pairs
            pairs[pair] = k
    assert sorted(counts.terms) == sorted({t for _, t in pairs})
    assert counts.tf.tolist() == [sum(k for (_, t), k in pairs.items() if t == term)
                                  for term in counts.terms]
    assert counts.df.tolist() == [sum(1 for _, t in pairs if t == term) for term in counts.terms]
    tags = {(counts.terms[t], counts.tags[p]): int(n)
            for t, p, n in zip(counts.tag_term, counts.tag, counts.tag_n, strict=True)}
    return pairs, tags


@pytest.mark.parametrize("window", [1, 3, 7, 1 << 20])
def test_windowed_counts_equal_a_plain_count(window: int) -> None:
    got = _counted(count.count_tokens(_tokens(), window=window), _tokens(), window)
    assert got == tuple(map(dict, _plain(_tokens())))


def test_the_matrix_has_a_row_per_document_with_ascending_terms() -> None:
    counts = count.count_tokens(_tokens(), window=3)
    assert counts.docs == ["a", "b", "c"]  # in order of appearance, only with a token
    assert not counts.apart
    indptr, col, cnt = count.count_matrix(_tokens(), counts.vocab, window=3)
    assert len(indptr) == 4 and indptr[-1] == len(col)
    for i in range(3):
        row = col[indptr[i]:indptr[i + 1]]
        assert list(row) == sorted(row)
    assert col.dtype == np.int32 and cnt.dtype == np.int32
    assert np.bincount(col, weights=cnt).astype(int).tolist() == counts.tf.tolist()


def _read(out: dict[str, object]) -> dict[str, pa.Table]:
    return {name: store.read_all(value) for name, value in out.items()}


def test_results_do_not_depend_on_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _read(T.compute({"segment/tokens": _tokens()}, T.Params()))
    monkeypatch.setattr(count, "WINDOW", 2)
    monkeypatch.setattr(count, "BATCH_ROWS", 1)
    windowed = _read(T.compute({"segment/tokens": _tokens()}, T.Params()))
    assert whole["terms"].equals(windowed["terms"])
    assert whole["keywords"].equals(windowed["keywords"])


def test_a_sliced_table_counts_only_its_rows() -> None:
    sliced = pa.concat_tables([_tokens(), _tokens()]).combine_chunks().slice(4, 4)
    pairs, _ = _counted(count.count_tokens(sliced, window=3), sliced, 3)
    per_doc = Counter()
    for (doc, _term), n in pairs.items():
        per_doc[doc] += n
    assert per_doc == {"a": 35, "b": 2, "c": 1}


def test_key_counts_sum_parts_and_merge_rarely() -> None:
    rng = np.random.default_rng(7)
    summed = count.KeyCounts(floor=10)
    want: Counter = Counter()
    merges = 0
    for _ in range(200):
        keys, n = np.unique(rng.integers(0, 50, 8), return_counts=True)
        want.update(dict(zip(keys.tolist(), n.tolist(), strict=True)))
        before = len(summed.parts)
        summed.add(keys, n)
        merges += len(summed.parts) < before + 1
    keys, n = summed.total()
    assert dict(zip(keys.tolist(), n.tolist(), strict=True)) == dict(want)
    assert list(keys) == sorted(keys)
    # 50 distinct keys: after a merge, 50 more entries (about 7 parts) come before the next
    # one, so about 1600 / 50 merges; merging whenever the floor is passed would be 200
    assert merges <= 40
