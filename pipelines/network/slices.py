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

import copy
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import EmptyCorpus, SchemaError
from pipelines.network.measures import Cooccurrence, PairCounter, association
from pipelines.network.schemas import (
    BURSTS_SCHEMA,
    SLICE_EDGES_SCHEMA,
    SLICES_SCHEMA,
    TWO_MODE_SCHEMA,
)
from pipelines.network.select import select_edges
from pipelines.network.stream import Batch, distinct

__all__ = ["doc_groups", "SliceCounts", "slice_networks", "BurstCounts", "burst_table",
           "year_span", "TwoModeCounts", "two_mode"]

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


class SliceCounts:
    """Pair counts of each group's documents over the whole corpus's nodes, batch by batch."""

    def __init__(self, groups: tuple[dict[str, str], list[str]], n_nodes: int, window: str,
                 counting: str, unit: str) -> None:
        mapping, self.order = groups
        self.unit = unit
        index = {label: k for k, label in enumerate(self.order)}
        self.docs = pa.array(list(mapping), pa.string())
        self.group_of_doc = np.array([index[g] for g in mapping.values()], dtype=np.int64)
        self.counters = [PairCounter(n_nodes, window, counting, unit) for _ in self.order]
        self.rows = np.zeros(len(self.order), dtype=np.int64)

    def fresh(self) -> SliceCounts:
        """The same groups and nodes, nothing counted."""
        new = copy.copy(self)
        new.counters = [c.fresh() for c in self.counters]
        new.rows = np.zeros_like(self.rows)
        return new

    def add(self, batch: Batch, node: np.ndarray) -> None:
        row_group = _row_groups(batch.table, self.docs, self.group_of_doc)
        self.rows += np.bincount(row_group[row_group >= 0], minlength=len(self.order))
        token_group = row_group[batch.stream.rows]
        units = batch.token_units(self.unit)
        for g in distinct(token_group[token_group >= 0]).tolist():
            chosen = token_group == g
            self.counters[g].add_tokens(units[chosen], node[chosen])

    def totals(self) -> tuple[list[PairCounter], np.ndarray]:
        """The counts (without the groups of the documents)."""
        return self.counters, self.rows

    def merge(self, totals: tuple[list[PairCounter], np.ndarray]) -> None:
        """Add the totals of the batches after these."""
        counters, rows = totals
        for mine, later in zip(self.counters, counters, strict=True):
            mine.merge(later)
        self.rows += rows


def _row_groups(table: pa.Table, docs: pa.Array, group_of_doc: np.ndarray) -> np.ndarray:
    """The group index of each row's document (-1: no group)."""
    where = pc.index_in(table.column("doc_id"), value_set=docs).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    return np.where(where >= 0, group_of_doc[np.maximum(where, 0)], -1) if where.size else where


def slice_networks(counts: SliceCounts, terms: list[str],
                   build: Callable[[Cooccurrence], Any]
                   ) -> tuple[pa.Table, pa.Table, list[tuple[str, dict]]]:
    """One network per group over ``terms``: the slices and slice_edges tables and stats."""
    node_parts, edge_parts, stats = [], [], []
    for g, label in enumerate(counts.order):
        if counts.rows[g] == 0:
            log.info("network: slice %s has no sentences, skipped", label)
            continue
        if counts.counters[g].tokens == 0:
            log.info("network: slice %s has no counted token, skipped", label)
            continue
        net = build(counts.counters[g].result(terms))
        nodes = net.nodes.drop_columns(["windows"])
        node_parts.append(nodes.add_column(0, "slice",
                                           pa.array([label] * nodes.num_rows, pa.string())))
        edge_parts.append(net.edges.add_column(0, "slice",
                                               pa.array([label] * net.edges.num_rows, pa.string())))
        stats.append((label, net.stats))
        log.info("network: slice %s: %d edges of %d candidates, density %.3f", label,
                 net.stats["edges"], net.stats["candidate_edges"], net.stats["density"])
    slices = (pa.concat_tables(node_parts).cast(SLICES_SCHEMA) if node_parts
              else pa.Table.from_pylist([], SLICES_SCHEMA))
    edges = (pa.concat_tables(edge_parts).cast(SLICE_EDGES_SCHEMA) if edge_parts
             else pa.Table.from_pylist([], SLICE_EDGES_SCHEMA))
    return slices, edges, stats


