"""Edge selection: which of the candidate edges the network keeps.

The candidates are the pairs with at least ``min_cooccurrence`` co-occurrences (and, for
``pmi``/``npmi``/``lift``-based filters, positive association). Then one rule (``select``):

- ``all``: every candidate.
- ``top``: the ``max_edges`` strongest edges by weight (KH Coder draws the top 60 by Jaccard);
  ties by raw count (descending), then by the node indices, so the result is fixed.
- ``threshold``: edges whose weight is at least ``threshold``.
- ``per_node``: for every node its ``per_node`` strongest edges (an edge is kept when it is
  among the strongest of either end).
- ``mst``: the maximum spanning tree (a forest on a disconnected graph) by weight, Kruskal's
  algorithm over the edges in the same fixed order as ``top``.
- ``disparity``: the disparity filter of Serrano, Boguñá & Vespignani (2009, PNAS 106:6483):
  for node i with degree k_i and strength s_i, an edge's normalised weight p = w / s_i has
  the significance alpha_ij = (1 - p)^(k_i - 1); the edge is kept when alpha_ij < ``alpha``
  from at least one of its ends. From a node of degree 1 the value is 1 (never significant
  from that end, as (1 - p)^0 = 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SELECTIONS", "select_edges", "disparity_alpha"]

SELECTIONS = ("top", "all", "threshold", "per_node", "mst", "disparity")


def _order(weight: np.ndarray, count: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Edge indices strongest first: weight desc, count desc, then i, j ascending."""
    return np.lexsort((j, i, -count, -weight))


def disparity_alpha(i: np.ndarray, j: np.ndarray, weight: np.ndarray, n_nodes: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Serrano's alpha of each edge seen from its first and from its second node."""
    degree = np.bincount(i, minlength=n_nodes) + np.bincount(j, minlength=n_nodes)
    strength = (np.bincount(i, weights=weight, minlength=n_nodes)
                + np.bincount(j, weights=weight, minlength=n_nodes))
    alpha_i = (1.0 - weight / strength[i]) ** (degree[i] - 1)
    alpha_j = (1.0 - weight / strength[j]) ** (degree[j] - 1)
    return alpha_i, alpha_j


def _mst(i: np.ndarray, j: np.ndarray, order: np.ndarray, n_nodes: int) -> np.ndarray:
    """Kruskal over ``order``: a boolean mask of the maximum spanning forest's edges."""
    parent = list(range(n_nodes))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keep = np.zeros(i.size, dtype=bool)
    joined = 0
    for e in order.tolist():
        ri, rj = find(int(i[e])), find(int(j[e]))
        if ri != rj:
            parent[ri] = rj
            keep[e] = True
            joined += 1
            if joined == n_nodes - 1:
                break
    return keep


def select_edges(i: np.ndarray, j: np.ndarray, weight: np.ndarray, count: np.ndarray,
                 n_nodes: int, *, rule: str, max_edges: int = 60, threshold: float = 0.0,
                 per_node: int = 3, alpha: float = 0.05) -> np.ndarray:
    """A boolean mask of the edges kept by ``rule`` (module notes).

    Args:
        i: First node of each candidate edge.
        j: Second node of each candidate edge.
        weight: The measure's value (positive).
        count: Raw co-occurrence count (tie-break).
        n_nodes: Number of nodes.
        rule: One of :data:`SELECTIONS`.
        max_edges: Edges kept by ``top``.
        threshold: Minimum weight kept by ``threshold``.
        per_node: Strongest edges per node kept by ``per_node``.
        alpha: Significance level of ``disparity``.
    """
    m = i.size
    if rule == "all" or m == 0:
        return np.ones(m, dtype=bool)
    if rule == "threshold":
        return weight >= threshold
    if rule == "disparity":
        alpha_i, alpha_j = disparity_alpha(i, j, weight, n_nodes)
        return (alpha_i < alpha) | (alpha_j < alpha)
    order = _order(weight, count, i, j)
    keep = np.zeros(m, dtype=bool)
    if rule == "top":
        keep[order[:max_edges]] = True
        return keep
    if rule == "mst":
        return _mst(i, j, order, n_nodes)
    if rule == "per_node":
        ends = np.concatenate([i[order], j[order]])
        edge = np.concatenate([order, order])
        rank_in_order = np.concatenate([np.arange(m), np.arange(m)])
        by_node = np.lexsort((rank_in_order, ends))  # per node, strongest first
        ends, edge = ends[by_node], edge[by_node]
        first = np.r_[0, np.flatnonzero(np.diff(ends)) + 1]
        start_of = np.repeat(first, np.diff(np.r_[first, ends.size]))
        keep[edge[np.arange(ends.size) - start_of < per_node]] = True
        return keep
    raise ValueError(f"unknown edge selection {rule!r}")
