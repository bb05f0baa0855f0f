"""Networks by documents column: time slices, Kleinberg bursts by year, two-mode networks.

- Slices (``by``, ``slice``): the documents are grouped by a column; a numeric column with
  ``slice = w`` is cut into bins of ``w`` values starting at its smallest value (labels
  ``1978-1982``); otherwise each value is a group. Every slice gets the network of its own
  tokens over the whole corpus's nodes (same terms, same ids), with the stage's measure and
  selection; a term absent from a slice has frequency 0 and no edge there.
- Bursts: batch t is a year of ``ingest/documents.year``; ``d_t`` is the number of sentences
  (rows of ``segment/tokens`` with a counted token) of that year's documents and ``r_t`` the
  number of them containing the term (:mod:`pipelines.network.bursts`).
- Two-mode (``two_mode``): term x group, with ``c`` the windows of group g that contain the
  term, ``a`` the term's windows, ``b`` the group's windows, ``N`` all windows with a group,
  and for ``association`` k = the total of c over a node's links (2m = twice the total). The
  same ``min_cooccurrence``, positivity and ``select`` rules apply. Sliding windows count in
  their ``within`` unit here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import EmptyCorpus, SchemaError
from pipelines.network.measures import _row_units, association, parse_window, token_stream
from pipelines.network.schemas import (
    BURSTS_SCHEMA,
    SLICE_EDGES_SCHEMA,
    SLICES_SCHEMA,
    TWO_MODE_SCHEMA,
)
from pipelines.network.select import select_edges

__all__ = ["doc_groups", "slice_networks", "burst_table", "two_mode"]

log = logging.getLogger("wenmai")


def _need(documents: pa.Table | None, column: str) -> pa.Table:
    """The documents table, checked to hold ``doc_id`` and ``column``."""
    if documents is None or column not in documents.column_names:
        have = ", ".join(c for c in documents.column_names if c != "text") if (
            documents is not None) else "none"
        raise SchemaError(f"network: ingest/documents has no column {column!r} (columns: "
                          f"{have}); choose another --by/--two-mode column")
    return documents


def doc_groups(documents: pa.Table | None, column: str, width: int
               ) -> tuple[dict[str, str], list[str]]:
    """doc_id -> group label, and the labels in order (documents without a value left out).

    Raises:
        SchemaError: the documents lack the column.
    """
    docs = _need(documents, column)
    ids = docs.column("doc_id").to_pylist()
    values = docs.column(column).to_pylist()
    numeric = pa.types.is_integer(docs.schema.field(column).type) or (
        all(v is None or str(v).strip().lstrip("-").isdigit() for v in values))
    pairs = [(d, v) for d, v in zip(ids, values, strict=True) if v is not None and str(v) != ""]
    if len(pairs) < len(ids):
        log.info("network: %d documents without a %s value left out of the groups",
                 len(ids) - len(pairs), column)
    if not pairs:
        raise EmptyCorpus(f"network: no document has a value in column {column!r}")
    if numeric:
        nums = [(d, int(str(v).strip())) for d, v in pairs]
        low = min(v for _, v in nums)

        def label(v: int) -> tuple[int, str]:
            if width <= 1:
                return v, str(v)
            start = low + (v - low) // width * width
            return start, f"{start}-{start + width - 1}"

        keyed = {d: label(v) for d, v in nums}
        order = [lab for _, lab in sorted(set(keyed.values()))]
        return {d: lab for d, (_, lab) in keyed.items()}, order
    mapping = {d: str(v) for d, v in pairs}
    return mapping, sorted(set(mapping.values()))


def _rows_of(tokens: pa.Table, docs: set[str]) -> pa.Table:
    mask = pc.is_in(tokens.column("doc_id"), value_set=pa.array(sorted(docs), pa.string()))
    return tokens.filter(mask)


def slice_networks(tokens: pa.Table, groups: tuple[dict[str, str], list[str]],
                   terms: list[str], build: Callable[[pa.Table, list[str]], Any]
                   ) -> tuple[pa.Table, pa.Table, list[tuple[str, dict]]]:
    """One network per group over ``terms``: the slices and slice_edges tables and stats."""
    mapping, order = groups
    node_parts, edge_parts, stats = [], [], []
    for label in order:
        part = _rows_of(tokens, {d for d, g in mapping.items() if g == label})
        if part.num_rows == 0:
            log.info("network: slice %s has no sentences, skipped", label)
            continue
        try:
            net = build(part, terms)
        except EmptyCorpus:
            log.info("network: slice %s has no counted token, skipped", label)
            continue
        nodes = net.nodes.drop_columns(["windows"])
        node_parts.append(nodes.add_column(0, "slice", pa.array([label] * nodes.num_rows)))
        edge_parts.append(net.edges.add_column(0, "slice",
                                               pa.array([label] * net.edges.num_rows)))
        stats.append((label, net.stats))
        log.info("network: slice %s: %d edges of %d candidates, density %.3f", label,
                 net.stats["edges"], net.stats["candidate_edges"], net.stats["density"])
    slices = (pa.concat_tables(node_parts).cast(SLICES_SCHEMA) if node_parts
              else pa.Table.from_pylist([], SLICES_SCHEMA))
    edges = (pa.concat_tables(edge_parts).cast(SLICE_EDGES_SCHEMA) if edge_parts
             else pa.Table.from_pylist([], SLICE_EDGES_SCHEMA))
    return slices, edges, stats


def _incidence(tokens: pa.Table, params: Any, unit: str) -> tuple[Any, list[str], np.ndarray]:
    """Binary unit x term incidence (CSR), the vocabulary, and each unit's first row."""
    from scipy import sparse

    stream = token_stream(tokens, unit=unit, min_chars=params.min_chars,
                          pos_prefixes=params.pos)
    unit_of_row = _row_units(tokens, unit)
    token_unit = unit_of_row[stream.rows]
    units, index = np.unique(token_unit, return_inverse=True)
    matrix = sparse.csr_matrix((np.ones(index.size), (index.ravel(), stream.codes)),
                               shape=(units.size, len(stream.vocab)))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # presence per unit
    first_row = np.full(int(unit_of_row.max()) + 1 if unit_of_row.size else 0, -1, np.int64)
    first_row[unit_of_row[::-1]] = np.arange(unit_of_row.size)[::-1]
    return matrix, stream.vocab.to_pylist(), first_row[units]


