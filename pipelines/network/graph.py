"""Centralities, communities and summary statistics of the co-occurrence graph (igraph, C).

Choices, so that results are defined on every graph (disconnected, with isolated nodes) and
equal networkx's definitions (the tests compare them on small graphs):

- ``degree`` is the number of neighbours; ``weighted_degree`` the sum of edge weights.
- ``betweenness`` and ``closeness`` treat a stronger link as a shorter one: the distance of
  an edge is ``1 / weight`` (all kept weights are positive). Betweenness is exact and
  normalised as networkx's ``betweenness_centrality`` (``2 / ((n-1)(n-2))`` times igraph's
  count of pairs). igraph (Brandes' algorithm in C) computes both on sparse graphs; on
  dense ones (over 200 nodes and density above 0.05, e.g. every co-occurring pair kept) the
  kernels of :mod:`pipelines.network.paths` (scipy's all-pairs Dijkstra, then sparse
  triangular solves over each source's shortest-path DAG) are faster: about 25 s against
  igraph's 129 s + 79 s on the 2,000-node, 431,504-edge network of all the policy text (same
  values); the two meet near 100k edges at 2,000 nodes.
  Closeness uses the Wasserman-Faust correction (networkx's ``closeness_centrality``):
  ``(r / total) * (r / (n - 1))`` with ``r`` the nodes a node reaches, so nodes of small
  components do not get inflated values.
- ``eigenvector``: the leading eigenvector of the weighted adjacency matrix of each connected
  component, so that a second component (a mixed corpus often has a Chinese and an English
  one) does not get all zeros as with one eigenvector of the whole graph. Each component's
  unit vector is scaled by sqrt(component size / nodes with an edge), so the whole vector has
  unit length and on a connected graph it equals networkx's ``eigenvector_centrality_numpy``.
  Isolated nodes get 0. Dense solver up to 200 nodes, ARPACK with a fixed start vector above.
- ``pagerank``: weighted PageRank, damping 0.85 (networkx's ``pagerank`` defaults; an isolated
  node's rank is spread evenly, as networkx does for dangling nodes).
- ``community``: Louvain (igraph ``community_multilevel``), Leiden (igraph
  ``community_leiden``, modularity objective, iterated until stable) or greedy modularity
  (networkx, Clauset-Newman-Moore), on the weights with ``resolution``; igraph draws its
  random numbers from a ``random.Random(seed)``. Isolated nodes are their own communities.
  Communities are numbered 0.. by size (largest first), ties by their smallest term.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["COMMUNITY_METHODS", "Graph", "centralities", "communities", "eigenvector",
           "modularity", "summary_stats"]

log = logging.getLogger("wenmai")

COMMUNITY_METHODS = ("louvain", "leiden", "greedy")
_DENSE_LIMIT = 200  # components up to this size use a dense eigensolver
DENSE_PATHS = 0.05  # density above which (and n > 200) the dense path kernels are used


class Graph:
    """An undirected weighted graph over nodes 0..n-1 (edges i < j, positive weights)."""

    def __init__(self, n: int, i: np.ndarray, j: np.ndarray, weight: np.ndarray) -> None:
        self.n = n
        self.i = np.asarray(i, dtype=np.int64)
        self.j = np.asarray(j, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)
        self._igraph: Any = None

    @property
    def m(self) -> int:
        return int(self.i.size)

    def igraph(self) -> Any:
        """The igraph graph (built once: 4 s for 400k edges), edge attributes weight and
        distance."""
        import igraph

        if self._igraph is None:
            g = igraph.Graph(n=self.n, edges=np.column_stack([self.i, self.j]), directed=False)
            g.es["weight"] = self.weight.tolist()
            g.es["distance"] = (1.0 / self.weight).tolist()
            self._igraph = g
        return self._igraph

    def adjacency(self) -> Any:
        from scipy import sparse

        return sparse.coo_array((np.r_[self.weight, self.weight], (np.r_[self.i, self.j],
                                np.r_[self.j, self.i])), shape=(self.n, self.n)).tocsr()

    def components(self) -> np.ndarray:
        from scipy.sparse.csgraph import connected_components

        return connected_components(self.adjacency(), directed=False)[1]


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph draws its random numbers from ``random.Random(seed)`` inside the block."""
    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def eigenvector(graph: Graph) -> np.ndarray:
    """Eigenvector centrality per connected component, unit length overall (module notes)."""
    values = np.zeros(graph.n, dtype=np.float64)
    if graph.m == 0:
        return values
    label = graph.components()
    sizes = np.bincount(label)
    adjacency = graph.adjacency()
    parts = [np.flatnonzero(label == c) for c in np.flatnonzero(sizes > 1)]
    linked = sum(p.size for p in parts)
    for members in parts:
        _, vec = _leading(adjacency[members][:, members])
        values[members] = vec * np.sqrt(members.size / linked)
    return values


