"""The topic corpus built from ``segment/tokens`` a batch at a time.

One pass over the token batches gives every token a number (the distinct words seen so far, in
order of first sight) and the unit it belongs to (a document, or a (document, paragraph) with
``unit=paragraph``, numbered in order of first sight); per batch only the distinct words become
Python strings. Everything after that is numpy on one ``int32`` per token: document frequencies,
the vocabulary, and the bags of :class:`~pipelines.topics.corpus.Bags`. The result equals
grouping every sentence's token list into units and filtering them word by word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import BadParams
from pipelines.topics.corpus import Bags, sorted_unique

__all__ = ["Encoded", "encode_batches", "document_frequencies", "vocabulary"]

#: tokens of the units whose distinct words are sorted at once
CHUNK = 1 << 21


@dataclass
class Encoded:
    """Every kept token of every unit, as word numbers.

    Attributes:
        words: Word number -> word (each distinct token that passed the language filter).
        bags: Each unit's tokens as word numbers, units in order of first sight.
        doc_ids: Each unit's document.
        para_ids: Each unit's paragraph (None with document units).
    """

    words: list[str]
    bags: Bags
    doc_ids: list[str]
    para_ids: list[int | None]


def encode_batches(batches: Iterable[pa.RecordBatch], unit: str,
                   keep: Callable[[str], bool]) -> Encoded:
    """Number the tokens of ``doc_id``/``para_id``/``tokens`` batches, unit by unit.

    Args:
        batches: Record batches with the columns ``doc_id``, ``para_id`` and ``tokens``.
        unit: ``"document"`` or ``"paragraph"``.
        keep: The language filter; empty and null tokens are dropped too.

    Returns:
        The units in order of first sight, each with its tokens in table order.
    """
    number: dict[str, int] = {}
    words: list[str] = []
    index: dict[tuple[str, int | None], int] = {}
    doc_ids: list[str] = []
    para_ids: list[int | None] = []
    token_ids: list[np.ndarray] = []
    # each batch's units as runs (unit, tokens): a few per batch, not one int32 per token
    run_units: list[np.ndarray] = []
    run_lengths: list[np.ndarray] = []
    for batch in batches:
        if not batch.num_rows:
            continue
        docs = batch.column("doc_id").to_pylist()
        paras = (batch.column("para_id").to_pylist() if unit == "paragraph"
                 else [None] * batch.num_rows)
        row_unit = np.empty(batch.num_rows, dtype=np.int32)
        for r, key in enumerate(zip(docs, paras, strict=True)):
            u = index.get(key)
            if u is None:
                u = index[key] = len(doc_ids)
                doc_ids.append(key[0])
                para_ids.append(key[1])
            row_unit[r] = u
        lists = batch.column("tokens")
        values = pc.list_flatten(lists)
        if not len(values):
            continue
        parents = pc.list_parent_indices(lists).to_numpy()
        encoded = values.dictionary_encode()
        mapping = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)
        for j, w in enumerate(encoded.dictionary.to_pylist()):
            if not w or not keep(w):
                mapping[j] = -1
                continue
            n = number.get(w)
            if n is None:
                n = number[w] = len(words)
                words.append(w)
            mapping[j] = n
        # a null token has a null index: it takes the last entry of mapping, -1
        local = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy()
        ids = mapping[local]
        kept = ids >= 0
        token_ids.append(ids[kept].astype(np.int32))
        units, lengths = _runs(row_unit[parents[kept]])
        run_units.append(units)
        run_lengths.append(lengths)
        del ids, kept, local, parents
    ids = _drain(token_ids)
    units = np.concatenate(run_units) if run_units else np.zeros(0, dtype=np.int32)
    lengths = np.concatenate(run_lengths) if run_lengths else np.zeros(0, dtype=np.int64)
    if len(units) and np.any(units[1:] < units[:-1]):
        # a unit's rows were not all together: order the tokens by unit (stable)
        order = np.argsort(np.repeat(units, lengths), kind="stable")
        ids = ids[order]
    counts = (np.bincount(units, weights=lengths, minlength=len(doc_ids)).astype(np.int64)
              if len(doc_ids) else np.zeros(0, np.int64))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return Encoded(words, Bags(ids, offsets), doc_ids, para_ids)


def _runs(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run-length form of a unit number per token: (unit of each run, tokens in it)."""
    if not len(units):
        return units[:0], np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], units[1:] != units[:-1]]))
    return units[starts], np.diff(np.append(starts, len(units))).astype(np.int64)


def _drain(chunks: list[np.ndarray]) -> np.ndarray:
    """The chunks concatenated, each freed once copied: the peak is the result plus one chunk
    (``np.concatenate`` would hold every chunk and the whole result at once)."""
    out = np.empty(sum(len(c) for c in chunks), dtype=np.int32)  # pages used as filled
    at = 0
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        out[at:at + len(chunk)] = chunk
        at += len(chunk)
        del chunk
    return out


def document_frequencies(bags: Bags, n_words: int) -> np.ndarray:
    """Units containing each word: distinct (unit, word) pairs counted a chunk of units at a
    time (about ``CHUNK`` tokens), which bounds the memory of the sort."""
    df = np.zeros(n_words, dtype=np.int64)
    lengths = bags.lengths()
    ends = np.searchsorted(bags.offsets, np.arange(CHUNK, bags.offsets[-1], CHUNK), "right")
    bounds = sorted_unique(np.concatenate([[0], ends - 1, [len(bags)]]).clip(0, len(bags)))
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        unit = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths[lo:hi])
        pairs = sorted_unique(unit * n_words + bags.ids[bags.offsets[lo]:bags.offsets[hi]])
        df += np.bincount(pairs % n_words, minlength=n_words)
    return df


def vocabulary(encoded: Encoded, min_df: int, max_df: float, top_n: int
               ) -> tuple[tuple[str, ...], np.ndarray]:
    """Terms within the df bounds, capped to the ``top_n`` most frequent, sorted.

    Returns:
        ``(vocab, column)``: the terms, and for each word number its column in ``vocab``
        (``len(vocab)`` for a word outside it).

    Raises:
        BadParams: no term passes the bounds.
    """
    bags, n_words = encoded.bags, len(encoded.words)
    df = document_frequencies(bags, n_words)
    tf = np.bincount(bags.ids, minlength=n_words)
    n = len(bags)
    kept = np.flatnonzero((df >= min_df) & (df <= max_df * n))
    if not len(kept):
        raise BadParams(f"topics: 0 of {n_words} terms pass min_df={min_df}, "
                        f"max_df={max_df:g}; relax one bound")
    words = encoded.words
    if top_n and len(kept) > top_n:
        kept = np.array(sorted(kept.tolist(), key=lambda j: (-int(tf[j]), words[j]))[:top_n])
    vocab = tuple(sorted(words[j] for j in kept))
    column = np.full(n_words + 1, len(vocab), dtype=np.int32)
    position = {w: c for c, w in enumerate(vocab)}
    for j in kept.tolist():
        column[j] = position[words[j]]
    return vocab, column[:n_words]