def burst_table(tokens: pa.Table, documents: pa.Table | None, params: Any) -> pa.Table:
    """Kleinberg bursts of the ``burst_terms`` most frequent terms over the years."""
    from scipy import sparse

    from pipelines.network.bursts import find_bursts

    empty = pa.Table.from_pylist([], BURSTS_SCHEMA)
    if documents is None or "year" not in documents.column_names:
        log.info("network: documents carry no year; no burst detection")
        return empty
    year_of = {d: y for d, y in zip(documents.column("doc_id").to_pylist(),
                                    documents.column("year").to_pylist(), strict=True)
               if y is not None}
    if len(set(year_of.values())) < 3:
        log.info("network: documents span %d years, fewer than 3; no burst detection",
                 len(set(year_of.values())))
        return empty
    matrix, vocab, rows = _incidence(tokens, params, "sentence")
    doc_ids = tokens.column("doc_id").to_numpy(zero_copy_only=False)[rows]
    sentence_year = np.array([year_of.get(d, -1) for d in doc_ids], dtype=np.int64)
    has_year = sentence_year >= 0
    years = sorted(set(sentence_year[has_year].tolist()))
    year_index = np.searchsorted(np.array(years), sentence_year[has_year])
    by_year = sparse.csr_matrix((np.ones(year_index.size), (year_index,
                                 np.flatnonzero(has_year))), shape=(len(years), matrix.shape[0]))
    d = np.asarray(by_year.sum(axis=1)).ravel()
    r_all = (by_year @ matrix).toarray().T  # terms x years
    stream = token_stream(tokens, unit="sentence", min_chars=params.min_chars,
                          pos_prefixes=params.pos)
    freq = np.bincount(stream.codes, minlength=len(vocab))
    order = sorted(range(len(vocab)), key=lambda t: (-freq[t], vocab[t]))[:params.burst_terms]
    r = r_all[order]
    found = find_bursts(r, d, years, s=params.burst_s, gamma=params.burst_gamma)
    first = [years[int(np.flatnonzero(row > 0)[0])] if row.any() else None for row in r]
    out = [{"term": vocab[order[row]], "start": start, "end": end, "strength": strength,
            "first_year": first[row], "freq": int(freq[order[row]])}
           for row, start, end, strength in found]
    table = pa.Table.from_pylist(out, BURSTS_SCHEMA)
    log.info("network: %d bursts among %d terms over %d years (%d-%d)", table.num_rows,
             len(order), len(years), years[0], years[-1])
    return table.sort_by([("strength", "descending"), ("term", "ascending"),
                          ("start", "ascending")])