def _leading(matrix: Any) -> tuple[float, np.ndarray]:
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


def _split(n: int, workers: int, run: Any) -> np.ndarray:
    """Sum of ``run(nodes)`` over parts of 0..n-1, shared by ``workers`` forked processes
    (each part's sources' path dependencies; their sum is the exact total)."""
    from pipelines.core.engine import can_fork, map_forked

    if workers <= 1 or n <= _DENSE_LIMIT or not can_fork():
        return run(np.arange(n))
    parts = np.array_split(np.arange(n), 4 * workers)
    return np.sum(map_forked(lambda k, _: run(parts[k]), len(parts), workers,
                             label="betweenness"), axis=0)


def centralities(graph: Graph, *, dense: bool | None = None, workers: int = 1
                 ) -> dict[str, np.ndarray]:
    """Degree, weighted degree, betweenness, closeness, eigenvector and PageRank.

    Args:
        graph: The graph.
        dense: Use the dense path kernels (True), igraph (False), or decide by size and
            density (None; module notes).
        workers: Processes sharing betweenness (sources split in parts; same values).

    Returns:
        Column name -> numpy array in node order.
    """
    started = time.perf_counter()
    n = graph.n
    out: dict[str, np.ndarray] = {
        "degree": (np.bincount(graph.i, minlength=n)
                   + np.bincount(graph.j, minlength=n)).astype(np.int64),
        "weighted_degree": (np.bincount(graph.i, weights=graph.weight, minlength=n)
                            + np.bincount(graph.j, weights=graph.weight, minlength=n)),
    }
    g = graph.igraph()
    if dense is None:
        dense = n > 200 and graph.m / (n * (n - 1) / 2) > DENSE_PATHS
    if dense and graph.m:
        from pipelines.network.paths import all_pairs_distances, betweenness_sums, closeness

        lengths = graph.adjacency()
        lengths.data = 1.0 / lengths.data
        dist = all_pairs_distances(lengths)
        sums = _split(n, workers, lambda nodes: betweenness_sums(lengths, dist, nodes))
        out["betweenness"] = sums / ((n - 1) * (n - 2)) if n > 2 else np.zeros(n)
        out["closeness"] = closeness(dist)
    else:
        if n > 2 and graph.m:
            raw = _split(n, workers, lambda nodes: np.asarray(g.betweenness(
                directed=False, weights="distance", sources=nodes.tolist()), dtype=np.float64))
            out["betweenness"] = raw * 2.0 / ((n - 1) * (n - 2))
        else:
            out["betweenness"] = np.zeros(n)
        label = graph.components()
        reach = np.bincount(label)[label] - 1
        close = np.nan_to_num(np.asarray(g.closeness(weights="distance", normalized=True),
                                         dtype=np.float64), nan=0.0)
        out["closeness"] = close * reach / (n - 1) if n > 1 else np.zeros(n)
    log.info("network: betweenness and closeness of %d nodes, %d edges, %s (%.2f s)", n,
             graph.m, "dense kernels" if dense else "igraph", time.perf_counter() - started)
    out["eigenvector"] = eigenvector(graph)
    out["pagerank"] = (np.asarray(g.pagerank(weights="weight", damping=0.85, directed=False),
                                  dtype=np.float64) if n else np.zeros(0))
    log.info("network: centralities done (%.2f s)", time.perf_counter() - started)
    return out


