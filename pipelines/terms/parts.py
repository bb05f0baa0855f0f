"""The terms stage's work on units of ``segment/tokens``: per-unit counts (map) and keywords.

A unit is a run of consecutive part files of the tokens dataset holding at least
``UNIT_ROWS`` sentence rows, cut only between parts that do not share a document (a pa.Table
or a one-file table is one unit). Units depend on the data alone, so they are the same for
any number of workers and on every engine, and each can run as an engine task
(``pipelines.core.engine.map_stream``: forked workers, fresh processes or Dask tasks) that
reads its files itself:

- pass 1, ``count_unit``: the unit's own vocabulary (terms in order of first appearance),
  each term's tf, df and POS tag counts, its documents' count and an 8-byte hash of each
  doc_id (to see that no document lies in two units). The stage sums these in unit order.
- pass 2, ``keyword_unit``: the keywords of the unit's documents, scored against the corpus
  totals (``Scoring``), written as part files of ``terms/keywords`` in document order by the
  task itself (a new part every ``PART_ROWS`` keyword rows, at a document boundary), and
  with ``--by`` the unit's (group, term) counts, returned to be summed.

The unit's term ids are mapped to the corpus's by an int32 array the stage saves in the run's
spool folder after pass 1 (``ids_path``): what a task needs is a file path, never the whole
vocabulary.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.core import store
from pipelines.core.errors import BadParams, SchemaError
from pipelines.terms.count import (
    COLUMNS,
    TAG_BITS,
    Counts,
    KeyCounts,
    Vocab,
    count_tokens,
    doc_rows,
)
from pipelines.terms.keywords import Keywords
from pipelines.terms.score import keyword_columns

__all__ = ["PART_ROWS", "UNIT_ROWS", "KeywordParts", "Scoring", "Totals", "UnitCounts",
           "UnitKeywords", "count_unit", "doc_hashes", "keyword_unit", "source_of", "units"]

#: Sentence rows of ``segment/tokens`` a unit holds at least (a 1 GB corpus: 1,340 parts of
#: about 5,900 rows, so about 120 units of 11 parts)
UNIT_ROWS = 65_536
#: Keyword rows a task holds before it writes them as a part of ``terms/keywords``
PART_ROWS = 1 << 17

#: A unit: the part files it reads (paths as strings), or a table in memory.
Unit = tuple[str, ...] | pa.Table


def _ends(path: Path) -> tuple[int, Any, Any]:
    """Rows of a part file, and the doc_id of its first and last row."""
    try:
        parquet = pq.ParquetFile(path, pre_buffer=False)
        rows = parquet.metadata.num_rows
        if not rows:
            return 0, None, None
        first = parquet.read_row_group(0, columns=["doc_id"]).column(0)
        last = parquet.read_row_group(parquet.num_row_groups - 1, columns=["doc_id"]).column(0)
    except (pa.ArrowException, OSError, KeyError) as err:
        raise SchemaError(f"{path} is not a readable tokens part ({err}); rerun `wenmai "
                          "segment --force`") from err
    return rows, first[0].as_py(), last[-1].as_py()


def units(source: Any, unit_rows: int | None = None) -> list[tuple[Unit, int]]:
    """The units of ``source`` with their rows: runs of consecutive part files of at least
    ``unit_rows`` (default ``UNIT_ROWS``) rows, never cut between two parts that share a
    document; a table in memory is one unit."""
    missing = [c for c in COLUMNS if c not in source.schema.names]
    if missing:
        raise BadParams(f"terms: tokens table lacks {', '.join(missing)}; rerun `wenmai segment`")
    if not isinstance(source, store.StoredTable):
        return [(source, source.num_rows)]
    limit = unit_rows or UNIT_ROWS
    out: list[tuple[Unit, int]] = []
    files: list[str] = []
    rows = 0
    last = None
    for path in source.files:
        n, first, end = _ends(path)
        if files and rows >= limit and n and first != last:
            out.append((tuple(files), rows))
            files, rows = [], 0
        files.append(str(path))
        rows += n
        if n:
            last = end
    if files or not out:
        out.append((tuple(files), rows))
    return out


def source_of(unit: Unit) -> Any:
    """The tokens of a unit, to read a batch at a time."""
    if isinstance(unit, tuple):
        return store.StoredTable([Path(f) for f in unit], "segment/tokens")
    return unit


@dataclass
class UnitCounts:
    """Pass 1 of one unit, in the unit's own term ids.

    Attributes:
        terms: The unit's terms (distinct strings, by the unit's term id).
        tf, df: Occurrences and documents of each term (int64).
        tag_term, tag, tag_n: Occurrences of a term with a POS tag (ids into ``tags``).
        tags: The unit's POS tags.
        n_docs: Documents with a token.
        doc_hashes: An 8-byte hash of each of those documents' doc_id (uint64).
        apart: Some document's rows are apart within the unit.
    """

    terms: pa.Array
    tf: Any
    df: Any
    tag_term: Any
    tag: Any
    tag_n: Any
    tags: pa.Array
    n_docs: int
    doc_hashes: Any
    apart: bool


def doc_hashes(doc_ids: list[str]) -> Any:
    """An 8-byte blake2b hash of each doc_id (the same in every process, unlike ``hash``)."""
    return np.array([int.from_bytes(hashlib.blake2b(d.encode("utf-8"), digest_size=8).digest(),
                                    "little") for d in doc_ids], dtype=np.uint64)


def count_unit(item: tuple[int, Unit]) -> UnitCounts:
    """Pass 1 of a unit (``item``: its index and the unit): its vocabulary, tf, df and POS
    tags (``count.count_tokens``)."""
    counts = count_tokens(source_of(item[1]))
    return UnitCounts(terms=pa.array(counts.terms, pa.string()), tf=counts.tf, df=counts.df,
                      tag_term=counts.tag_term, tag=counts.tag, tag_n=counts.tag_n,
                      tags=pa.array(counts.tags, pa.string()), n_docs=len(counts.docs),
                      doc_hashes=doc_hashes(counts.docs), apart=counts.apart)


class Totals:
    """The corpus's pass 1, summed from the units' in unit order: terms get the ids they
    would get counting the whole table in one pass (order of first appearance)."""

    def __init__(self, floor: int) -> None:
        self.vocab = Vocab()
        self.tf = self.df = np.zeros(0, np.int64)
        self.tags = KeyCounts(floor)
        self.n_docs = 0
        self.hashes = array("Q")
        self.apart = False

    def add(self, unit: UnitCounts) -> Any:
        """Add a unit's counts; return the corpus's id of each of its terms (int64)."""
        ids = self.vocab.terms.of(unit.terms)
        size = len(self.vocab.terms.names)
        if len(self.tf) < size:  # grown by at least half, so copies cost O(n) overall
            grow = max(size, len(self.tf) * 3 // 2) - len(self.tf)
            self.tf, self.df = (np.r_[a, np.zeros(grow, np.int64)] for a in (self.tf, self.df))
        self.tf[ids] += unit.tf  # ids are distinct
        self.df[ids] += unit.df
        tags = self.vocab.tags.of(unit.tags)
        if len(self.vocab.tags.names) > 1 << TAG_BITS:
            raise BadParams(f"terms: more than {1 << TAG_BITS} distinct POS tags")
        self.tags.add(ids[unit.tag_term] << TAG_BITS | tags[unit.tag], unit.tag_n)
        self.n_docs += unit.n_docs
        self.hashes.frombytes(unit.doc_hashes.astype(np.uint64).tobytes())
        self.apart = self.apart or unit.apart
        return ids

    def finish(self) -> Counts:
        """The corpus's counts (``vocab.docs`` stays empty: see ``n_docs``); ``apart`` also
        when a document lies in two units (two doc_ids with one hash count as that too)."""
        size = len(self.vocab.terms.names)
        hashes = np.frombuffer(self.hashes, dtype=np.uint64)
        apart = self.apart or len(np.unique(hashes)) < len(hashes)
        keys, n = self.tags.total()
        return Counts(vocab=self.vocab, tf=self.tf[:size].copy(), df=self.df[:size].copy(),
                      tag_term=keys >> TAG_BITS, tag=keys & ((1 << TAG_BITS) - 1), tag_n=n,
                      apart=apart)


@dataclass(frozen=True)
class Scoring:
    """What every unit's pass 2 needs of the corpus (arrays by the corpus's term id).

    Attributes:
        kept: Whether a term reaches min_df.
        tf: Occurrences of each term (zero where not kept).
        idf: Idf of each term for TF-IDF; None for keyness.
        term_rank: Position of each term in code-point order.
        grand: Occurrences of every kept term.
        method, min_keyness, top: The stage's parameters.
        block: Entries scored at a time.
        group_of: With ``--by``, the group of each labelled doc_id; else None.
        n_terms: Terms in the corpus.
        schema: The schema of ``terms/keywords``.
        part_rows: Keyword rows a task holds before it writes them as a part (read in the
            process that plans the work, so a worker elsewhere cuts the same parts).
    """

    kept: Any
    tf: Any
    idf: Any | None
    term_rank: Any
    grand: float
    method: str
    min_keyness: float
    top: int
    block: int
    group_of: dict[str, int] | None
    n_terms: int
    schema: pa.Schema
    part_rows: int = PART_ROWS


class KeywordParts:
    """Keywords of documents handed over a few at a time, written as part files of
    ``terms/keywords`` every ``rows`` keyword rows (at a document boundary)."""

    def __init__(self, found: Keywords, schema: pa.Schema, method: str, prefix: Path,
                 rows: int) -> None:
        self.found, self.schema, self.method, self.prefix = found, schema, method, prefix
        self.limit = rows
        self.paths: list[str] = []
        self.rows = 0

    def flush(self, terms: list[str], docs: list[str], *, last: bool = False) -> None:
        """Write the held keywords as the next part (``terms``/``docs``: names by id) once
        they reach the limit, or at the end (``last``) if there are any."""
        if self.found.held < self.limit and not (last and self.found.held):
            return
        unit, columns = keyword_columns(self.found.rows(), pa.array(terms, pa.string()),
                                        self.method)
        table = pa.table({"doc_id": pa.array(docs, pa.string()).take(pa.array(unit)),
                          **columns}, schema=self.schema)
        path = self.prefix.with_name(f"{self.prefix.name}-{len(self.paths):05d}.parquet")
        self.rows += store.write_part(path, table)
        self.paths.append(str(path))


@dataclass
class UnitKeywords:
    """Pass 2 of one unit: its keyword part files (in order), their rows, and with ``--by``
    the (group, term) counts (keys ``group * n_terms + term``, ascending, and counts)."""

    paths: list[str]
    rows: int
    group_keys: Any
    group_n: Any


def keyword_unit(item: tuple[int, Unit, str, str], scoring: Scoring) -> UnitKeywords:
    """Pass 2 of a unit: its documents' keywords written as parts, its group counts returned.

    Args:
        item: (unit index, unit, path of the unit's term ids in the corpus (an int32 ``.npy``),
            path prefix of the keyword parts it writes).
        scoring: The corpus totals.
    """
    _, unit, ids_path, prefix = item
    ids = np.load(ids_path).astype(np.int64)
    found = Keywords(kept=scoring.kept[ids], tf=scoring.tf[ids],
                     idf=None if scoring.idf is None else scoring.idf[ids],
                     min_keyness=scoring.min_keyness, top=scoring.top,
                     term_rank=scoring.term_rank[ids], block=scoring.block,
                     grand=scoring.grand)
    parts = KeywordParts(found, scoring.schema, scoring.method, Path(prefix),
                         scoring.part_rows)
    groups = KeyCounts(4 * scoring.block) if scoring.group_of is not None else None
    of_doc = np.empty(0, np.int64)
    vocab = Vocab()
    for keys, n in doc_rows(source_of(unit), vocab):
        doc, term, n = found.add(keys >> 32, keys & 0xFFFFFFFF, n)
        if groups is not None and len(doc):
            names = vocab.docs.names
            if len(of_doc) < len(names):
                get = scoring.group_of.get
                of_doc = np.r_[of_doc, np.fromiter((get(d, -1) for d in names[len(of_doc):]),
                                                   dtype=np.int64)]
            group = of_doc[doc]
            on = group >= 0
            groups.add(group[on] * scoring.n_terms + ids[term[on]], n[on])
        parts.flush(vocab.terms.names, vocab.docs.names)
    parts.flush(vocab.terms.names, vocab.docs.names, last=True)
    keys, counts = groups.total() if groups is not None else (np.empty(0, np.int64),) * 2
    return UnitKeywords(paths=parts.paths, rows=parts.rows, group_keys=keys, group_n=counts)