def two_mode(tokens: pa.Table, groups: tuple[dict[str, str], list[str]], co: Any,
             params: Any) -> pa.Table:
    """Term x group edges with the stage's measure and selection (module notes)."""
    from scipy import sparse


    mapping, order = groups
    kind, _ = parse_window(params.window)
    unit = params.within if kind == "sliding" else kind
    matrix, vocab, rows = _incidence(tokens, params, unit)
    doc_ids = tokens.column("doc_id").to_numpy(zero_copy_only=False)[rows]
    group_index = {g: k for k, g in enumerate(order)}
    unit_group = np.array([group_index.get(mapping.get(d, ""), -1) for d in doc_ids])
    code_of = {t: k for k, t in enumerate(vocab)}
    cols = np.array([code_of.get(t, -1) for t in co.terms])
    present = cols >= 0
    x = sparse.csr_matrix((len(unit_group), len(co.terms)))
    if present.any():
        x = matrix[:, np.maximum(cols, 0)].tocsc()
        x = x.multiply(present[None, :]).tocsr()
    ok = unit_group >= 0
    member = sparse.csr_matrix((np.ones(int(ok.sum())), (unit_group[ok], np.flatnonzero(ok))),
                               shape=(len(order), len(unit_group)))
    c = (member @ x).toarray().T  # terms x groups
    a = np.asarray(x[ok].sum(axis=0)).ravel()
    b = np.asarray(member.sum(axis=1)).ravel()
    n_windows = int(ok.sum())
    ti, gj = np.nonzero(c)
    count = c[ti, gj].astype(np.int64)
    k_term, k_group = c.sum(axis=1), c.sum(axis=0)
    weight = association(params.measure, count, a[ti], b[gj], n_windows,
                         strength_i=k_term[ti], strength_j=k_group[gj],
                         total_strength=2.0 * c.sum())
    keep = (count >= params.min_cooccurrence) & (weight > 0)
    ti, gj, count, weight = ti[keep], gj[keep], count[keep], weight[keep]
    n_terms = len(co.terms)
    chosen = select_edges(ti, gj + n_terms, weight, count, n_terms + len(order),
                          rule=params.select, max_edges=params.max_edges,
                          threshold=params.threshold, per_node=params.per_node,
                          alpha=params.alpha)
    table = pa.table({
        "term": pa.array([co.terms[t] for t in ti[chosen]], pa.string()),
        "group": pa.array([order[g] for g in gj[chosen]], pa.string()),
        "cooccurrences": pa.array(count[chosen], pa.int64()),
        "weight": pa.array(weight[chosen], pa.float64()),
        "measure": pa.array([params.measure] * int(chosen.sum()), pa.string()),
        "by": pa.array([params.two_mode] * int(chosen.sum()), pa.string()),
    }).cast(TWO_MODE_SCHEMA)
    log.info("network: two-mode %s: %d of %d term-group edges kept", params.two_mode,
             table.num_rows, int(keep.sum()))
    return table.sort_by([("weight", "descending"), ("term", "ascending"),
                          ("group", "ascending")])
