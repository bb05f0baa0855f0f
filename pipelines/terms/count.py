"""Map-reduce counting of ``segment/tokens``: a document x term count matrix, batch by batch.

The tokens are read a record batch at a time (``store.iter_batches``) and counted in windows
of at most ``window`` token occurrences: each window's terms and documents get integer ids from
vocabularies grown as they appear, its (document, term) occurrences are counted with numpy
(map), and the counts are appended to one compressed sparse row matrix (reduce: a document
cut between two windows has its partial counts summed before it is appended). Nothing holds a
Python object per token or per (document, term) pair; what grows with the corpus is the
vocabulary (a dict of the distinct terms and one of the document ids) and the matrix, 8 bytes
per nonzero (an int32 term id and an int32 count).

``segment`` writes the sentences of a document next to each other, so each document is one
row. Rows of the same document that are not adjacent (a table sorted some other way) are
merged at the end, which holds the matrix twice for a moment.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.errors import BadParams

__all__ = ["BATCH_ROWS", "COLUMNS", "WINDOW", "Counts", "count_tokens", "sum_by_key"]

#: the columns of segment/tokens the stage reads
COLUMNS = ["doc_id", "tokens", "pos"]
#: token occurrences counted at a time: a batch holding a very long document (a 100 MB single
#: line is one row of 13 M tokens) is counted window by window
WINDOW = 1 << 20
#: sentence rows read at a time
BATCH_ROWS = store.BATCH_ROWS
_LOW = np.int64(0xFFFFFFFF)
_POS_BITS = 20


@dataclass
class Counts:
    """The reduced counts of a tokens table.

    Attributes:
        terms: Term strings by term id (ids in order of first appearance).
        docs: doc_id strings by document id; only documents with at least one token.
        indptr: Row ``i`` (document ``i``) holds entries ``indptr[i]:indptr[i + 1]``.
        col: Term id of each entry (int32), ascending within a row.
        cnt: Occurrences of that term in that document (int32).
        tag_term, tag, tag_n: Occurrences ``tag_n`` of term ``tag_term`` with POS tag id
            ``tag`` (tokens without a tag are not counted here).
        tags: POS tag strings by tag id.
    """

    terms: list[str]
    docs: list[str]
    indptr: Any
    col: Any
    cnt: Any
    tag_term: Any
    tag: Any
    tag_n: Any
    tags: list[str]


class _Ids:
    """Integer ids for strings, in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def of(self, values: pa.Array) -> Any:
        """The id of each value of ``values`` (distinct, non-null strings), new ones added."""
        index, names = self.index, self.names
        out = np.empty(len(values), dtype=np.int64)
        for i, value in enumerate(values.to_pylist()):
            got = index.get(value)
            if got is None:
                got = index[value] = len(names)
                names.append(value)
            out[i] = got
        return out


class _Matrix:
    """A CSR matrix grown row by row in ``array`` buffers (amortised, no doubling copies)."""

    def __init__(self) -> None:
        self.row_doc, self.lengths = array("q"), array("q")
        self.col, self.cnt = array("i"), array("i")

    def append(self, keys: Any, counts: Any) -> None:
        """Append rows from ``keys`` (document id << 32 | term id, ascending) and counts."""
        if not len(keys):
            return
        docs = keys >> 32
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        self.row_doc.frombytes(docs[starts].astype(np.int64).tobytes())
        self.lengths.frombytes(np.diff(np.r_[starts, len(keys)]).astype(np.int64).tobytes())
        self.col.frombytes((keys & _LOW).astype(np.int32).tobytes())
        if counts.max(initial=0) > np.iinfo(np.int32).max:
            raise BadParams("terms: a term occurs more than 2^31 times in one document")
        self.cnt.frombytes(counts.astype(np.int32).tobytes())

    def finish(self, n_docs: int) -> tuple[Any, Any, Any]:
        """(indptr, col, cnt) with row ``i`` the counts of document ``i``."""
        row_doc = np.frombuffer(self.row_doc, dtype=np.int64)
        lengths = np.frombuffer(self.lengths, dtype=np.int64)
        col = np.frombuffer(self.col, dtype=np.int32)
        cnt = np.frombuffer(self.cnt, dtype=np.int32)
        if len(row_doc) == n_docs and np.array_equal(row_doc, np.arange(n_docs)):
            return np.r_[0, np.cumsum(lengths)], col, cnt
        # rows of one document apart, or documents out of order: sort and sum once
        keys, counts = sum_by_key(np.repeat(row_doc, lengths) << 32 | col.astype(np.int64),
                               cnt.astype(np.int64))
        merged = _Matrix()
        merged.append(keys, counts)
        lengths = np.frombuffer(merged.lengths, dtype=np.int64)
        return (np.r_[0, np.cumsum(lengths)], np.frombuffer(merged.col, dtype=np.int32),
                np.frombuffer(merged.cnt, dtype=np.int32))


