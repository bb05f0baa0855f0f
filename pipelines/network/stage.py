"""Term co-occurrence network: reads ``segment/tokens``, writes ``network/nodes``,
``network/edges`` and the files ``network.gexf``, ``network.graphml``, ``vosviewer_map.txt`` and
``vosviewer_network.txt``.

Nodes are the ``top_n`` most frequent terms (ties broken by the term). Two terms co-occur in a
window (sentence, paragraph or document; a window never crosses its unit's boundary) when both
appear in it; each unordered pair of distinct terms counts once per window, however often the
terms repeat there (binary presence). Edges are the pairs that co-occur in at least
``min_cooccurrence`` windows; ``cooccurrences`` keeps that raw count and ``weight`` the chosen
association measure (see :func:`pipelines.network.measures.association`). For ``pmi`` and
``npmi`` only positively associated pairs (value > 0, i.e. more often together than chance)
are kept, so every weight is positive and usable as a link strength.

Top terms without any edge stay in the network as isolated nodes (degree 0, their own
community), and a corpus whose terms never co-occur often enough gives nodes and an empty edge
table with a warning rather than an error: an empty network is a useful answer for a tiny
corpus. Centrality and community definitions are in :mod:`pipelines.network.graph`, the file
formats in :mod:`pipelines.network.export`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.core.errors import BadParams
from pipelines.core.params import param
from pipelines.network.measures import (
    MEASURES,
    WINDOWS,
    Cooccurrence,
    association,
    count_cooccurrences,
)

__all__ = ["NAME", "INPUTS", "OUTPUTS", "SCHEMAS", "NODES_SCHEMA", "EDGES_SCHEMA", "Params",
           "compute", "edge_table"]

NAME = "network"
INPUTS = ("segment/tokens",)
OUTPUTS = ("nodes", "edges")

NODES_SCHEMA = pa.schema([
    ("term", pa.string()),
    ("freq", pa.int64()),
    ("degree", pa.int64()),
    ("weighted_degree", pa.float64()),
    ("betweenness", pa.float64()),
    ("closeness", pa.float64()),
    ("eigenvector", pa.float64()),
    ("community", pa.int32()),
])
EDGES_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("target", pa.string()),
    ("cooccurrences", pa.int64()),
    ("weight", pa.float64()),
    ("measure", pa.string()),
])
SCHEMAS = {"nodes": NODES_SCHEMA, "edges": EDGES_SCHEMA}

log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Params:
    """Parameters of the network stage (``[network]`` in wenmai.toml)."""

    window: str = param("sentence", "Co-occurrence window; a pair counts once per window and "
                        "windows never cross their unit.", choices=WINDOWS)
    top_n: int = param(100, "Number of most frequent terms kept as nodes (ties broken by the "
                       "term).", min=2, max=5000)
    min_cooccurrence: int = param(2, "Drop edges whose terms share fewer windows than this.",
                                  min=1)
    measure: str = param("count", "Edge weight: raw count or an association measure computed "
                         "from window counts.", choices=MEASURES)
    community: str = param("louvain", "Community detection: Louvain or greedy modularity.",
                           choices=("louvain", "greedy"))
    resolution: float = param(1.0, "Modularity resolution; above 1 gives more, smaller "
                              "communities.", min=0.0)
    min_chars: int = param(1, "Ignore tokens shorter than this many characters (2 drops "
                           "single-character words).", min=1, max=20)
    pos: tuple[str, ...] = param((), "Count only tokens whose POS tag starts with one of these "
                                 "(e.g. n,v,vn); empty counts every token.")
    betweenness_sample: int = param(1000, "Exact betweenness up to this many nodes; larger "
                                    "graphs estimate it from this many sampled sources.",
                                    min=10)
    seed: int = param(42, "Random seed for Louvain and the betweenness sample.", min=0)

    def __post_init__(self) -> None:
        if self.resolution <= 0:
            raise BadParams(f"network: resolution={self.resolution!r} must be above 0; "
                            "use 1.0 for standard modularity")


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, pa.Table | bytes | str]:
    """Count co-occurrences, build the graph, and return the tables and exported files.

    Args:
        tables: ``{"segment/tokens": table}``.
        params: The stage parameters.

    Returns:
        ``nodes`` and ``edges`` tables and the four network files.

    Raises:
        EmptyCorpus: no token passes the filters.
        SchemaError: the tokens table lacks a column the window needs.
    """
    from pipelines.network.export import (
        export_graph,
        to_gexf,
        to_graphml,
        vosviewer_map,
        vosviewer_network,
    )
    from pipelines.network.graph import build_graph, centralities, communities

    co = count_cooccurrences(tables["segment/tokens"], window=params.window,
                             top_n=params.top_n, min_chars=params.min_chars,
                             pos_prefixes=params.pos)
    if len(co.terms) < params.top_n:
        log.info("network: only %d distinct terms, fewer than top_n=%d", len(co.terms),
                 params.top_n)
    edges = edge_table(co, params)
    if edges.num_rows == 0:
        log.warning("network: no pair of the %d top terms co-occurs in >= %d %s windows%s; the "
                    "network has nodes only; lower --min-cooccurrence or use a larger window",
                    len(co.terms), params.min_cooccurrence, params.window,
                    " with positive association" if params.measure in ("pmi", "npmi") else "")
    graph = build_graph(co.terms, edges.column("source").to_pylist(),
                        edges.column("target").to_pylist(), edges.column("weight").to_pylist(),
                        edges.column("cooccurrences").to_pylist())
    cent = centralities(graph, co.terms, seed=params.seed,
                        betweenness_sample=params.betweenness_sample)
    comm = communities(graph, co.terms, method=params.community, resolution=params.resolution,
                       seed=params.seed)
    log.info("network: %d nodes, %d edges, %d communities", len(co.terms), edges.num_rows,
             int(comm.max()) + 1 if comm.size else 0)
    nodes = pa.table({
        "term": pa.array(co.terms, pa.string()),
        "freq": pa.array(co.freq, pa.int64()),
        "windows": pa.array(co.df, pa.int64()),
        **{k: pa.array(v, NODES_SCHEMA.field(k).type) for k, v in cent.items()},
        "community": pa.array(comm, pa.int32()),
    })
    nodes = nodes.select(["term", "freq", "windows", "degree", "weighted_degree", "betweenness",
                          "closeness", "eigenvector", "community"])
    export = export_graph(nodes, edges, graph_attrs={"measure": params.measure,
                                                     "window": params.window})
    return {
        "nodes": nodes,
        "edges": edges,
        "network.gexf": to_gexf(export),
        "network.graphml": to_graphml(export),
        "vosviewer_map.txt": vosviewer_map(nodes, edges),
        "vosviewer_network.txt": vosviewer_network(nodes, edges),
    }


def edge_table(co: Cooccurrence, params: Params) -> pa.Table:
    """Edges with ``cooccurrences >= min_cooccurrence`` (and positive pmi/npmi), source < target,
    sorted by weight (descending), then source and target."""
    keep = co.count >= params.min_cooccurrence
    i, j, count = co.source[keep], co.target[keep], co.count[keep]
    weight = association(params.measure, count, co.df[i], co.df[j], co.n_windows)
    if params.measure in ("pmi", "npmi"):
        positive = weight > 0
        if not positive.all():
            log.info("network: %d of %d pairs with %s <= 0 dropped", int((~positive).sum()),
                     positive.size, params.measure)
        i, j, count, weight = i[positive], j[positive], count[positive], weight[positive]
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
