"""Term co-occurrence network: reads ``segment/tokens`` and ``ingest/documents``; writes
``network/nodes``, ``network/edges``, ``network/summary``, ``network/slices``,
``network/slice_edges``, ``network/bursts``, ``network/two_mode`` and the files
``network.gexf``, ``network.graphml``, ``network.net`` (Pajek), ``nodes.csv``, ``edges.csv``,
``vosviewer_map.txt``, ``vosviewer_network.txt`` and (with ``two_mode``) ``two_mode.gexf``.

Nodes are the ``top_n`` most frequent terms (ties broken by the term). Pairs are counted in
windows (:mod:`pipelines.network.measures`); the candidate edges are the pairs with at least
``min_cooccurrence`` co-occurrences and a positive weight (``pmi`` and ``npmi`` are negative
for pairs seen less often than chance: such pairs are dropped, i.e. the network uses
positive PMI, because a link strength and its distance 1/weight must be positive). Then
``select`` keeps the edges the network shows (:mod:`pipelines.network.select`); every
centrality, community and the summary are computed on the kept edges. ``cooccurrences`` keeps
each kept edge's raw count beside ``weight``.

Top terms without a kept edge stay in the tables as isolated nodes (degree 0, their own
community). ``by`` (a documents column, e.g. ``year``) splits the corpus into slices
(``slice`` years each when the column is numeric): every slice gets a network over the same
nodes, in ``network/slices`` (frequency and centralities per slice and term) and
``network/slice_edges``. ``network/bursts`` holds Kleinberg bursts of the ``burst_terms``
most frequent terms over the documents' years (:mod:`pipelines.network.bursts`), and
``network/two_mode`` the term x group network of ``two_mode`` (a documents column).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core import store
from pipelines.core.columns import check_column
from pipelines.core.errors import BadParams
from pipelines.core.narrow import Narrowing, narrow
from pipelines.core.params import param
from pipelines.core.where import parse
from pipelines.network import tasks
from pipelines.network.graph import COMMUNITY_METHODS
from pipelines.network.measures import (
    COUNTINGS,
    FULL_MEASURES,
    MEASURES,
    UNITS,
    WINDOWS,
    Cooccurrence,
    PairCounter,
    association,
    parse_window,
)
from pipelines.network.schemas import (
    BURSTS_SCHEMA,
    CENTRALITIES,
    EDGES_SCHEMA,
    NODES_SCHEMA,
    SCHEMAS,
    SLICE_EDGES_SCHEMA,
    SLICES_SCHEMA,
    SUMMARY_SCHEMA,
    TWO_MODE_SCHEMA,
)
from pipelines.network.select import SELECTIONS, select_edges
from pipelines.network.stream import need_columns, schema_names, top_terms

__all__ = ["NAME", "INPUTS", "STREAMED", "OUTPUTS", "SCHEMAS", "NODES_SCHEMA", "EDGES_SCHEMA",
           "SUMMARY_SCHEMA", "SLICES_SCHEMA", "SLICE_EDGES_SCHEMA", "BURSTS_SCHEMA",
           "TWO_MODE_SCHEMA", "Params", "compute", "external_inputs", "edge_table", "Network",
           "build_network"]

NAME = "network"
INPUTS = ("segment/tokens", "ingest/documents")
#: read a batch (tokens) or a few columns (documents) at a time, never whole
STREAMED = ("segment/tokens", "ingest/documents")
OUTPUTS = ("nodes", "edges", "summary", "slices", "slice_edges", "bursts", "two_mode")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("igraph", "networkx", "numpy", "scipy")

log = logging.getLogger("wenmai")

_MEASURE_HELP = (
    "Edge weight, with c = co-occurrences of the pair, a, b = windows holding each term, "
    "N = windows, k = a term's total link strength (sum of its c), 2m = sum of k: "
    "association = c/(k_i k_j/2m) (VOSviewer's association strength); count = c; "
    "lift = N c/(a b); jaccard = c/(a+b-c); dice = 2c/(a+b); cosine = c/sqrt(a b); "
    "simpson = inclusion = c/min(a,b); pmi = log2(N c/(a b)); npmi = pmi/-log2(c/N) "
    "(pmi, npmi: only positive values kept).")


@dataclass(frozen=True)
class Params:
    """Parameters of the network stage (``[network]`` in wenmai.toml)."""

    window: str = param("sentence", "Co-occurrence window: sentence, paragraph, document, or "
                        "a number N for a sliding window of N tokens inside a sentence or "
                        "paragraph (see --within).")
    within: str = param("sentence", "Unit a sliding window (--window N) stays inside.",
                        choices=UNITS)
    counting: str = param("binary", "binary: a pair counts once per window; full: every pair "
                          "of occurrences counts (only with measure association or count).",
                          choices=COUNTINGS)
    top_n: int = param(100, "Number of most frequent terms kept as nodes (ties broken by the "
                       "term).", min=2, max=5000)
    min_cooccurrence: int = param(2, "Candidate edges: pairs sharing at least this many "
                                  "windows.", min=1)
    measure: str = param("association", _MEASURE_HELP, choices=MEASURES)
    select: str = param("top", "Edges kept: top (the --max-edges strongest), all, threshold "
                        "(weight >= --threshold), per_node (each node's --per-node strongest), "
                        "mst (maximum spanning tree), disparity (Serrano et al. 2009 backbone "
                        "at --alpha).", choices=SELECTIONS)
    max_edges: int = param(150, "Edges kept by --select top.", min=1)
    threshold: float = param(0.0, "Minimum weight kept by --select threshold.", min=0.0)
    per_node: int = param(3, "Strongest edges per node kept by --select per_node.", min=1)
    alpha: float = param(0.05, "Significance level of --select disparity.", min=0.0, max=1.0)
    community: str = param("louvain", "Community detection: louvain, leiden (igraph, seeded) "
                           "or greedy modularity.", choices=COMMUNITY_METHODS)
    resolution: float = param(1.0, "Modularity resolution; above 1 gives more, smaller "
                              "communities.", min=0.0)
    min_chars: int = param(2, "Ignore tokens shorter than this many characters (1 keeps "
                           "single-character words).", min=1, max=20)
    pos: tuple[str, ...] = param((), "Count only tokens whose POS tag starts with one of these "
                                 "(e.g. n,v,vn); empty counts every token.")
    by: str | None = param(None, "Documents column to slice the corpus by (e.g. year): one "
                           "network per slice over the same nodes.")
    slice: int = param(0, "Years (values) per slice when --by is numeric; 0: one slice per "
                       "value.", min=0)
    burst_terms: int = param(500, "Most frequent terms tested for Kleinberg bursts over the "
                             "documents' years (0: no burst detection).", min=0)
    burst_s: float = param(2.0, "Burst state rate ratio s of Kleinberg's automaton.", min=1.0)
    burst_gamma: float = param(1.0, "Cost factor gamma of entering a burst.", min=0.0)
    two_mode: str | None = param(None, "Documents column (e.g. year, source) for a two-mode "
                                 "term x group network with the same measure and selection "
                                 "(numeric columns in bins of --slice values).")
    seed: int = param(42, "Random seed of the community detection.", min=0)
    where: str | None = param(None, "Count only the documents passing this filter over "
                              "documents columns, e.g. \"year >= 2013\" (docs/subsets.md).")
    stopwords: tuple[str, ...] = param((), "Extra stopword lists (one word per line) for this "
                                       "analysis only; segment/tokens keeps the words.",
                                       path=True)
    workers: int = param(0, "Processes counting co-occurrences (a task per run of whole "
                         "documents) and sharing the betweenness computation of graphs over "
                         "200 nodes (0 = all cores); results do not depend on it.", min=0,
                         key=False)

    def __post_init__(self) -> None:
        try:
            kind, _ = parse_window(self.window)
        except ValueError:
            raise BadParams(f"network: window={self.window!r} is not allowed; choose from "
                            f"{', '.join(WINDOWS)} or a number of tokens >= 2 "
                            f"({self.window!r} is not one of these)") from None
        if self.resolution <= 0:
            raise BadParams(f"network: resolution={self.resolution!r} must be above 0; "
                            "use 1.0 for standard modularity")
        if self.counting == "full" and self.measure not in FULL_MEASURES:
            raise BadParams(f"network: measure={self.measure} needs window frequencies, which "
                            "full counting does not give; use --counting binary, or "
                            f"--measure {' or '.join(FULL_MEASURES)}")
        if self.burst_s <= 1.0 and self.burst_terms:
            raise BadParams("network: burst_s must be above 1 (the burst rate is s times the "
                            "base rate); CiteSpace uses 2")
        if kind == "sliding" and self.within == "paragraph":
            pass  # paragraph ids are checked when counting
        if self.where:
            parse(self.where)


def external_inputs(params: Params) -> list[str]:
    """The stage's own stopword lists."""
    return list(params.stopwords)


