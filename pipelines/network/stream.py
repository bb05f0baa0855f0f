"""Reading ``segment/tokens`` a batch at a time, every document whole, for the network stage.

The stage counts in two passes over the batches and never holds all tokens (issue 16):

1. the frequency of every counted token (the vocabulary is bounded by the language, not by
   the corpus), from which the nodes and the burst terms are chosen;
2. the counters of :mod:`pipelines.network.measures` and :mod:`pipelines.network.slices` add
   each batch's sparse counts (map) into their totals (reduce).

Both passes run as engine tasks of whole documents (:mod:`pipelines.network.tasks`).

A window never crosses a document, so :func:`doc_batches` cuts batches only between
documents (``segment/tokens`` lists a document's sentences together, in text order): the
counts of a batch are then complete for every window in it, and the totals do not depend on
where the batches are cut (tested with batches of 1 row up to the whole table).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.errors import EmptyCorpus, SchemaError

__all__ = ["BATCH_ROWS", "Batch", "TokenStream", "doc_batches", "whole_documents",
           "need_columns", "counted_tokens", "distinct", "top_terms", "row_units", "num_rows",
           "schema_names"]

#: rows of ``segment/tokens`` read at a time (about 850k tokens of Chinese policy text)
BATCH_ROWS = 65_536


def num_rows(source: Any) -> int:
    return int(source.num_rows)


def schema_names(source: Any) -> list[str]:
    return list(source.schema.names)


def need_columns(source: Any, unit: str, pos_prefixes: tuple[str, ...]) -> list[str]:
    """The token columns the counting reads, checked to be present.

    Raises:
        SchemaError: a column the unit (or the POS filter) needs is missing.
        EmptyCorpus: the table has no rows.
    """
    needed = ["tokens", "doc_id"] + (["para_id"] if unit == "paragraph" else [])
    needed += ["pos"] if pos_prefixes else []
    have = schema_names(source)
    missing = [c for c in needed if c not in have]
    if missing:
        raise SchemaError(f"network: table segment/tokens lacks column(s) {', '.join(missing)}; "
                          "rerun `wenmai segment --force`")
    if num_rows(source) == 0:
        raise EmptyCorpus("network: segment/tokens has no sentences; check the ingest and "
                          "segment outputs (`wenmai status`)")
    columns = ["doc_id", "para_id", "tokens", "pos"]
    return [c for c in columns if c in needed or (c == "para_id" and c in have)]


def doc_batches(source: Any, columns: list[str], rows: int | None = None
                ) -> Iterator[pa.Table]:
    """Batches of about ``rows`` rows (default :data:`BATCH_ROWS`) in table order; a
    document's rows are never split."""
    return whole_documents(store.iter_batches(source, columns, rows or BATCH_ROWS))


def whole_documents(records: Iterable[pa.RecordBatch | pa.Table]) -> Iterator[pa.Table]:
    """``records`` (consecutive rows of a table) cut again only between documents: the rows
    of the last document of a record are held back and joined to the next one."""
    carry: pa.Table | None = None
    for record in records:
        batch = (pa.Table.from_batches([record]) if isinstance(record, pa.RecordBatch)
                 else record)
        if not batch.num_rows:
            continue
        if carry is not None:
            batch = pa.concat_tables([carry, batch])
        ids = batch.column("doc_id")
        last = ids[len(ids) - 1]
        other = np.flatnonzero(~pc.equal(ids, last).fill_null(False).to_numpy(
            zero_copy_only=False)) if last.is_valid else np.flatnonzero(
            pc.is_valid(ids).to_numpy(zero_copy_only=False))
        cut = int(other[-1]) + 1 if other.size else 0
        if cut:
            yield batch.slice(0, cut).combine_chunks()
        carry = batch.slice(cut)
    if carry is not None and carry.num_rows:
        yield carry.combine_chunks()


@dataclass(frozen=True)
class TokenStream:
    """The counted tokens of a table, in table order.

    Attributes:
        vocab: Distinct counted tokens.
        codes: Index into ``vocab`` of each counted token.
        rows: Row of the table each counted token comes from.
    """

    vocab: pa.Array
    codes: np.ndarray
    rows: np.ndarray