class BurstCounts:
    """Sentences per year (``d``) and sentences per year containing each burst term (``r``).

    The burst terms are the ``burst_terms`` most frequent terms (ties by the term); a
    sentence counts when it holds a counted token and its document has a year.
    """

    def __init__(self, documents: pa.Table, vocab: pa.Array, freq: np.ndarray,
                 burst_terms: int) -> None:
        ids = documents.column("doc_id").to_pylist()
        years = documents.column("year").to_pylist()
        year_of = {d: y for d, y in zip(ids, years, strict=True) if y is not None}
        self.years = sorted(set(year_of.values()))
        index = {y: k for k, y in enumerate(self.years)}
        self.docs = pa.array(list(year_of), pa.string())
        self.year_of_doc = np.array([index[y] for y in year_of.values()], dtype=np.int64)
        words = vocab.to_pylist()
        order = sorted(range(len(words)), key=lambda t: (-freq[t], words[t]))[:burst_terms]
        self.terms = [words[t] for t in order]
        self.freq = np.asarray(freq)[order].astype(np.int64)
        self._terms = pa.array(self.terms, pa.string())
        self.d = np.zeros(len(self.years), dtype=np.int64)
        self.r = np.zeros((len(self.terms), len(self.years)), dtype=np.int64)

    def fresh(self) -> BurstCounts:
        """The same terms and years, nothing counted."""
        new = copy.copy(self)
        new.d, new.r = np.zeros_like(self.d), np.zeros_like(self.r)
        return new

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """``d`` and ``r``."""
        return self.d, self.r

    def merge(self, totals: tuple[np.ndarray, np.ndarray]) -> None:
        d, r = totals
        self.d += d
        self.r += r

    def add(self, batch: Batch, node: np.ndarray) -> None:
        row_year = _row_groups(batch.table, self.docs, self.year_of_doc)
        rows = batch.stream.rows
        sentences = distinct(rows)
        year = row_year[sentences]
        self.d += np.bincount(year[year >= 0], minlength=len(self.years))
        term = batch.index_in(self._terms)
        ok = (term >= 0) & (row_year[rows] >= 0)
        pair = distinct(rows[ok] * len(self.terms) + term[ok])
        cell = (pair % len(self.terms)) * len(self.years) + row_year[pair // len(self.terms)]
        self.r += np.bincount(cell, minlength=self.r.size).reshape(self.r.shape)


def year_span(documents: pa.Table | None) -> int:
    """Number of distinct years of the documents (0 without a year column)."""
    if documents is None or "year" not in documents.column_names:
        return 0
    return len({y for y in documents.column("year").to_pylist() if y is not None})


def burst_table(counts: BurstCounts, params: Any) -> pa.Table:
    """Kleinberg bursts of the burst terms over the years."""
    from pipelines.network.bursts import find_bursts

    seen = counts.d > 0  # years with at least one counted sentence
    years = [y for y, s in zip(counts.years, seen.tolist(), strict=True) if s]
    d = counts.d[seen].astype(np.float64)
    r = counts.r[:, seen].astype(np.float64)
    found = find_bursts(r, d, years, s=params.burst_s, gamma=params.burst_gamma)
    first = [years[int(np.flatnonzero(row > 0)[0])] if row.any() else None for row in r]
    out = [{"term": counts.terms[row], "start": start, "end": end, "strength": strength,
            "first_year": first[row], "freq": int(counts.freq[row])}
           for row, start, end, strength in found]
    table = pa.Table.from_pylist(out, BURSTS_SCHEMA)
    log.info("network: %d bursts among %d terms over %d years (%d-%d)", table.num_rows,
             len(counts.terms), len(years), years[0], years[-1])
    return table.sort_by([("strength", "descending"), ("term", "ascending"),
                          ("start", "ascending")])


class TwoModeCounts:
    """Per group and node, the windows (units) of the group holding the node; the windows
    per group."""

    def __init__(self, groups: tuple[dict[str, str], list[str]], n_nodes: int, unit: str
                 ) -> None:
        mapping, self.order = groups
        self.unit = unit
        index = {label: k for k, label in enumerate(self.order)}
        self.docs = pa.array(list(mapping), pa.string())
        self.group_of_doc = np.array([index[g] for g in mapping.values()], dtype=np.int64)
        self.c = np.zeros((n_nodes, len(self.order)), dtype=np.int64)
        self.a = np.zeros(n_nodes, dtype=np.int64)
        self.b = np.zeros(len(self.order), dtype=np.int64)
        self.n_windows = 0

    def fresh(self) -> TwoModeCounts:
        """The same groups, nothing counted."""
        new = copy.copy(self)
        new.c, new.a, new.b = np.zeros_like(self.c), np.zeros_like(self.a), np.zeros_like(self.b)
        new.n_windows = 0
        return new

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """``c``, ``a``, ``b`` and the windows."""
        return self.c, self.a, self.b, self.n_windows

    def merge(self, totals: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
        c, a, b, n_windows = totals
        self.c += c
        self.a += a
        self.b += b
        self.n_windows += n_windows

    def add(self, batch: Batch, node: np.ndarray) -> None:
        row_group = _row_groups(batch.table, self.docs, self.group_of_doc)
        token_group = row_group[batch.stream.rows]
        _, first, unit = np.unique(batch.token_units(self.unit), return_index=True,
                                   return_inverse=True)
        unit_group = token_group[first]  # units with a counted token, and their groups
        grouped = unit_group[unit_group >= 0]
        self.b += np.bincount(grouped, minlength=len(self.order))
        self.n_windows += int(grouped.size)
        n_nodes = self.a.size
        ok = (node >= 0) & (token_group >= 0)
        pair = distinct(unit.ravel()[ok] * n_nodes + node[ok])  # (unit, node) presence
        node_of_pair = pair % n_nodes
        self.a += np.bincount(node_of_pair, minlength=n_nodes)
        cell = node_of_pair * len(self.order) + unit_group[pair // n_nodes]
        self.c += np.bincount(cell, minlength=self.c.size).reshape(self.c.shape)


def two_mode(counts: TwoModeCounts, co: Any, params: Any) -> pa.Table:
    """Term x group edges with the stage's measure and selection (module notes)."""
    order = counts.order
    c = counts.c.astype(np.float64)  # terms x groups
    a = counts.a.astype(np.float64)
    b = counts.b.astype(np.float64)
    n_windows = counts.n_windows
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
