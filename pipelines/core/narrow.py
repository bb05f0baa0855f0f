"""What one analysis reads of the shared tables: a subset of documents, fewer words.

The terms, topics, network and code stages read the same ``ingest/documents`` and
``segment/tokens``. Each may narrow them for itself, without touching those tables:

* ``where`` (:mod:`pipelines.core.where`) keeps the documents that pass a filter over
  documents columns, and the token rows of those documents;
* ``stopwords`` (files, one word per line) and ``pos`` (POS tag prefixes) drop tokens from
  the token lists of this analysis only (the tokens' ``pos`` list is cut in step).

A stored input is narrowed a part file at a time into parts of the run's spool folder (removed
when the run ends), one part per input part, so a stage's workers read the narrowed parts as
they read the originals; a table in memory (tests) is narrowed in memory. Nothing is narrowed,
and nothing written, when the stage sets none of the three.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.errors import BadInputFile, EmptyCorpus
from pipelines.core.where import parse, selected_ids

__all__ = ["Narrowing", "narrow", "load_words", "TOKENS", "DOCUMENTS"]

TOKENS = "segment/tokens"
DOCUMENTS = "ingest/documents"

log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Narrowing:
    """How a stage narrows its inputs (all empty: not at all)."""

    where: str | None = None
    stopwords: tuple[str, ...] = ()
    pos: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.where or self.stopwords or self.pos)


def load_words(path: str | Path) -> list[str]:
    """A word list: one word per line (blank lines skipped), UTF-8 with or without BOM.

    Raises:
        BadInputFile: the file is not UTF-8, or a line holds several words.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise BadInputFile(f"{path} is not UTF-8 text ({err.reason} at byte {err.start}); save "
                           "the word list as UTF-8") from None
    words = []
    for number, raw in enumerate(lines, 1):
        word = raw.strip()
        if not word:
            continue
        if len(word.split()) > 1:
            raise BadInputFile(f"{path}, line {number}: {word[:40]!r} holds several words; put "
                               "one word per line")
        words.append(word)
    return words


def narrow(tables: dict[str, Any], stage: str, how: Narrowing) -> dict[str, Any]:
    """``tables`` with the documents and tokens narrowed as ``how`` says (the rest as given).

    Args:
        tables: The stage's input tables (``pa.Table`` or :class:`store.StoredTable`).
        stage: The stage's name, for log lines and messages.
        how: The filter, stopword files and POS prefixes; with ``where`` the documents are
            narrowed too (groups, years and counts of documents are then the subset's).

    Raises:
        BadParams: ``where`` does not parse, or names a column the documents lack.
        BadInputFile: a stopword file is malformed.
        EmptyCorpus: no document passes ``where``.
    """
    if not how:
        return tables
    out = dict(tables)
    ids = None
    if how.where:
        docs = tables[DOCUMENTS]
        ids = selected_ids(docs, parse(how.where))
        total = docs.num_rows
        log.info("%s: where %s keeps %d of %d documents", stage, how.where, len(ids), total)
        if not len(ids):
            raise EmptyCorpus(f"{stage}: no document of {total} passes where {how.where!r}; "
                              "check the values with `wenmai show documents`")
        out[DOCUMENTS] = _filtered(docs, lambda t: t.filter(pc.is_in(
            t.column("doc_id"), value_set=ids)), DOCUMENTS)
    stop = pa.array(sorted({w for p in how.stopwords for w in load_words(p)}), pa.string())
    if TOKENS in tables:
        out[TOKENS] = _filtered(tables[TOKENS], lambda t: _tokens(t, ids, stop, how.pos), TOKENS)
    return out


#: Rows read at a time: documents carry their texts, token rows are short
_ROWS = {DOCUMENTS: 2048, TOKENS: store.BATCH_ROWS}


def _filtered(source: Any, keep: Any, name: str) -> Any:
    """``keep`` applied to ``source``: in memory for a table, else a part file at a time into
    the spool folder (a part left empty is not written)."""
    if not isinstance(source, store.StoredTable):
        return keep(source)
    writer = store.PartWriter(source.schema, name)
    for path in source.files:
        part = store.StoredTable([path], name, source.schema)
        kept = [keep(pa.Table.from_batches([b])) for b in part.iter_batches(rows=_ROWS[name])]
        table = pa.concat_tables(kept) if kept else source.schema.empty_table()
        if table.num_rows:
            writer.write(table.combine_chunks())
    return writer.finish()


def _tokens(table: pa.Table, ids: pa.Array | None, stop: pa.Array,
            pos: Sequence[str]) -> pa.Table:
    """The rows of ``ids`` (all when None), their token lists without ``stop`` and, with
    ``pos``, only the tokens whose tag starts with one of its prefixes."""
    if ids is not None:
        table = table.filter(pc.is_in(table.column("doc_id"), value_set=ids))
    if not table.num_rows or (not len(stop) and not pos):
        return table
    tokens = table.column("tokens").combine_chunks()
    flat = pc.list_flatten(tokens)
    keep = pc.invert(pc.is_in(flat, value_set=stop)) if len(stop) else None
    tags = None
    if "pos" in table.column_names:
        tags = table.column("pos").combine_chunks()
    if pos:
        if tags is None:
            raise EmptyCorpus("segment/tokens has no pos column; rerun `wenmai segment --force` "
                              "or leave the pos filter empty")
        tagged = _prefixed(pc.list_flatten(tags), pos)
        keep = tagged if keep is None else pc.and_(keep, tagged)
    mask = pc.fill_null(keep, False)
    parents = pc.list_parent_indices(tokens).to_numpy(zero_copy_only=False)
    counts = np.bincount(parents[mask.to_numpy(zero_copy_only=False)],
                         minlength=table.num_rows)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    table = _set(table, "tokens", pa.ListArray.from_arrays(offsets, flat.filter(mask)))
    if tags is not None:
        table = _set(table, "pos", pa.ListArray.from_arrays(
            offsets, pc.list_flatten(tags).filter(mask)))
    return table


def _prefixed(tags: pa.Array, prefixes: Iterable[str]) -> pa.Array:
    found = None
    for prefix in prefixes:
        hit = pc.starts_with(tags, prefix)
        found = hit if found is None else pc.or_(found, hit)
    return found


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    index = table.column_names.index(name)
    field = table.schema.field(name)
    return table.set_column(index, field, values.cast(field.type))