@dataclass
class Network:
    """One network: its counts, kept edges (as node indices), tables and statistics."""

    co: Cooccurrence
    i: np.ndarray
    j: np.ndarray
    weight: np.ndarray
    count: np.ndarray
    candidates: int
    nodes: pa.Table
    edges: pa.Table
    stats: dict


def candidate_edges(co: Cooccurrence, params: Params
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with ``count >= min_cooccurrence`` and a positive weight: (i, j, weight, count)."""
    keep = co.count >= params.min_cooccurrence
    i, j, count = co.source[keep], co.target[keep], co.count[keep]
    weight = association(params.measure, count, co.df[i], co.df[j], co.n_windows,
                         strength_i=co.strength[i], strength_j=co.strength[j],
                         total_strength=float(co.strength.sum()))
    positive = weight > 0
    if not positive.all():
        log.info("network: %d of %d pairs with %s <= 0 dropped", int((~positive).sum()),
                 positive.size, params.measure)
    return i[positive], j[positive], weight[positive], count[positive]


def edge_table(co: Cooccurrence, params: Params, i: np.ndarray | None = None,
               j: np.ndarray | None = None, weight: np.ndarray | None = None,
               count: np.ndarray | None = None) -> pa.Table:
    """Edges (the candidates if no arrays are given), source < target, sorted by weight
    (descending), then source and target."""
    if i is None or j is None or weight is None or count is None:
        i, j, weight, count = candidate_edges(co, params)
    terms = np.array(co.terms, dtype=object)
    first, second = terms[i], terms[j]
    swap = np.array([a > b for a, b in zip(first, second, strict=True)], dtype=bool)
    source = np.where(swap, second, first)
    target = np.where(swap, first, second)
    table = pa.table({
        "source": pa.array(source.tolist(), pa.string()),
        "target": pa.array(target.tolist(), pa.string()),
        "cooccurrences": pa.array(count, pa.int64()),
        "weight": pa.array(weight, pa.float64()),
        "measure": pa.array([params.measure] * len(count), pa.string()),
    })
    return table.sort_by([("weight", "descending"), ("source", "ascending"),
                          ("target", "ascending")])


def build_network(co: Cooccurrence, params: Params) -> Network:
    """Candidates, selection, centralities, communities and statistics of one network."""
    from pipelines.network.graph import Graph, centralities, communities, summary_stats

    i, j, weight, count = candidate_edges(co, params)
    kept = select_edges(i, j, weight, count, len(co.terms), rule=params.select,
                        max_edges=params.max_edges, threshold=params.threshold,
                        per_node=params.per_node, alpha=params.alpha)
    candidates = int(i.size)
    i, j, weight, count = i[kept], j[kept], weight[kept], count[kept]
    graph = Graph(len(co.terms), i, j, weight)
    from pipelines.core.engine import resolve_workers

    cent = centralities(graph, workers=resolve_workers(params.workers))
    comm = communities(graph, co.terms, method=params.community,
                       resolution=params.resolution, seed=params.seed)
    stats = summary_stats(graph, candidates, comm, params.resolution)
    stats["windows"] = co.n_windows
    nodes = pa.table({
        "term": pa.array(co.terms, pa.string()),
        "freq": pa.array(co.freq, pa.int64()),
        "windows": pa.array(co.df, pa.int64()),
        **{k: pa.array(cent[k], t) for k, t in CENTRALITIES},
        "community": pa.array(comm, pa.int32()),
    })
    edges = edge_table(co, params, i, j, weight, count)
    return Network(co, i, j, weight, count, candidates, nodes, edges, stats)


def _documents(documents: Any, params: Params) -> pa.Table | None:
    """The documents columns the slices, bursts and two-mode networks read (not the text)."""
    if documents is None:
        return None
    for option in ("by", "two_mode"):
        if getattr(params, option):
            check_column(documents, getattr(params, option), stage="network", option=option)
    wanted = ["doc_id", "year", params.by, params.two_mode]
    have = schema_names(documents)
    return store.read_all(documents, [c for c in dict.fromkeys(wanted) if c and c in have])


def _summary_row(label: str, stats: dict, params: Params) -> dict:
    return {"slice": label, **{f.name: stats.get(f.name) for f in SUMMARY_SCHEMA
                               if f.name not in ("slice", "params")},
            "params": json.dumps({k: v for k, v in asdict(params).items() if k != "workers"},
                                 ensure_ascii=False, sort_keys=True)}


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, pa.Table | bytes | str]:
    """Count co-occurrences, select edges, compute metrics; return the tables and files.

    Args:
        tables: ``{"segment/tokens": table, "ingest/documents": table}``, each a
            ``pa.Table`` or a ``store.StoredTable`` (the runner's, read a batch at a time);
            documents may be absent when neither ``by``, ``two_mode`` nor bursts need them.
        params: The stage parameters.

    Returns:
        The tables of ``OUTPUTS`` and the exported files.

    Raises:
        EmptyCorpus: no token passes the filters.
        SchemaError: a table lacks a column the parameters need.
    """
    from pipelines.network import export
    from pipelines.network.slices import (
        BurstCounts,
        SliceCounts,
        TwoModeCounts,
        burst_table,
        doc_groups,
        slice_networks,
        two_mode,
        year_span,
    )

    # the POS filter stays the network's own (it also picks the columns counted)
    tables = narrow(tables, NAME, Narrowing(params.where, params.stopwords))
    tokens = tables["segment/tokens"]
    kind, _ = parse_window(params.window)
    unit = params.within if kind == "sliding" else kind
    columns = need_columns(tokens, unit, params.pos)
    documents = _documents(tables.get("ingest/documents"), params)
    started = time.perf_counter()
    workers = params.workers
    work = tasks.tasks(tokens, columns)
    vocab, freq = tasks.vocabulary(tokens, columns, min_chars=params.min_chars,
                                   pos_prefixes=params.pos, workers=workers, work=work)
    terms = top_terms(vocab, freq, params.top_n)[0]
    if len(terms) < params.top_n:
        log.info("network: only %d distinct terms, fewer than top_n=%d", len(terms),
                 params.top_n)
    counter = PairCounter(len(terms), params.window, params.counting, unit)
    counters: list[Any] = [counter]
    slicer = burster = modes = None
    if params.by:
        slicer = SliceCounts(doc_groups(documents, params.by, params.slice), len(terms),
                             params.window, params.counting, unit)
        counters.append(slicer)
    if params.burst_terms:
        years = year_span(documents)
        if years >= 3:
            burster = BurstCounts(documents, vocab, freq, params.burst_terms)
            counters.append(burster)
        else:
            log.info("network: documents %s; no burst detection",
                     f"span {years} years, fewer than 3" if years else "carry no year")
    if params.two_mode:
        modes = TwoModeCounts(doc_groups(documents, params.two_mode, params.slice), len(terms),
                              unit)
        counters.append(modes)
    # pass 2: each task's counts, summed in task order
    tasks.count(tokens, columns, counters, pa.array(terms, pa.string()),
                min_chars=params.min_chars, pos_prefixes=params.pos, workers=workers,
                work=work)
    co = counter.result(terms)
    log.info("network: %d tokens in %d %s windows, vocabulary %d, %d nodes, %d co-occurring "
             "pairs (%.2f s)", counter.tokens, co.n_windows, params.window, len(vocab),
             len(terms), len(co.count), time.perf_counter() - started)
    net = build_network(co, params)
    if net.edges.num_rows == 0:
        log.warning("network: no pair of the %d top terms co-occurs in >= %d %s windows%s; the "
                    "network has nodes only; lower --min-cooccurrence or use a larger window",
                    len(co.terms), params.min_cooccurrence, params.window,
                    " with positive association" if params.measure in ("pmi", "npmi") else "")
    s = net.stats
    log.info("network: %d nodes, %d of %d candidate edges kept (%s), density %.3f -> %.3f, "
             "%d communities, modularity %.3f", s["nodes"], s["edges"], s["candidate_edges"],
             params.select, s["density_candidates"], s["density"], s["communities"],
             s["modularity"])
    summary = [_summary_row("all", net.stats, params)]
    slices = pa.Table.from_pylist([], SLICES_SCHEMA)
    slice_edges = pa.Table.from_pylist([], SLICE_EDGES_SCHEMA)
    if slicer is not None:
        slices, slice_edges, stats = slice_networks(slicer, co.terms,
                                                    lambda c: build_network(c, params))
        summary += [_summary_row(label, st, params) for label, st in stats]
    bursts = pa.Table.from_pylist([], BURSTS_SCHEMA)
    if burster is not None:
        bursts = burst_table(burster, params)
    two = pa.Table.from_pylist([], TWO_MODE_SCHEMA)
    files: dict[str, bytes | str] = {}
    if modes is not None:
        two = two_mode(modes, co, params)
        files["two_mode.gexf"] = export.two_mode_gexf(two, net.nodes)
    graph_attrs = {"measure": params.measure, "window": params.window,
                   "select": params.select}
    exported = export.export_graph(net.nodes, net.edges, graph_attrs=graph_attrs,
                                   slices=slices)
    files.update({
        "network.gexf": export.to_gexf(exported),
        "network.graphml": export.to_graphml(exported),
        "network.net": export.pajek(net.nodes, net.edges),
        "nodes.csv": export.csv_text(net.nodes),
        "edges.csv": export.csv_text(net.edges),
        "vosviewer_map.txt": export.vosviewer_map(net.nodes, net.edges),
        "vosviewer_network.txt": export.vosviewer_network(net.nodes, net.edges),
    })
    return {"nodes": net.nodes, "edges": net.edges,
            "summary": pa.Table.from_pylist(summary, SUMMARY_SCHEMA),
            "slices": slices, "slice_edges": slice_edges, "bursts": bursts, "two_mode": two,
            **files}