def sum_by_key(keys: Any, counts: Any) -> tuple[Any, Any]:
    """Distinct ``keys`` (sorted) with their summed ``counts``."""
    if not len(keys):
        return keys, counts
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts)


def _batches(source: Any, rows: int) -> Iterator[Any]:
    """The record batches of ``source`` (a pa.Table or a stored table) with ``COLUMNS``."""
    names = source.schema.names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise BadParams(f"terms: tokens table lacks {', '.join(missing)}; rerun `wenmai segment`")
    yield from store.iter_batches(source, columns=COLUMNS, rows=rows)


def count_tokens(source: Any, window: int | None = None) -> Counts:
    """Count the (document, term) and (term, POS tag) occurrences of a tokens table.

    Args:
        source: ``segment/tokens`` as a ``pa.Table`` or a stored table read batch by batch;
            columns doc_id, tokens and pos are used, null tokens skipped.
        window: Token occurrences counted at a time (default ``WINDOW``).

    Raises:
        BadParams: the table lacks one of the columns.
    """
    window = window or WINDOW
    terms, docs, tags = _Ids(), _Ids(), _Ids()
    matrix = _Matrix()
    tag_parts: list[tuple[Any, Any]] = []
    held = 0
    pending = (np.empty(0, np.int64), np.empty(0, np.int64))  # the last document seen
    for batch in _batches(source, BATCH_ROWS):
        lists = batch.column(1)
        flat, flat_pos = pc.list_flatten(lists), pc.list_flatten(batch.column(2))
        parents = pc.list_parent_indices(lists).to_numpy()
        valid = pc.is_valid(flat)
        if valid.false_count:
            flat, flat_pos = flat.filter(valid), flat_pos.filter(valid)
            parents = parents[valid.to_numpy(zero_copy_only=False)]
        if not len(flat):
            continue
        # ids for the documents of this batch that have a token, in order of appearance
        row_docs = pc.dictionary_encode(batch.column(0))
        row_codes = row_docs.indices.to_numpy(zero_copy_only=False)
        doc_of_code = np.full(len(row_docs.dictionary), -1, dtype=np.int64)
        used = np.unique(row_codes[parents])
        doc_of_code[used] = docs.of(row_docs.dictionary.take(pa.array(used)))
        for start in range(0, len(flat), window):
            words, pos = flat.slice(start, window), flat_pos.slice(start, window)
            doc = doc_of_code[row_codes[parents[start:start + window]]]
            encoded = pc.dictionary_encode(words)
            term = terms.of(encoded.dictionary)[encoded.indices.to_numpy(zero_copy_only=False)]
            keys, counts = np.unique(doc << 32 | term, return_counts=True)
            if len(pending[0]):
                keys, counts = sum_by_key(np.r_[pending[0], keys], np.r_[pending[1], counts])
            last = keys >> 32 == doc[-1]
            pending = (keys[last], counts[last])
            matrix.append(keys[~last], counts[~last])
            tagged = pc.is_valid(pos)
            if tagged.true_count:
                encoded = pc.dictionary_encode(pos.filter(tagged))
                tag = tags.of(encoded.dictionary)[encoded.indices.to_numpy(zero_copy_only=False)]
                on = term[tagged.to_numpy(zero_copy_only=False)] if tagged.false_count else term
                tag_parts.append(np.unique(on << _POS_BITS | tag, return_counts=True))
                held += len(tag_parts[-1][0])
                if held > 4 * window:  # merge the partial counts before they outgrow a window
                    tag_parts = [sum_by_key(*map(np.concatenate, zip(*tag_parts, strict=True)))]
                    held = len(tag_parts[0][0])
    matrix.append(*pending)
    if len(tags.names) >= 1 << _POS_BITS:
        raise BadParams(f"terms: more than {1 << _POS_BITS} distinct POS tags")
    indptr, col, cnt = matrix.finish(len(docs.names))
    tag_keys, tag_n = (sum_by_key(*map(np.concatenate, zip(*tag_parts, strict=True)))
                       if tag_parts else (np.empty(0, np.int64), np.empty(0, np.int64)))
    return Counts(terms=terms.names, docs=docs.names, indptr=indptr, col=col, cnt=cnt,
                  tag_term=tag_keys >> _POS_BITS, tag=tag_keys & ((1 << _POS_BITS) - 1),
                  tag_n=tag_n, tags=tags.names)
