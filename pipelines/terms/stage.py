"""Term statistics and keywords (keyness or TF-IDF) per document and per group of documents.

Reads ``segment/tokens`` and ``ingest/documents`` (for ``by``); writes ``terms/terms`` (one
row per term: lang, most frequent POS tag, total count ``tf``, document frequency ``df``,
``idf``), ``terms/keywords`` (the ``top_keywords`` keywords of each document) and
``terms/group_keywords`` (when ``by`` names a documents column such as year or group, the
keywords of each group of documents against the other groups; empty without ``by``).

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

Memory: the tokens are counted batch by batch into a sparse document x term matrix
(``count.py``), then the keywords are scored a block of documents at a time (``score.py``);
what grows with the corpus is the vocabulary and the matrix (8 bytes per distinct
(document, term) pair), not the tokens. See docs/keyness.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import EmptyCorpus
from pipelines.core.params import param
from pipelines.core.script import has_han
from pipelines.terms.count import Counts, count_tokens, sum_by_key
from pipelines.terms.groups import check_by, document_groups
from pipelines.terms.score import keyness, keyword_columns, pick, spans

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
    "keyness",
]

NAME = "terms"
INPUTS = ("segment/tokens", "ingest/documents")
OUTPUTS = ("terms", "keywords", "group_keywords")
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

#: (unit, term) counts scored at a time
BLOCK = 1 << 18


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


def _term_totals(counts: Counts) -> tuple[Any, Any]:
    """Occurrences (tf) and documents (df) of each term id, a block of entries at a time."""
    tf = np.zeros(len(counts.terms), dtype=np.int64)
    df = np.zeros(len(counts.terms), dtype=np.int64)
    for lo in range(0, len(counts.col), BLOCK):
        col = counts.col[lo:lo + BLOCK]
        tf += np.bincount(col, weights=counts.cnt[lo:lo + BLOCK],
                          minlength=len(tf)).astype(np.int64)
        df += np.bincount(col, minlength=len(df))
    return tf, df


def _ranks(strings: list[str]) -> Any:
    """Position of each string in code-point order (UTF-8 byte order is the same)."""
    rank = np.empty(len(strings), dtype=np.int64)
    rank[pc.sort_indices(pa.array(strings, pa.string())).to_numpy()] = np.arange(len(strings))
    return rank


def _doc_keywords(counts: Counts, kept: Any, tf: Any, idf: Any, term_rank: Any,
                  params: Params) -> list[dict[str, Any]]:
    """The keywords of every document, a block of documents (in doc_id order) at a time."""
    grand = float(tf[kept].sum())
    order = _ranks(counts.docs).argsort()
    lengths = np.diff(counts.indptr)[order]
    picked = []
    for i, j in spans(lengths, BLOCK):
        starts, sizes = counts.indptr[order[i:j]], lengths[i:j]
        at = np.repeat(starts - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(sizes.sum())
        unit, term = np.repeat(np.arange(j - i), sizes), counts.col[at].astype(np.int64)
        on = kept[term]
        block = pick(unit[on], term[on], counts.cnt[at][on].astype(np.int64), n_units=j - i,
                     tf=tf, grand=grand, idf=None if params.method == "keyness" else idf,
                     min_keyness=params.min_keyness, top=params.top_keywords,
                     term_rank=term_rank)
        block["unit"] = order[i:j][block["unit"]]
        picked.append(block)
    return picked


def _group_keywords(counts: Counts, kept: Any, documents: Any, term_rank: Any,
                    params: Params) -> pa.Table:
    """Keywords of each group of documents (``params.by``) against the other groups."""
    groups = document_groups(documents, params.by, counts.docs)
    n_terms = np.int64(len(counts.terms))
    parts: list[tuple[Any, Any]] = []
    held = 0
    for i, j in spans(np.diff(counts.indptr), BLOCK):  # map: (group, term) counts per block
        lo, hi = counts.indptr[i], counts.indptr[j]
        group = np.repeat(groups.of_doc[i:j], np.diff(counts.indptr[i:j + 1]))
        term = counts.col[lo:hi].astype(np.int64)
        on = (group >= 0) & kept[term]
        parts.append(sum_by_key(group[on] * n_terms + term[on],
                             counts.cnt[lo:hi][on].astype(np.int64)))
        held += len(parts[-1][0])
        if held > 4 * BLOCK:  # reduce before the partial counts outgrow the blocks
            parts = [sum_by_key(*map(np.concatenate, zip(*parts, strict=True)))]
            held = len(parts[0][0])
    keys, n = (sum_by_key(*map(np.concatenate, zip(*parts, strict=True))) if parts
               else (np.empty(0, np.int64), np.empty(0, np.int64)))
    unit, term = keys // n_terms, keys % n_terms
    tf = np.bincount(term, weights=n, minlength=len(counts.terms)).astype(np.int64)
    picked = [pick(unit, term, n, n_units=len(groups.labels), tf=tf, grand=float(n.sum()),
                   idf=None, min_keyness=params.min_keyness, top=params.top_keywords,
                   term_rank=term_rank)]
    unit, columns = keyword_columns(picked, pa.array(counts.terms, pa.string()), "keyness")
    return pa.table({"by": pa.array([params.by] * len(unit), pa.string()),
                     "group": pa.array(groups.labels, pa.string()).take(pa.array(unit)),
                     "n_docs": pa.array(groups.n_docs[unit], pa.int64()), **columns},
                    schema=GROUP_KEYWORDS_SCHEMA)


def compute(tables: dict[str, Any], params: Params) -> dict[str, Any]:
    """Count terms and pick each document's (and each group's) keywords.

    Args:
        tables: ``{"segment/tokens": tokens, "ingest/documents": documents}``, each a
            ``pa.Table`` or a stored table read in batches (documents is needed only with
            ``by``, and then only its doc_id and ``by`` columns).
        params: Stage parameters.

    Returns:
        ``{"terms": ..., "keywords": ..., "group_keywords": ...}``; terms sorted by tf
        (descending) then term, keywords by doc_id then rank, group keywords by group then
        rank (empty without ``by``).

    Raises:
        EmptyCorpus: no token at all, or no term reaches ``min_df``.
        BadParams: ``by`` is not a documents column.
    """
    documents = tables.get("ingest/documents")
    if params.by:
        check_by(documents, params.by)
    counts = count_tokens(tables["segment/tokens"])
    if not counts.docs:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    n_docs, n_terms = len(counts.docs), len(counts.terms)
    tf, df = _term_totals(counts)
    kept = df >= params.min_df
    if not kept.any():
        raise EmptyCorpus(f"terms: no term reaches min_df={params.min_df} in {n_docs} "
                          "documents; lower min_df")
    term_rank = _ranks(counts.terms)
    ids = np.flatnonzero(kept)
    ids = ids[np.lexsort((term_rank[ids], -tf[ids]))]
    idf = np.zeros(n_terms)
    idf[kept] = np.log(n_docs / df[kept])
    words = pa.array(counts.terms, pa.string())
    term_col = words.take(pa.array(ids))
    terms = pa.table({
        "term": term_col,
        "lang": pa.array(["zh" if has_han(t) else "en" for t in term_col.to_pylist()]),
        "pos": _pos_of(counts, ids),
        "tf": pa.array(tf[ids], pa.int64()),
        "df": pa.array(df[ids], pa.int64()),
        "idf": pa.array(idf[ids], pa.float64()),
    }, schema=TERMS_SCHEMA)
    picked = _doc_keywords(counts, kept, tf, idf, term_rank, params)
    unit, columns = keyword_columns(picked, words, params.method)
    keywords = pa.table({"doc_id": pa.array(counts.docs, pa.string()).take(pa.array(unit)),
                         **columns}, schema=KEYWORDS_SCHEMA)
    groups = (_group_keywords(counts, kept, documents, term_rank, params) if params.by
              else GROUP_KEYWORDS_SCHEMA.empty_table())
    return {"terms": terms, "keywords": keywords, "group_keywords": groups}
