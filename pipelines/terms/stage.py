"""Term statistics and keywords (keyness or TF-IDF) per document and per group of documents.

Reads ``segment/tokens`` and ``ingest/documents`` (for ``by``); writes ``terms/terms`` (one
row per term: lang, most frequent POS tag, total count ``tf``, document frequency ``df``,
``idf``), ``terms/keywords`` (the ``top_keywords`` keywords of each document, a dataset of
parts in document order: the order of the tokens table) and ``terms/group_keywords`` (when
``by`` names a documents column such as year or group, the keywords of each group of
documents against the other groups; empty without ``by``).

Keyness (the default), for a term with ``a`` occurrences in the target (a document or group)
of ``c`` tokens and ``b`` occurrences in the rest of the corpus of ``d`` tokens:

* log-likelihood ``G2 = 2 (a ln(a/E1) + b ln(b/E2))`` with ``E1 = c (a+b) / (c+d)``,
  ``E2 = d (a+b) / (c+d)`` and ``0 ln 0 = 0`` (Dunning 1993; the two-cell form of Rayson &
  Garside 2000, which AntConc, WordSmith and Lancaster's log-likelihood wizard compute);
* log ratio ``log2((a/c) / (b/d))``, a zero count taken as 0.5 (Hardie 2014): +1 means twice
  as frequent as in the rest of the corpus.

Keywords are the terms used more in the target than in the rest (``a/c > b/d``) with
``G2 >= min_keyness`` (3.84: p < 0.05 at one degree of freedom; 6.63: p < 0.01; 10.83:
p < 0.001), ranked by G2 (``score``), ties by term (code-point order).

TF-IDF (``method = "tfidf"``): ``idf = ln(N / df)`` with ``N`` the documents that kept a token
(Spärck Jones 1972), zero for a term in every document, so such a term is never a keyword;
``score = (count in the document / tokens in the document) * idf``; terms scoring 0 dropped.

Memory and engines: the tokens are read a batch at a time, twice, a unit (a run of part
files of ``segment/tokens``, ``parts.py``) at a time; each unit's counting can run as an
engine task (forked workers, fresh processes or Dask, ``workers``). Pass 1 counts each unit's
terms (tf, df, POS tags) and the stage sums them; pass 2 scores each unit's documents against
the corpus totals and the task writes their keywords as parts of ``terms/keywords``
(``keywords.py``, ``score.py``). What grows with the corpus is the vocabulary and 8 bytes per
document (a hash of its doc_id, to check that no document lies in two units); see
docs/keyness.md.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.engine import can_fork, map_stream, resolve_workers
from pipelines.core.errors import EmptyCorpus
from pipelines.core.narrow import Narrowing, narrow
from pipelines.core.params import param
from pipelines.core.script import has_han
from pipelines.core.where import parse
from pipelines.terms import parts as units_of
from pipelines.terms.count import Counts, count_matrix, count_tokens
from pipelines.terms.groups import Groups, check_by, document_groups
from pipelines.terms.keywords import GroupCounts, Keywords
from pipelines.terms.parts import (
    KeywordParts,
    Scoring,
    Totals,
    count_unit,
    keyword_unit,
    units,
)
from pipelines.terms.score import FIELDS, keyness, keyword_columns, pick, spans

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "STREAMED",
    "SCHEMAS",
    "TERMS_SCHEMA",
    "KEYWORDS_SCHEMA",
    "GROUP_KEYWORDS_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "keyness",
]

NAME = "terms"
INPUTS = ("segment/tokens", "ingest/documents")
OUTPUTS = ("terms", "keywords", "group_keywords")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("numpy",)
#: read a batch at a time (tokens) or only two columns (documents, with ``by``)
STREAMED = ("segment/tokens", "ingest/documents")

TERMS_SCHEMA = pa.schema([
    ("term", pa.string()),
    ("lang", pa.string()),
    ("pos", pa.string()),
    ("tf", pa.int64()),
    ("df", pa.int64()),
    ("idf", pa.float64()),
])
#: The columns a keyword has wherever it is listed (per document or per group).
_KEYWORD_FIELDS = [
    ("term", pa.string()),
    ("score", pa.float64()),
    ("rank", pa.int32()),
    ("method", pa.string()),
    ("freq", pa.int64()),
    ("ref_freq", pa.int64()),
    ("g2", pa.float64()),
    ("log_ratio", pa.float64()),
]
KEYWORDS_SCHEMA = pa.schema([("doc_id", pa.string()), *_KEYWORD_FIELDS])
GROUP_KEYWORDS_SCHEMA = pa.schema([
    ("by", pa.string()),
    ("group", pa.string()),
    ("n_docs", pa.int64()),
    *_KEYWORD_FIELDS,
])
SCHEMAS = {"terms": TERMS_SCHEMA, "keywords": KEYWORDS_SCHEMA,
           "group_keywords": GROUP_KEYWORDS_SCHEMA}


@dataclass(frozen=True)
class Params:
    """Parameters of the terms stage."""

    method: str = param("keyness", "Keyword method: keyness (log-likelihood G2 against the "
                        "rest of the corpus, with log ratio) or tfidf.",
                        choices=("keyness", "tfidf"))
    top_keywords: int = param(10, "Keywords kept per document (and per group).",
                              min=1, max=1000)
    min_keyness: float = param(3.84, "Keyness: smallest G2 of a keyword (3.84: p < 0.05, "
                               "10.83: p < 0.001; 0 keeps every overused term).", min=0.0)
    by: str | None = param(None, "Also find the keywords of each group of documents sharing "
                           "a value of this documents column (year, group, ...), against the "
                           "other groups: terms/group_keywords.")
    min_df: int = param(1, "Drop terms found in fewer documents than this.", min=1)
    where: str | None = param(None, "Analyse only the documents passing this filter over "
                              "documents columns, e.g. \"year >= 2013\" (docs/subsets.md).")
    stopwords: tuple[str, ...] = param((), "Extra stopword lists (one word per line) for this "
                                       "analysis only; segment/tokens keeps the words.",
                                       path=True)
    pos: tuple[str, ...] = param((), "Count only tokens whose POS tag starts with one of these "
                                 "(e.g. n,v,vn); empty counts every token.")
    workers: int = param(0, "Worker processes (0 = all cores; on Dask, every worker thread).",
                         min=0, key=False)

    def __post_init__(self) -> None:
        if self.where:
            parse(self.where)


def external_inputs(params: Params) -> list[Path]:
    """The stage's own stopword lists."""
    return [Path(p) for p in params.stopwords]