def communities(graph: Graph, terms: list[str], *, method: str, resolution: float,
                seed: int) -> np.ndarray:
    """Community number of each node (int32, in node order).

    Args:
        graph: The graph.
        terms: Node names (for numbering ties).
        method: One of :data:`COMMUNITY_METHODS`.
        resolution: Modularity resolution; above 1 gives more, smaller communities.
        seed: Seed of the random node orders.

    Returns:
        Numbers 0.. by community size (largest first), ties by the community's smallest term.
    """
    n = graph.n
    if graph.m == 0:
        membership = np.arange(n)
    elif method in ("louvain", "leiden"):
        g = graph.igraph()
        with seeded(seed):
            if method == "louvain":
                found = g.community_multilevel(weights="weight", resolution=resolution)
            else:
                found = g.community_leiden(objective_function="modularity", weights="weight",
                                           resolution=resolution, n_iterations=-1)
        membership = np.asarray(found.membership)
    elif method == "greedy":
        import networkx as nx
        from networkx.algorithms import community as nxc

        nxg = nx.Graph()
        nxg.add_nodes_from(range(n))
        nxg.add_weighted_edges_from(zip(graph.i.tolist(), graph.j.tolist(),
                                        graph.weight.tolist(), strict=True))
        membership = np.zeros(n, dtype=np.int64)
        for c, group in enumerate(nxc.greedy_modularity_communities(
                nxg, weight="weight", resolution=resolution)):
            membership[list(group)] = c
    else:
        raise ValueError(f"unknown community method {method!r}")
    groups: dict[int, list[str]] = {}
    for v, c in enumerate(membership.tolist()):
        groups.setdefault(c, []).append(terms[v])
    ordered = sorted(groups, key=lambda c: (-len(groups[c]), min(groups[c])))
    number = {c: k for k, c in enumerate(ordered)}
    return np.array([number[c] for c in membership.tolist()], dtype=np.int32)


def modularity(graph: Graph, membership: np.ndarray, resolution: float = 1.0) -> float:
    """Weighted modularity (Newman) of a partition; NaN without edges."""
    if graph.m == 0:
        return float("nan")
    return float(graph.igraph().modularity(membership.tolist(), weights="weight",
                                           resolution=resolution))


def summary_stats(graph: Graph, candidates: int, membership: np.ndarray,
                  resolution: float) -> dict[str, float | int]:
    """Nodes, edges, density before and after selection, components, clustering, modularity.

    ``avg_clustering`` is the unweighted local clustering averaged over all nodes (0 for
    nodes with fewer than two neighbours), as networkx's ``average_clustering``.
    """
    n, pairs = graph.n, graph.n * (graph.n - 1) / 2
    label = graph.components()
    sizes = np.bincount(label) if n else np.zeros(0, dtype=np.int64)
    clustering = (float(graph.igraph().transitivity_avglocal_undirected(mode="zero"))
                  if graph.m else 0.0)
    return {
        "nodes": n,
        "edges": graph.m,
        "isolated": int((sizes == 1).sum()),
        "candidate_edges": candidates,
        "density_candidates": candidates / pairs if pairs else 0.0,
        "density": graph.m / pairs if pairs else 0.0,
        "components": int((sizes > 1).sum()),
        "largest_component": int(sizes.max()) if n else 0,
        "avg_clustering": clustering,
        "communities": int(np.unique(membership).size),
        "modularity": modularity(graph, membership, resolution),
    }
