"""Map-reduce counting of ``segment/tokens``, batch by batch, in two passes.

The tokens are read a record batch at a time (``store.iter_batches``) and counted in windows
of at most ``window`` token occurrences: each window's terms and documents get integer ids
from vocabularies grown as they appear, and its (document, term) occurrences are counted with
numpy (map). A document cut between two windows or batches has its partial counts summed
before it is handed on (reduce), so ``doc_rows`` yields each document's complete counts once.

Pass 1 (``count_tokens``) keeps only totals: each term's occurrences (tf) and documents (df)
and its POS tag counts. Pass 2 (``doc_rows`` again, by the stage) reads the tokens a second
time and hands over the counts of a few documents at a time to be scored. Nothing holds a
Python object per token or per (document, term) pair, and nothing holds the counts of every
document: what grows with the corpus is the vocabulary (a dict of the distinct terms), the
document ids (a dict), and per term a few integers.

``segment`` writes the sentences of a document next to each other. When a document's rows
are apart (a table sorted some other way), pass 1 notices and ``count_matrix`` builds the
whole document x term matrix instead (compressed sparse rows, 8 bytes per distinct
(document, term) pair: an int32 term id and an int32 count).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.errors import BadParams

__all__ = ["BATCH_ROWS", "COLUMNS", "TAG_BITS", "WINDOW", "Counts", "KeyCounts", "Vocab",
           "count_matrix", "count_tokens", "doc_rows", "sum_by_key"]

#: the columns of segment/tokens the stage reads
COLUMNS = ["doc_id", "tokens", "pos"]
#: token occurrences counted at a time: a batch holding a very long document (a 100 MB single
#: line is one row of 13 M tokens) is counted window by window. Small windows and batches keep
#: the temporary arrays small: 2^17 tokens and 8,192 rows (about 110,000 tokens) gave a peak of
#: 245 MB at 100 MB of text where 2^20 and 65,536 gave 391 MB, in the same time
WINDOW = 1 << 17
#: sentence rows read at a time
BATCH_ROWS = 8192
_LOW = np.int64(0xFFFFFFFF)
#: bits of a (term, POS tag) key that hold the tag
TAG_BITS = 20


class _Ids:
    """Integer ids for strings, in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def of(self, values: pa.Array) -> Any:
        """The id of each value of ``values`` (distinct, non-null strings), new ones added."""
        names = values.to_pylist()
        out = np.fromiter(map(self.index.get, names, repeat(-1)), dtype=np.int64,
                          count=len(names))
        for i in np.flatnonzero(out < 0).tolist():
            out[i] = self.index[names[i]] = len(self.names)
            self.names.append(names[i])
        return out


@dataclass
class Vocab:
    """Ids of terms, documents (those with a token) and POS tags, in order of appearance."""

    terms: _Ids = field(default_factory=_Ids)
    docs: _Ids = field(default_factory=_Ids)
    tags: _Ids = field(default_factory=_Ids)


@dataclass
class Counts:
    """The totals of pass 1.

    Attributes:
        vocab: The ids (``vocab.terms.names`` are the terms by id, ``vocab.docs.names`` the
            doc_ids by id).
        tf: Occurrences of each term id (int64).
        df: Documents of each term id (int64).
        tag_term, tag, tag_n: Occurrences ``tag_n`` of term ``tag_term`` with POS tag id
            ``tag`` (tokens without a tag are not counted here).
        apart: Some document's rows are not next to each other (then ``df`` is not usable:
            use ``count_matrix``).
    """

    vocab: Vocab
    tf: Any
    df: Any
    tag_term: Any
    tag: Any
    tag_n: Any
    apart: bool

    @property
    def terms(self) -> list[str]:
        return self.vocab.terms.names

    @property
    def docs(self) -> list[str]:
        return self.vocab.docs.names

    @property
    def tags(self) -> list[str]:
        return self.vocab.tags.names


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