#: (unit, term) counts scored at a time
BLOCK = 1 << 18
#: With workers > 1, the units of the tokens run in worker processes once the tokens reach
#: this many sentence rows: forked workers (Linux, local engine) start in milliseconds; fresh
#: processes and Dask workers first import wenmai (about 1 s): SPAWN_MIN_ROWS.
PARALLEL_MIN_ROWS = 100_000
SPAWN_MIN_ROWS = 400_000

log = logging.getLogger("wenmai")


def _pos_of(counts: Counts, ids: Any) -> pa.Array:
    """The most frequent POS tag of each term id in ``ids`` (ties: the first tag in order)."""
    tag_rank = _ranks(counts.tags)
    order = np.lexsort((tag_rank[counts.tag], -counts.tag_n, counts.tag_term))
    term = counts.tag_term[order]
    first = np.flatnonzero(np.r_[True, term[1:] != term[:-1]]) if len(term) else term
    best = np.full(len(counts.terms), -1, dtype=np.int64)
    best[term[first]] = counts.tag[order][first]
    tag = best[ids]
    return pa.array(counts.tags, pa.string()).take(pa.array(tag, mask=tag < 0))


def _ranks(strings: list[str]) -> Any:
    """Position of each string in code-point order (UTF-8 byte order is the same)."""
    rank = np.empty(len(strings), dtype=np.int64)
    rank[pc.sort_indices(pa.array(strings, pa.string())).to_numpy()] = np.arange(len(strings))
    return rank


def _matrix_counts(matrix: tuple[Any, Any, Any]) -> Iterator[tuple[Any, Any, Any]]:
    """(document id, term id, count) of blocks of whole rows of the document x term matrix."""
    indptr, col, cnt = matrix
    for i, j in spans(np.diff(indptr), BLOCK):
        lo, hi = indptr[i], indptr[j]
        yield np.repeat(np.arange(i, j), np.diff(indptr[i:j + 1])), col[lo:hi], cnt[lo:hi]


