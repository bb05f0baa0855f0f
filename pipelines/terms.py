"""Term statistics and TF-IDF keywords per document.

Reads ``segment/tokens``; writes ``terms/terms`` (one row per term: lang, most frequent POS
tag, total count ``tf``, document frequency ``df``, ``idf``) and ``terms/keywords`` (the
``top_keywords`` highest-scoring terms of each document).

Formulas, with ``N`` the number of documents that kept at least one token:

* ``idf = ln((1 + N) / (1 + df)) + 1`` -- the smoothed idf of scikit-learn's
  ``TfidfTransformer(smooth_idf=True)``: never zero, so a term in every document still ranks;
* ``score = (count of the term in the document / tokens in the document) * idf``.

Keywords are ranked by score, ties broken by term (code-point order); rank is 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.core.params import param
from pipelines.core.script import has_han

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "SCHEMAS",
    "TERMS_SCHEMA",
    "KEYWORDS_SCHEMA",
    "Params",
    "compute",
]

NAME = "terms"
INPUTS = ("segment/tokens",)
OUTPUTS = ("terms", "keywords")

TERMS_SCHEMA = pa.schema([
    ("term", pa.string()),
    ("lang", pa.string()),
    ("pos", pa.string()),
    ("tf", pa.int64()),
    ("df", pa.int64()),
    ("idf", pa.float64()),
])
KEYWORDS_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("term", pa.string()),
    ("score", pa.float64()),
    ("rank", pa.int32()),
    ("method", pa.string()),
])
SCHEMAS = {"terms": TERMS_SCHEMA, "keywords": KEYWORDS_SCHEMA}


@dataclass(frozen=True)
class Params:
    """Parameters of the terms stage."""

    top_keywords: int = param(10, "Keywords kept per document (highest TF-IDF first).",
                              min=1, max=1000)
    min_df: int = param(1, "Drop terms found in fewer documents than this.", min=1)


#: token occurrences counted at a time: a document longer than this (a 100 MB single line is
#: 13 M tokens) is counted window by window, so memory stays bounded by the window and the
#: distinct (document, term, tag) triples, never by the length of one document
WINDOW = 1 << 20


def _long_table(tokens: pa.Table, window: int = WINDOW) -> Any:
    """One row per distinct (doc_id, term, pos) with its count ``n`` (a pandas DataFrame).

    The occurrences are counted in Arrow over bounded windows of the flattened token lists,
    without a Python object per token; partial counts are merged as they grow.
    """
    import numpy as np
    import pyarrow.compute as pc

    missing = [c for c in ("doc_id", "tokens", "pos") if c not in tokens.column_names]
    if missing:
        raise BadParams(f"terms: tokens table lacks {', '.join(missing)}; rerun `wenmai segment`")
    keys = ["doc", "term", "pos"]
    t = tokens.select(["doc_id", "tokens", "pos"]).combine_chunks()
    if not t.num_rows:
        return _counts_frame(pa.table({"doc": pa.array([], pa.int32()), "term": pa.array(
            [], pa.string()), "pos": pa.array([], pa.string()), "n": pa.array([], pa.int64())}),
            pa.array([], pa.string()))
    doc_codes = pc.dictionary_encode(t.column("doc_id")).chunk(0)
    row_doc = doc_codes.indices.to_numpy(zero_copy_only=False)
    col_tokens, col_pos = t.column("tokens").chunk(0), t.column("pos").chunk(0)
    offsets = col_tokens.offsets.to_numpy()
    offsets = offsets - offsets[0]  # a sliced table's offsets start inside its values
    flat_tokens, flat_pos = pc.list_flatten(col_tokens), pc.list_flatten(col_pos)
    parts: list[pa.Table] = []
    held = 0
    for start in range(0, len(flat_tokens), window):
        stop = min(start + window, len(flat_tokens))
        rows = np.searchsorted(offsets, np.arange(start, stop), side="right") - 1
        part = pa.table({"doc": pa.array(row_doc[rows]), "term": flat_tokens.slice(start,
                         stop - start), "pos": flat_pos.slice(start, stop - start)})
        part = part.filter(pc.is_valid(part.column("term")))
        counted = part.group_by(keys).aggregate([("term", "count")])
        parts.append(counted.select([*keys, "term_count"]).rename_columns([*keys, "n"]))
        held += parts[-1].num_rows
        if held > 4 * window:  # merge the partial counts before they outgrow the windows
            parts = [_merge(parts, keys)]
            held = parts[0].num_rows
    return _counts_frame(_merge(parts, keys), doc_codes.dictionary)


def _merge(parts: list[pa.Table], keys: list[str]) -> pa.Table:
    merged = pa.concat_tables(parts).group_by(keys).aggregate([("n", "sum")])
    return merged.select([*keys, "n_sum"]).rename_columns([*keys, "n"])


def _counts_frame(counts: pa.Table, doc_ids: pa.Array) -> Any:
    import pandas as pd

    return pd.DataFrame({
        "doc_id": doc_ids.take(counts.column("doc")).to_numpy(zero_copy_only=False),
        "term": counts.column("term").to_numpy(zero_copy_only=False),
        "pos": counts.column("pos").to_numpy(zero_copy_only=False),
        "n": counts.column("n").to_numpy(zero_copy_only=False).astype("int64"),
    })


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, Any]:
    """Count terms and pick each document's TF-IDF keywords.

    Args:
        tables: ``{"segment/tokens": tokens}``.
        params: Stage parameters.

    Returns:
        ``{"terms": ..., "keywords": ...}``; terms sorted by tf (descending) then term,
        keywords by doc_id then rank.

    Raises:
        EmptyCorpus: no token at all, or no term reaches ``min_df``.
    """
    import numpy as np

    long = _long_table(tables["segment/tokens"])  # distinct (doc_id, term, pos) with count n
    if long.empty:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    n_docs = long["doc_id"].nunique()
    doc_len = long.groupby("doc_id")["n"].sum()
    dt = long.groupby(["doc_id", "term"], sort=True)["n"].sum().rename("count").reset_index()
    by_term = dt.groupby("term", sort=True)["count"].agg(["sum", "size"])
    by_term.columns = ["tf", "df"]
    by_term = by_term[by_term["df"] >= params.min_df]
    if by_term.empty:
        raise EmptyCorpus(f"terms: no term reaches min_df={params.min_df} in {n_docs} "
                          "documents; lower min_df")
    by_term["idf"] = np.log((1 + n_docs) / (1 + by_term["df"].to_numpy())) + 1.0
    pos = (long.groupby(["term", "pos"])["n"].sum().rename("n").reset_index()
           .sort_values(["term", "n", "pos"], ascending=[True, False, True], kind="stable")
           .drop_duplicates("term").set_index("term")["pos"])
    by_term["pos"] = pos.reindex(by_term.index)
    by_term = by_term.reset_index().sort_values(["tf", "term"], ascending=[False, True],
                                                kind="stable")
    terms = pa.table({
        "term": by_term["term"].tolist(),
        "lang": ["zh" if has_han(t) else "en" for t in by_term["term"]],
        "pos": by_term["pos"].tolist(),
        "tf": by_term["tf"].astype("int64").tolist(),
        "df": by_term["df"].astype("int64").tolist(),
        "idf": by_term["idf"].astype("float64").tolist(),
    }, schema=TERMS_SCHEMA)

    kw = dt[dt["term"].isin(by_term["term"])].copy()
    idf = by_term.set_index("term")["idf"]
    kw["score"] = (kw["count"].to_numpy() / doc_len.reindex(kw["doc_id"]).to_numpy()
                   * idf.reindex(kw["term"]).to_numpy())
    kw = kw.sort_values(["doc_id", "score", "term"], ascending=[True, False, True],
                        kind="stable")
    kw["rank"] = kw.groupby("doc_id").cumcount() + 1
    kw = kw[kw["rank"] <= params.top_keywords]
    keywords = pa.table({
        "doc_id": kw["doc_id"].tolist(),
        "term": kw["term"].tolist(),
        "score": kw["score"].astype("float64").tolist(),
        "rank": kw["rank"].astype("int32").tolist(),
        "method": ["tfidf"] * len(kw),
    }, schema=KEYWORDS_SCHEMA)
    return {"terms": terms, "keywords": keywords}