def _windows(source: Any, vocab: Vocab, window: int,
             tags: Callable[[Any, Any], None] | None) -> Iterator[tuple[Any, Any]]:
    """(document id, term id) of each token, ``window`` tokens at a time; null tokens skipped.

    ``tags(term ids, tag ids)`` receives the tokens that have a POS tag, when given.
    """
    for batch in _batches(source, BATCH_ROWS):
        lists = batch.column(1)
        flat = pc.list_flatten(lists)
        if not len(flat):
            continue
        offsets = lists.offsets.to_numpy()
        offsets = offsets - offsets[0]  # a sliced batch's offsets start inside its values
        # ids for the batch's distinct terms and tags, looked up once per batch (-1: null)
        words = pc.dictionary_encode(flat)
        term_of_code = np.r_[vocab.terms.of(words.dictionary), -1]
        codes = words.indices.fill_null(len(words.dictionary)).to_numpy()
        del words
        if tags is not None:
            pos = pc.dictionary_encode(pc.list_flatten(batch.column(2)))
            tag_of_code = np.r_[vocab.tags.of(pos.dictionary), -1]
            tag_codes = pos.indices.fill_null(len(pos.dictionary)).to_numpy()
            del pos
        row_docs = pc.dictionary_encode(batch.column(0))
        row_codes = row_docs.indices.to_numpy(zero_copy_only=False)
        doc_of_code = np.full(len(row_docs.dictionary), -1, dtype=np.int64)
        for start in range(0, len(flat), window):
            stop = min(start + window, len(flat))
            term = term_of_code[codes[start:stop]]
            rows = np.searchsorted(offsets, np.arange(start, stop), side="right") - 1
            valid = term >= 0
            if not valid.all():
                term, rows = term[valid], rows[valid]
            if not len(term):
                continue
            local = row_codes[rows]
            # ids for documents with a token, in order of appearance
            new = np.unique(local[doc_of_code[local] < 0])
            if len(new):
                doc_of_code[new] = vocab.docs.of(row_docs.dictionary.take(pa.array(new)))
            yield doc_of_code[local], term
            if tags is not None:
                tag = tag_of_code[tag_codes[start:stop]]
                tag = tag if valid.all() else tag[valid]
                tagged = tag >= 0
                tags(term[tagged], tag[tagged])