def _group_keywords(counted: tuple[Any, Any], groups: Groups, words: pa.Array, term_rank: Any,
                    params: Params) -> pa.Table:
    """Keywords of each group of documents (``params.by``) against the other groups, from the
    (group, term) counts (keys ``group * terms + term``)."""
    keys, n = counted
    unit, term = keys // len(words), keys % len(words)
    tf = np.bincount(term, weights=n, minlength=len(words)).astype(np.int64)
    bounds = np.r_[0, np.cumsum(np.bincount(unit, minlength=len(groups.labels)))]
    picked = []
    for i, j in spans(np.diff(bounds), BLOCK):  # a block of groups at a time
        lo, hi = bounds[i], bounds[j]
        got = pick(unit[lo:hi] - i, term[lo:hi], n[lo:hi], n_units=j - i, tf=tf,
                   grand=float(n.sum()), idf=None, min_keyness=params.min_keyness,
                   top=params.top_keywords, term_rank=term_rank)
        got["unit"] += i
        picked.append(got)
    rows = {k: np.concatenate([p[k] for p in picked]) if picked else np.empty(0, np.int64)
            for k in FIELDS}
    unit, columns = keyword_columns(rows, words, "keyness")
    return pa.table({"by": pa.array([params.by] * len(unit), pa.string()),
                     "group": pa.array(groups.labels, pa.string()).take(pa.array(unit)),
                     "n_docs": pa.array(groups.n_docs[unit], pa.int64()), **columns},
                    schema=GROUP_KEYWORDS_SCHEMA)


def _terms(counts: Counts, n_docs: int, params: Params,
           groups: Groups | None) -> tuple[pa.Table, Scoring]:
    """The terms table, and what scoring keywords needs of the corpus."""
    n_terms, tf, df = len(counts.terms), counts.tf, counts.df
    kept = df >= params.min_df
    if not kept.any():
        raise EmptyCorpus(f"terms: no term reaches min_df={params.min_df} in {n_docs} "
                          "documents; lower min_df")
    term_rank = _ranks(counts.terms)
    ids = np.flatnonzero(kept)
    ids = ids[np.lexsort((term_rank[ids], -tf[ids]))]
    idf = np.zeros(n_terms)
    idf[kept] = np.log(n_docs / df[kept])
    term_col = pa.array(counts.terms, pa.string()).take(pa.array(ids))
    terms = pa.table({
        "term": term_col,
        "lang": pa.array(["zh" if has_han(t) else "en" for t in term_col.to_pylist()]),
        "pos": _pos_of(counts, ids),
        "tf": pa.array(tf[ids], pa.int64()),
        "df": pa.array(df[ids], pa.int64()),
        "idf": pa.array(idf[ids], pa.float64()),
    }, schema=TERMS_SCHEMA)
    tf_kept = np.where(kept, tf, 0)
    scoring = Scoring(kept=kept, tf=tf_kept, idf=None if params.method == "keyness" else idf,
                      term_rank=term_rank, grand=float(tf_kept.sum()), method=params.method,
                      min_keyness=params.min_keyness, top=params.top_keywords, block=BLOCK,
                      group_of=groups.index if groups else None, n_terms=n_terms,
                      schema=KEYWORDS_SCHEMA, part_rows=units_of.PART_ROWS)
    return terms, scoring


def _workers(plan: list[tuple[Any, int]], workers: int) -> int:
    """The worker processes for ``plan``'s units: 1 unless there are two units or more and
    enough rows to pay for starting workers."""
    n = resolve_workers(workers)
    least = PARALLEL_MIN_ROWS if can_fork() else SPAWN_MIN_ROWS
    return n if n > 1 and len(plan) > 1 and sum(r for _, r in plan) >= least else 1


def _in_worker(func: Any, *shared: Any) -> Any:
    """``func(item, *shared)`` for a forked worker (pyarrow's allocator state copied by the
    fork is not used there)."""
    def run(item: Any, in_worker: bool) -> Any:
        if in_worker:
            pa.set_memory_pool(pa.system_memory_pool())
        return func(item, *shared)
    return run


