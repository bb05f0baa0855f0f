"""Build the co-occurrence graph and compute centralities and communities (networkx).

Choices, so that results are defined on every graph (disconnected, with isolated nodes):

- ``degree`` is the number of neighbours; ``weighted_degree`` the sum of edge weights.
- ``betweenness`` and ``closeness`` treat a stronger link as a shorter one: the distance of
  an edge is ``1 / weight`` (all kept weights are positive). Betweenness is normalised; above
  ``betweenness_sample`` nodes it is estimated from that many source nodes drawn with ``seed``
  (the sources and scaling of networkx's ``k=`` sampling), because exact betweenness costs
  O(n^3) on these dense graphs. Closeness uses the Wasserman-Faust correction, so nodes of
  small components do not get inflated values. Both equal networkx's definitions but run on
  numpy/scipy kernels (:mod:`pipelines.network.paths`).
- ``eigenvector``: the leading eigenvector of the weighted adjacency matrix of each connected
  component, so that a second component (a mixed corpus often has a Chinese and an English
  one) does not get all zeros as with one eigenvector of the whole graph. Each component's
  unit vector is scaled by sqrt(component size / nodes with an edge), so the whole vector has
  unit length and on a connected graph it equals networkx's ``eigenvector_centrality_numpy``;
  values compare freely within a component, and across components only roughly. Isolated
  nodes get 0. Exact eigensolvers (dense up to 200 nodes, ARPACK with a fixed start vector
  above) never fail to converge and are deterministic.
- ``community``: Louvain (or greedy modularity) on the weights with ``seed``; isolated nodes
  are their own communities. Communities are numbered 0.. by size (largest first), ties by
  their smallest term.
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING

import numpy as np

from pipelines.network.paths import all_pairs_distances, betweenness, closeness

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import sparray

__all__ = ["build_graph", "centralities", "communities", "eigenvector"]

log = logging.getLogger("wenmai")

_DENSE_LIMIT = 200  # components up to this size use a dense eigensolver


def build_graph(terms: list[str], source: list[str], target: list[str],
                weight: list[float], count: list[int]) -> nx.Graph:
    """An undirected graph with every term as a node (in the given order) and the edges.

    Edges carry ``weight`` (the measure), ``cooccurrences`` (raw count) and
    ``distance`` (``1 / weight``, for shortest paths).
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(terms)
    for s, t, w, c in zip(source, target, weight, count, strict=True):
        graph.add_edge(s, t, weight=float(w), cooccurrences=int(c), distance=1.0 / float(w))
    return graph


def eigenvector(graph: nx.Graph, nodes: list[str]) -> np.ndarray:
    """Eigenvector centrality per connected component, unit length overall (module notes)."""
    import networkx as nx

    values = np.zeros(len(nodes), dtype=np.float64)
    index = {n: i for i, n in enumerate(nodes)}
    parts = [sorted(c, key=index.__getitem__) for c in nx.connected_components(graph)
             if len(c) > 1]
    linked = sum(len(c) for c in parts)
    for members in parts:
        _, vec = _leading(nx.to_scipy_sparse_array(graph, nodelist=members, weight="weight"))
        values[[index[m] for m in members]] = vec * np.sqrt(len(members) / linked)
    return values


def _leading(matrix: sparray) -> tuple[float, np.ndarray]:
    """Largest eigenvalue and its non-negative unit eigenvector of a symmetric matrix."""
    if matrix.shape[0] <= _DENSE_LIMIT:
        vals, vecs = np.linalg.eigh(matrix.toarray())
        lam, vec = float(vals[-1]), vecs[:, -1]
    else:
        from scipy.sparse.linalg import ArpackNoConvergence, eigsh

        try:
            vals, vecs = eigsh(matrix.astype(np.float64), k=1, which="LA",
                               v0=np.ones(matrix.shape[0]))
            lam, vec = float(vals[0]), vecs[:, 0]
        except ArpackNoConvergence:
            log.info("network: ARPACK did not converge; using the dense eigensolver")
            vals, vecs = np.linalg.eigh(matrix.toarray())
            lam, vec = float(vals[-1]), vecs[:, -1]
    vec = np.abs(vec)  # Perron vector of a connected non-negative matrix: one sign
    return lam, vec / np.linalg.norm(vec)


def centralities(graph: nx.Graph, nodes: list[str], *, seed: int, betweenness_sample: int
                 ) -> dict[str, np.ndarray]:
    """Degree, weighted degree, betweenness, closeness and eigenvector, in ``nodes`` order.

    Args:
        graph: The graph from :func:`build_graph`.
        nodes: Node order of the result.
        seed: Seed of the betweenness sample.
        betweenness_sample: Exact betweenness up to this many nodes, sampled above.

    Returns:
        Column name -> numpy array.
    """
    import networkx as nx

    started = time.perf_counter()
    n = len(nodes)
    out: dict[str, np.ndarray] = {
        "degree": np.array([graph.degree(v) for v in nodes], dtype=np.int64),
        "weighted_degree": np.array([graph.degree(v, weight="weight") for v in nodes],
                                    dtype=np.float64),
    }
    lengths = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="distance", format="csr")
    dist = all_pairs_distances(lengths)
    out["closeness"] = closeness(dist)
    sources = None
    if n > betweenness_sample:
        # the same sources networkx's betweenness_centrality(k=..., seed=seed) draws
        picked = set(random.Random(seed).sample(nodes, betweenness_sample))
        sources = np.array([i for i, v in enumerate(nodes) if v in picked], dtype=np.int64)
        log.info("network: %d nodes > %d, betweenness estimated from %d sampled sources "
                 "(seed %d)", n, betweenness_sample, betweenness_sample, seed)
    out["betweenness"] = betweenness(lengths, dist, sources=sources)
    log.info("network: shortest-path centralities of %d nodes, %d edges done (%.1f s)", n,
             graph.number_of_edges(), time.perf_counter() - started)
    out["eigenvector"] = eigenvector(graph, nodes)
    log.info("network: centralities done (%.1f s)", time.perf_counter() - started)
    return out


def communities(graph: nx.Graph, nodes: list[str], *, method: str, resolution: float,
                seed: int) -> np.ndarray:
    """Community number of each node (int32, in ``nodes`` order).

    Args:
        graph: The graph from :func:`build_graph`.
        nodes: Node order of the result.
        method: ``louvain`` or ``greedy`` (Clauset-Newman-Moore modularity).
        resolution: Modularity resolution; above 1 gives more, smaller communities.
        seed: Seed of Louvain's node order.

    Returns:
        Numbers 0.. by community size (largest first), ties by the community's smallest term.
    """
    from networkx.algorithms import community as nxc

    if graph.number_of_edges() == 0:
        groups = [{v} for v in nodes]
    elif method == "louvain":
        groups = nxc.louvain_communities(graph, weight="weight", resolution=resolution,
                                         seed=seed)
    elif method == "greedy":
        groups = nxc.greedy_modularity_communities(graph, weight="weight",
                                                   resolution=resolution)
    else:
        raise ValueError(f"unknown community method {method!r}")
    ordered = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
    label = {v: i for i, group in enumerate(ordered) for v in group}
    return np.array([label[v] for v in nodes], dtype=np.int32)