def _pair_counts(doc: Any, term: Any, n_terms: int) -> tuple[Any, Any]:
    """Distinct ``doc << 32 | term`` keys (ascending) with their occurrences.

    A window's documents are few and consecutive, so their (document, term) cells usually
    fit a small dense range: counted with ``bincount`` then, else by sorting.
    """
    first = int(doc.min())
    cells = (int(doc.max()) - first + 1) * n_terms
    if cells > 8 * len(doc):
        return np.unique(doc << 32 | term, return_counts=True)
    counts = np.bincount((doc - first) * n_terms + term, minlength=cells)
    cell = np.flatnonzero(counts)
    return (cell // n_terms + first) << 32 | cell % n_terms, counts[cell]


def doc_rows(source: Any, vocab: Vocab, window: int | None = None,
             tags: Callable[[Any, Any], None] | None = None) -> Iterator[tuple[Any, Any]]:
    """The (document, term) counts of the tokens, a few whole documents at a time.

    Yields ``(keys, counts)``: keys ``document id << 32 | term id`` ascending, int64 counts.
    A document whose rows are next to each other comes in one piece, once; rows of one
    document that are apart come as several pieces.

    Args:
        source: ``segment/tokens`` as a ``pa.Table`` or a stored table read batch by batch;
            columns doc_id, tokens and pos are used, null tokens skipped.
        vocab: Ids, grown with the terms and documents seen (the same ids on a second pass).
        window: Token occurrences counted at a time (default ``WINDOW``).
        tags: Called with (term ids, POS tag ids) of the tagged tokens, if given.

    Raises:
        BadParams: the table lacks one of the columns.
    """
    pending = (np.empty(0, np.int64), np.empty(0, np.int64))  # the last document seen
    for doc, term in _windows(source, vocab, window or WINDOW, tags):
        keys, counts = _pair_counts(doc, term, len(vocab.terms.names))
        if len(pending[0]):
            keys, counts = sum_by_key(np.r_[pending[0], keys], np.r_[pending[1], counts])
        last = keys >> 32 == doc[-1]
        pending = (keys[last], counts[last])
        if not last.all():
            yield keys[~last], counts[~last]
    if len(pending[0]):
        yield pending


class KeyCounts:
    """Counts by int64 key, summed from parts as they come.

    The parts are summed into one when they hold more than ``floor`` entries and more than
    twice the last sum, so summing costs O(n log n) overall however many parts come.
    """

    def __init__(self, floor: int) -> None:
        self.parts: list[tuple[Any, Any]] = []
        self.held = self.merged = 0
        self.floor = floor

    def add(self, keys: Any, counts: Any) -> None:
        self.parts.append((keys, counts))
        self.held += len(keys)
        if self.held > max(self.floor, 2 * self.merged):
            self.parts = [self.total()]
            self.held = self.merged = len(self.parts[0][0])

    def total(self) -> tuple[Any, Any]:
        """Distinct keys (ascending) and their summed counts."""
        if not self.parts:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return sum_by_key(*map(np.concatenate, zip(*self.parts, strict=True)))


class _TagCounts(KeyCounts):
    """(term, POS tag) occurrences."""

    def __call__(self, term: Any, tag: Any) -> None:
        if tag.max(initial=0) >= 1 << TAG_BITS:
            raise BadParams(f"terms: more than {1 << TAG_BITS} distinct POS tags")
        self.add(*np.unique(term << TAG_BITS | tag, return_counts=True))


def _add(total: Any, ids: Any, weights: Any | None, size: int) -> Any:
    """``total`` (grown to ``size``) plus the per-id sums of ``weights`` (or of ones)."""
    if len(total) < size:
        total = np.r_[total, np.zeros(max(size - len(total), len(total)), np.int64)]
    total[:size] += np.bincount(ids, weights=weights, minlength=size).astype(np.int64)
    return total


def count_tokens(source: Any, window: int | None = None) -> Counts:
    """Pass 1: the vocabulary, each term's tf, df and POS tag counts.

    Args:
        source: ``segment/tokens`` (see ``doc_rows``).
        window: Token occurrences counted at a time (default ``WINDOW``).
    """
    vocab = Vocab()
    tags = _TagCounts(4 * (window or WINDOW))
    tf = df = np.zeros(0, np.int64)
    done = -1  # the largest document id handed over so far
    apart = False
    for keys, counts in doc_rows(source, vocab, window, tags):
        docs, term = keys >> 32, keys & _LOW
        apart = apart or bool(docs[0] <= done)
        done = max(done, int(docs[-1]))
        size = len(vocab.terms.names)
        tf, df = _add(tf, term, counts, size), _add(df, term, None, size)
    size = len(vocab.terms.names)
    tf, df = _add(tf, tf[:0], None, size)[:size], _add(df, df[:0], None, size)[:size]
    tag_keys, tag_n = tags.total()
    return Counts(vocab=vocab, tf=tf, df=df, tag_term=tag_keys >> TAG_BITS,
                  tag=tag_keys & ((1 << TAG_BITS) - 1), tag_n=tag_n, apart=apart)


class _Matrix:
    """Pieces of rows grown in ``array`` buffers (amortised growth, no doubling copies)."""

    def __init__(self) -> None:
        self.doc, self.lengths = array("q"), array("q")
        self.col, self.cnt = array("i"), array("i")

    def append(self, keys: Any, counts: Any) -> None:
        """Append rows from ``keys`` (document id << 32 | term id, ascending) and counts."""
        docs = keys >> 32
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        self.doc.frombytes(docs[starts].astype(np.int64).tobytes())
        self.lengths.frombytes(np.diff(np.r_[starts, len(keys)]).astype(np.int64).tobytes())
        self.col.frombytes((keys & _LOW).astype(np.int32).tobytes())
        if counts.max(initial=0) > np.iinfo(np.int32).max:
            raise BadParams("terms: a term occurs more than 2^31 times in one document")
        self.cnt.frombytes(counts.astype(np.int32).tobytes())


def count_matrix(source: Any, vocab: Vocab, window: int | None = None) -> tuple[Any, Any, Any]:
    """The document x term matrix of a tokens table (used when documents' rows are apart).

    Returns:
        ``(indptr, col, cnt)``: row ``i`` (document id ``i``) holds term ids ``col`` (int32,
        ascending) and counts ``cnt`` (int32) at ``indptr[i]:indptr[i + 1]``.
    """
    pieces = _Matrix()
    for keys, counts in doc_rows(source, vocab, window):
        pieces.append(keys, counts)
    doc, lengths = (np.frombuffer(pieces.doc, dtype=np.int64),
                    np.frombuffer(pieces.lengths, dtype=np.int64))
    col, cnt = np.frombuffer(pieces.col, dtype=np.int32), np.frombuffer(pieces.cnt, dtype=np.int32)
    n_docs = len(vocab.docs.names)
    if not np.array_equal(doc, np.arange(n_docs)):  # pieces of a document apart: sum them
        keys, counts = sum_by_key(np.repeat(doc, lengths) << 32 | col.astype(np.int64),
                                  cnt.astype(np.int64))
        pieces = _Matrix()
        pieces.append(keys, counts)
        lengths = np.frombuffer(pieces.lengths, dtype=np.int64)
        col = np.frombuffer(pieces.col, dtype=np.int32)
        cnt = np.frombuffer(pieces.cnt, dtype=np.int32)
    return np.r_[0, np.cumsum(lengths)], col, cnt
