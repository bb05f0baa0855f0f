"""The terms stage counts a very long document window by window, with the same results."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from pipelines import terms as T
from pipelines.segment import TOKENS_SCHEMA


def _tokens() -> pa.Table:
    long_row = ["教育", "扶贫", "教育", None, "policy", "教育", "扶贫", "乡村"] * 5
    rows = [("a", 0, 0, long_row, ["n" if w != "扶贫" else "vn" for w in long_row], "zh"),
            ("b", 0, 0, ["扶贫", "教育"], ["v", "n"], "zh"),
            ("a", 1, 1, [], [], "zh"),
            ("c", 0, 0, ["policy"], ["eng"], "en")]
    cols = list(zip(*rows, strict=True))
    return pa.table(dict(zip(TOKENS_SCHEMA.names, map(list, cols), strict=True)),
                    schema=TOKENS_SCHEMA)


@pytest.mark.parametrize("window", [1, 3, 7, 1 << 20])
def test_windowed_counts_equal_a_plain_count(window: int) -> None:
    long = T._long_table(_tokens(), window=window)
    got = {(r.doc_id, r.term, r.pos): r.n for r in long.itertuples()}
    want: Counter = Counter()
    for row in _tokens().to_pylist():
        for term, pos in zip(row["tokens"], row["pos"], strict=True):
            if term is not None:
                want[(row["doc_id"], term, pos)] += 1
    assert got == dict(want)


def test_results_do_not_depend_on_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = T.compute({"segment/tokens": _tokens()}, T.Params())
    monkeypatch.setattr(T, "WINDOW", 2)
    windowed = T.compute({"segment/tokens": _tokens()}, T.Params())
    assert whole["terms"].equals(windowed["terms"])
    assert whole["keywords"].equals(windowed["keywords"])


def test_a_sliced_table_counts_only_its_rows() -> None:
    sliced = pa.concat_tables([_tokens(), _tokens()]).combine_chunks().slice(4, 4)
    got = T._long_table(sliced, window=3)
    assert got.groupby("doc_id")["n"].sum().to_dict() == {"a": 35, "b": 2, "c": 1}