def _by_units(tokens: Any, groups: Groups | None, params: Params, writer: store.PartWriter
              ) -> tuple[pa.Table, pa.Table | None] | None:
    """Both passes unit by unit (engine tasks when there are workers), keywords written to
    ``writer``: the terms table and the group keywords (with ``by``), or None when a
    document's rows are apart (then the whole matrix is needed)."""
    plan = units(tokens)
    workers = _workers(plan, params.workers)
    rows = sum(r for _, r in plan)
    log.info("terms: %d unit(s) of the tokens, %d worker(s)", len(plan), workers)
    folder = Path(tempfile.mkdtemp(prefix="terms-ids-", dir=store.spool_dir()))
    totals = Totals(1 << 16)
    id_paths = []
    for i, unit in enumerate(map_stream(count_unit, enumerate(u for u, _ in plan),
                                        workers=workers, label=NAME, unit="row", total=rows,
                                        weight=lambda item: plan[item[0]][1],
                                        forked=_in_worker(count_unit))):
        id_paths.append(str(folder / f"ids-{i:05d}.npy"))
        np.save(id_paths[-1], totals.add(unit).astype(np.int32))
    counts = totals.finish()
    if not totals.n_docs:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    if counts.apart:
        return None
    terms, scoring = _terms(counts, totals.n_docs, params, groups)
    words = pa.array(counts.terms, pa.string()) if groups else None
    del totals, counts  # the vocabulary's dict and strings: pass 2 needs only arrays
    summed = (GroupCounts(len(groups.labels), scoring.n_terms, floor=4 * BLOCK)
              if groups else None)
    written = 0
    items = ((i, unit, id_paths[i], str(writer.folder / f"unit-{i:05d}"))
             for i, (unit, _) in enumerate(plan))
    for done in map_stream(keyword_unit, items, scoring, workers=workers, label=NAME,
                           unit="row", total=rows, weight=lambda item: plan[item[0]][1],
                           forked=_in_worker(keyword_unit, scoring)):
        for path in done.paths:
            writer.add(path, written)
            written += 1
        if summed is not None:
            summed.add_keys(done.group_keys, done.group_n)
    if groups is None:
        return terms, None
    return terms, _group_keywords(summed.total(), groups, words, scoring.term_rank, params)


def _whole(tokens: Any, groups: Groups | None, params: Params, writer: store.PartWriter
           ) -> tuple[pa.Table, pa.Table | None]:
    """Both passes over the whole table, with the document x term matrix (a document's rows
    are apart); keywords written to ``writer``."""
    counts = count_tokens(tokens)
    matrix = count_matrix(tokens, counts.vocab)
    counts.df = np.bincount(matrix[1], minlength=len(counts.terms)).astype(np.int64)
    terms, scoring = _terms(counts, len(counts.docs), params, groups)
    found = Keywords(kept=scoring.kept, tf=scoring.tf, idf=scoring.idf,
                     min_keyness=params.min_keyness, top=params.top_keywords,
                     term_rank=scoring.term_rank, block=BLOCK)
    sink = KeywordParts(found, KEYWORDS_SCHEMA, params.method, writer.folder / "whole",
                        scoring.part_rows)
    summed = (GroupCounts(len(groups.labels), scoring.n_terms, floor=4 * BLOCK)
              if groups else None)
    of_doc = groups.of(counts.docs) if groups else None
    for doc, term, n in _matrix_counts(matrix):
        doc, term, n = found.add(doc, term, n)
        if summed is not None:
            summed.add(of_doc[doc], term, n)
        sink.flush(counts.terms, counts.docs)
    sink.flush(counts.terms, counts.docs, last=True)
    for i, path in enumerate(sink.paths):
        writer.add(path, i)
    if groups is None:
        return terms, None
    return terms, _group_keywords(summed.total(), groups, pa.array(counts.terms, pa.string()),
                                  scoring.term_rank, params)


def compute(tables: dict[str, Any], params: Params) -> dict[str, Any]:
    """Count terms and pick each document's (and each group's) keywords.

    Args:
        tables: ``{"segment/tokens": tokens, "ingest/documents": documents}``, each a
            ``pa.Table`` or a stored table read in batches (documents is needed only with
            ``by``, and then only its doc_id and ``by`` columns).
        params: Stage parameters.

    Returns:
        ``{"terms": ..., "keywords": ..., "group_keywords": ...}``; terms sorted by tf
        (descending) then term; keywords a dataset of parts (``store.StoredTable``) in
        document order (the order of the tokens table), each document's by rank; group
        keywords by group then rank (empty without ``by``).

    Raises:
        EmptyCorpus: no token at all, or no term reaches ``min_df``.
        BadParams: ``by`` is not a documents column.
    """
    tables = narrow(tables, NAME, Narrowing(params.where, params.stopwords, params.pos))
    documents, tokens = tables.get("ingest/documents"), tables["segment/tokens"]
    if params.by:
        check_by(documents, params.by)
    groups = document_groups(documents, params.by) if params.by else None
    writer = store.PartWriter(KEYWORDS_SCHEMA, "keywords")
    done = _by_units(tokens, groups, params, writer)
    if done is None:  # a document's rows are apart: df needs the whole matrix
        writer = store.PartWriter(KEYWORDS_SCHEMA, "keywords")
        done = _whole(tokens, groups, params, writer)
    terms, group_keywords = done
    if group_keywords is None:
        group_keywords = GROUP_KEYWORDS_SCHEMA.empty_table()
    return {"terms": terms, "keywords": writer.finish(), "group_keywords": group_keywords}
