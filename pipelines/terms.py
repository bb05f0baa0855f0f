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


def _long_table(tokens: pa.Table) -> Any:
    """One row per token occurrence: doc_id, term, pos (a pandas DataFrame)."""
    import pandas as pd
    import pyarrow.compute as pc

    missing = [c for c in ("doc_id", "tokens", "pos") if c not in tokens.column_names]
    if missing:
        raise BadParams(f"terms: tokens table lacks {', '.join(missing)}; rerun `wenmai segment`")
    t = tokens.select(["doc_id", "tokens", "pos"]).combine_chunks()
    col_tokens = t.column("tokens").chunk(0) if t.num_rows else pa.array([], pa.list_(pa.string()))
    col_pos = t.column("pos").chunk(0) if t.num_rows else pa.array([], pa.list_(pa.string()))
    parents = pc.list_parent_indices(col_tokens)
    doc_ids = pc.take(t.column("doc_id"), parents)
    return pd.DataFrame({"doc_id": doc_ids.to_numpy(zero_copy_only=False),
                         "term": pc.list_flatten(col_tokens).to_numpy(zero_copy_only=False),
                         "pos": pc.list_flatten(col_pos).to_numpy(zero_copy_only=False)})


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

    long = _long_table(tables["segment/tokens"])
    if long.empty:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    n_docs = long["doc_id"].nunique()
    doc_len = long.groupby("doc_id").size()
    dt = long.groupby(["doc_id", "term"], sort=True).size().rename("count").reset_index()
    by_term = dt.groupby("term", sort=True)["count"].agg(["sum", "size"])
    by_term.columns = ["tf", "df"]
    by_term = by_term[by_term["df"] >= params.min_df]
    if by_term.empty:
        raise EmptyCorpus(f"terms: no term reaches min_df={params.min_df} in {n_docs} "
                          "documents; lower min_df")
    by_term["idf"] = np.log((1 + n_docs) / (1 + by_term["df"].to_numpy())) + 1.0
    pos = (long.groupby(["term", "pos"]).size().rename("n").reset_index()
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
