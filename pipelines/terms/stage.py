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

Memory: the tokens are read a batch at a time, twice (``count.py``): pass 1 counts each
term's tf, df and POS tags; pass 2 counts a few whole documents at a time and scores them
(``keywords.py``, ``score.py``). What grows with the corpus is the vocabulary, the document
ids and the keywords kept (at most ``top_keywords`` per document), not the tokens or the
(document, term) pairs; see docs/keyness.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import EmptyCorpus
from pipelines.core.params import param
from pipelines.core.script import has_han
from pipelines.terms.count import Counts, count_matrix, count_tokens, doc_rows
from pipelines.terms.groups import Groups, check_by, document_groups
from pipelines.terms.keywords import Keywords
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


def _ranks(strings: list[str]) -> Any:
    """Position of each string in code-point order (UTF-8 byte order is the same)."""
    rank = np.empty(len(strings), dtype=np.int64)
    rank[pc.sort_indices(pa.array(strings, pa.string())).to_numpy()] = np.arange(len(strings))
    return rank


def _document_counts(source: Any, counts: Counts,
                     matrix: tuple[Any, Any, Any] | None) -> Iterator[tuple[Any, Any, Any]]:
    """(document id, term id, count) of a few whole documents at a time: pass 2 over the
    tokens, or blocks of the matrix when documents' rows were apart."""
    if matrix is None:
        for keys, n in doc_rows(source, counts.vocab):
            yield keys >> 32, keys & 0xFFFFFFFF, n
        return
    indptr, col, cnt = matrix
    for i, j in spans(np.diff(indptr), BLOCK):
        lo, hi = indptr[i], indptr[j]
        yield np.repeat(np.arange(i, j), np.diff(indptr[i:j + 1])), col[lo:hi], cnt[lo:hi]


def _group_keywords(found: Keywords, groups: Groups, words: pa.Array, term_rank: Any,
                    params: Params) -> pa.Table:
    """Keywords of each group of documents (``params.by``) against the other groups."""
    keys, n = found.group_counts()
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
    documents, tokens = tables.get("ingest/documents"), tables["segment/tokens"]
    if params.by:
        check_by(documents, params.by)
    counts = count_tokens(tokens)  # pass 1: vocabulary, tf, df, POS tags
    if not counts.docs:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    matrix = None
    if counts.apart:  # a document's rows are apart: df needs the whole matrix
        matrix = count_matrix(tokens, counts.vocab)
        counts.df = np.bincount(matrix[1], minlength=len(counts.terms)).astype(np.int64)
    n_docs, n_terms, tf, df = len(counts.docs), len(counts.terms), counts.tf, counts.df
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

    groups = document_groups(documents, params.by, counts.docs) if params.by else None
    found = Keywords(kept=kept, tf=np.where(kept, tf, 0),
                     idf=None if params.method == "keyness" else idf,
                     min_keyness=params.min_keyness, top=params.top_keywords,
                     term_rank=term_rank, of_doc=groups.of_doc if groups else None,
                     n_groups=len(groups.labels) if groups else 0, block=BLOCK)
    for doc, term, n in _document_counts(tokens, counts, matrix):  # pass 2: score
        found.add(doc, term, n)
    unit, columns = keyword_columns(found.rows(_ranks(counts.docs)), words, params.method)
    keywords = pa.table({"doc_id": pa.array(counts.docs, pa.string()).take(pa.array(unit)),
                         **columns}, schema=KEYWORDS_SCHEMA)
    group_keywords = (_group_keywords(found, groups, words, term_rank, params) if groups
                      else GROUP_KEYWORDS_SCHEMA.empty_table())
    return {"terms": terms, "keywords": keywords, "group_keywords": group_keywords}