def _flat(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Flattened list values and the row index of each value."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.list_flatten(arr), pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)


def _token_mask(flat: pa.Array, pos: pa.Array | None, *, min_chars: int,
                pos_prefixes: tuple[str, ...]) -> pa.Array:
    """True for tokens that are counted: non-blank, long enough, with an accepted POS tag."""
    mask = pc.and_(pc.is_valid(flat), pc.greater_equal(pc.utf8_length(flat), min_chars))
    mask = pc.and_(mask, pc.not_equal(pc.utf8_trim_whitespace(flat), ""))
    if pos_prefixes and pos is not None:
        tag_ok = pc.starts_with(pos, pos_prefixes[0])
        for prefix in pos_prefixes[1:]:
            tag_ok = pc.or_(tag_ok, pc.starts_with(pos, prefix))
        mask = pc.and_(mask, pc.fill_null(tag_ok, False))
    return pc.fill_null(mask, False)


def counted_tokens(table: pa.Table, *, min_chars: int, pos_prefixes: tuple[str, ...]
                   ) -> TokenStream:
    """The counted tokens of one batch (filters applied; possibly none).

    Raises:
        SchemaError: a row's pos and tokens lists differ in length.
    """
    flat, parents = _flat(table.column("tokens"))
    pos = _flat(table.column("pos"))[0] if pos_prefixes else None
    if pos is not None and len(pos) != len(flat):
        raise SchemaError("network: segment/tokens has rows whose pos and tokens lists differ "
                          "in length; rerun `wenmai segment --force`")
    mask = _token_mask(flat, pos, min_chars=min_chars, pos_prefixes=pos_prefixes)
    keep = mask.to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(flat.filter(mask))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return TokenStream(encoded.dictionary, codes, parents[keep])


def row_units(table: pa.Table, unit: str) -> np.ndarray:
    """An int64 unit id (sentence, paragraph or document) for each row, numbered in order of
    first appearance."""
    import pandas as pd

    n = table.num_rows
    if unit == "sentence":
        return np.arange(n, dtype=np.int64)
    doc = pd.factorize(table.column("doc_id").to_numpy(zero_copy_only=False))[0]
    if unit == "document":
        return doc.astype(np.int64)
    para = table.column("para_id").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    para = para - para.min() if n else para
    combined = doc.astype(np.int64) * (int(para.max()) + 1 if n else 1) + para
    return pd.factorize(combined)[0].astype(np.int64)


class Batch:
    """One batch of whole documents and its counted tokens (units computed on demand)."""

    def __init__(self, table: pa.Table, *, min_chars: int, pos_prefixes: tuple[str, ...]
                 ) -> None:
        self.table = table
        self.stream = counted_tokens(table, min_chars=min_chars, pos_prefixes=pos_prefixes)
        self._units: dict[str, np.ndarray] = {}

    def token_units(self, unit: str) -> np.ndarray:
        """The unit id of each counted token."""
        if unit not in self._units:
            self._units[unit] = row_units(self.table, unit)[self.stream.rows]
        return self._units[unit]

    def index_in(self, terms: pa.Array) -> np.ndarray:
        """For each counted token, its index in ``terms`` (-1 if absent)."""
        position = pc.index_in(self.stream.vocab, value_set=terms)
        of_code = position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return of_code[self.stream.codes] if of_code.size else np.zeros(0, np.int64)


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values) by a stable sort: the ids of a batch
    (rows, units, row x term keys) are nearly sorted, where this takes a few ms and numpy 2's
    hash-based ``np.unique`` about 100 times longer."""
    if values.size == 0:
        return values.copy()
    ordered = np.sort(values, kind="stable")
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def top_terms(vocab: pa.Array, freq: np.ndarray, n: int) -> tuple[list[str], np.ndarray]:
    """The ``n`` most frequent terms (ties by the term) and their frequencies."""
    ranking = pa.table({"term": vocab, "freq": freq})
    ranking = ranking.sort_by([("freq", "descending"), ("term", "ascending")]).slice(0, n)
    return (ranking.column("term").to_pylist(),
            ranking.column("freq").to_numpy().astype(np.int64))
