"""The terms stage as it was before it streamed (main at 8d96d9e): a reference to compare with.

Whole tables in pandas: one row per distinct (document, term, POS tag). Kept unchanged (only
this docstring and the imports differ) so tests can check that the batch-by-batch stage
writes the same tables, value for value and byte for byte.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.core.script import has_han
from pipelines.terms import GROUP_KEYWORDS_SCHEMA, KEYWORDS_SCHEMA, TERMS_SCHEMA, Params

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


def keyness(a: Any, b: Any, c: Any, d: Any) -> tuple[Any, Any]:
    """Log-likelihood G2 and log ratio of counts ``a`` in ``c`` tokens against ``b`` in ``d``.

    Args:
        a: Occurrences in the target (numbers or numpy arrays).
        b: Occurrences in the reference (the rest of the corpus).
        c: Tokens in the target.
        d: Tokens in the reference.

    Returns:
        (G2, log ratio) as float arrays; see the module docstring for the formulas.
    """
    import numpy as np

    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
        ratio = np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))
    return 2.0 * (t1 + t2), ratio


def _keyness_rows(counts: Any, unit: str, params: Params) -> Any:
    """Keywords of each ``unit`` (column of ``counts``: unit, term, count) against the rest."""
    totals = counts.groupby(unit)["count"].sum()
    term_tf = counts.groupby("term")["count"].sum()
    grand = float(totals.sum())
    a = counts["count"].to_numpy()
    c = totals.reindex(counts[unit]).to_numpy()
    b = term_tf.reindex(counts["term"]).to_numpy() - a
    d = grand - c
    out = counts.copy()
    out["g2"], out["log_ratio"] = keyness(a, b, c, d)
    out["freq"], out["ref_freq"] = a, b
    over = (a * d > b * c) & (out["g2"] >= params.min_keyness)
    # a corpus of one unit has no rest to compare with: keyness is undefined
    out = out[over & (d > 0)]
    out["score"] = out["g2"]
    return out


def _tfidf_rows(counts: Any, idf: Any) -> Any:
    doc_len = counts.groupby("doc_id")["count"].sum()
    out = counts.copy()
    out["score"] = (out["count"].to_numpy() / doc_len.reindex(out["doc_id"]).to_numpy()
                    * idf.reindex(out["term"]).to_numpy())
    out["freq"] = out["count"]
    out["ref_freq"], out["g2"], out["log_ratio"] = 0, float("nan"), float("nan")
    return out[out["score"] > 0]


def _ranked(rows: Any, unit: str, top: int) -> Any:
    rows = rows.sort_values([unit, "score", "term"], ascending=[True, False, True],
                            kind="stable")
    rows["rank"] = rows.groupby(unit, sort=False).cumcount() + 1
    return rows[rows["rank"] <= top]


def _columns(rows: Any, method: str) -> dict[str, list[Any]]:
    import numpy as np

    def floats(col: str) -> list[Any]:
        return [None if np.isnan(v) else float(v) for v in rows[col].to_numpy("float64")]

    return {
        "term": rows["term"].tolist(),
        "score": rows["score"].astype("float64").tolist(),
        "rank": rows["rank"].astype("int32").tolist(),
        "method": [method] * len(rows),
        "freq": rows["freq"].astype("int64").tolist(),
        "ref_freq": rows["ref_freq"].astype("int64").tolist(),
        "g2": floats("g2"),
        "log_ratio": floats("log_ratio"),
    }


def _group_label(value: Any) -> str | None:
    """A group value as text; whole floats (years read as 2024.0) without the ``.0``."""
    if value is None or value != value:  # None or NaN
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _group_keywords(dt: Any, documents: pa.Table | None, params: Params) -> pa.Table:
    """Keywords of each group of documents (``params.by``) against the other groups."""
    import pandas as pd

    by = params.by
    if documents is None or by not in documents.column_names:
        known = ", ".join(c for c in (documents.column_names if documents is not None else [])
                          if c not in ("text", "doc_id"))
        raise BadParams(f"terms: --by {by!r} is not a column of ingest/documents; choose one "
                        f"of: {known}")
    values = documents.column(by).to_pylist()
    order = {v: i for i, v in enumerate(sorted({v for v in values if _group_label(v)},
                                               key=lambda v: (isinstance(v, str), v)))}
    groups = pd.DataFrame({"doc_id": documents.column("doc_id").to_pylist(),
                           "group": [_group_label(v) for v in values],
                           "order": [order.get(v, -1) for v in values]})
    groups = groups[groups["group"].notna()].drop_duplicates("doc_id")
    merged = dt.merge(groups, on="doc_id", how="inner")
    n_docs = groups.groupby("group")["doc_id"].nunique()
    counts = merged.groupby(["order", "group", "term"], sort=True)["count"].sum().reset_index()
    rows = _ranked(_keyness_rows(counts, "order", params), "order", params.top_keywords)
    method = "keyness"
    return pa.table({"by": [by] * len(rows), "group": rows["group"].tolist(),
                     "n_docs": n_docs.reindex(rows["group"]).astype("int64").tolist(),
                     **_columns(rows, method)}, schema=GROUP_KEYWORDS_SCHEMA)


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, Any]:
    """Count terms and pick each document's (and each group's) keywords.

    Args:
        tables: ``{"segment/tokens": tokens, "ingest/documents": documents}`` (documents is
            needed only with ``by``).
        params: Stage parameters.

    Returns:
        ``{"terms": ..., "keywords": ..., "group_keywords": ...}``; terms sorted by tf
        (descending) then term, keywords by doc_id then rank, group keywords by group then
        rank (empty without ``by``).

    Raises:
        EmptyCorpus: no token at all, or no term reaches ``min_df``.
        BadParams: ``by`` is not a documents column.
    """
    import numpy as np

    long = _long_table(tables["segment/tokens"])  # distinct (doc_id, term, pos) with count n
    if long.empty:
        raise EmptyCorpus("terms: the tokens table has no tokens; relax the segment filters "
                          "(stopwords, min_length, keep_pos)")
    n_docs = long["doc_id"].nunique()
    dt = long.groupby(["doc_id", "term"], sort=True)["n"].sum().rename("count").reset_index()
    by_term = dt.groupby("term", sort=True)["count"].agg(["sum", "size"])
    by_term.columns = ["tf", "df"]
    by_term = by_term[by_term["df"] >= params.min_df]
    if by_term.empty:
        raise EmptyCorpus(f"terms: no term reaches min_df={params.min_df} in {n_docs} "
                          "documents; lower min_df")
    by_term["idf"] = np.log(n_docs / by_term["df"].to_numpy())
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

    kept = dt[dt["term"].isin(by_term["term"])]
    if params.method == "keyness":
        rows = _keyness_rows(kept, "doc_id", params)
    else:
        rows = _tfidf_rows(kept, by_term.set_index("term")["idf"])
    rows = _ranked(rows, "doc_id", params.top_keywords)
    keywords = pa.table({"doc_id": rows["doc_id"].tolist(), **_columns(rows, params.method)},
                        schema=KEYWORDS_SCHEMA)
    groups = (_group_keywords(kept, tables.get("ingest/documents"), params) if params.by
              else GROUP_KEYWORDS_SCHEMA.empty_table())
    return {"terms": terms, "keywords": keywords, "group_keywords": groups}
