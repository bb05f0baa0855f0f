"""Hand computations of the new measures, windows, counting and edge selection rules."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from pipelines import network
from pipelines.core.errors import BadParams
from pipelines.network.graph import Graph, communities, summary_stats
from pipelines.network.measures import count_cooccurrences, parse_window
from pipelines.network.select import disparity_alpha, select_edges
from tests.network.test_stage import TOY, edge_dict, run, tokens_table, two_cliques


def cwts_association(matrix: np.ndarray) -> np.ndarray:
    """A line-by-line transcription of CWTS networkanalysis
    ``Network.createNormalizedNetworkUsingAssociationStrength`` (node weights = total edge
    weights, self links left out) on a dense symmetric matrix."""
    n = matrix.shape[0]
    node_weights = [sum(matrix[i][j] for j in range(n) if j != i) for i in range(n)]
    total_node_weight = sum(node_weights)
    out = np.zeros_like(matrix, dtype=float)
    for i in range(n):
        for j in range(n):
            if i != j and matrix[i][j]:
                out[i][j] = matrix[i][j] / ((node_weights[i] * node_weights[j])
                                            / total_node_weight)
    return out


def test_association_strength_equals_cwts_by_hand() -> None:
    # sentence windows {a,b} {b,c} {c,d} {a,b,d}: ab=2 bc=1 cd=1 ad=1 bd=1
    # k: a=3 b=4 c=2 d=3, 2m=12; a_ab = 2 / (3*4/12) = 2
    got = edge_dict(run(measure="association", min_cooccurrence=1)["edges"], "weight")
    assert got == pytest.approx({("a", "b"): 2.0, ("b", "c"): 1 / (4 * 2 / 12),
                                 ("c", "d"): 1 / (2 * 3 / 12), ("a", "d"): 1 / (3 * 3 / 12),
                                 ("b", "d"): 1 / (4 * 3 / 12)}, rel=1e-12)
    terms = "abcd"
    matrix = np.zeros((4, 4))
    for (s, t), c in edge_dict(run(min_cooccurrence=1)["edges"]).items():
        matrix[terms.index(s), terms.index(t)] = matrix[terms.index(t), terms.index(s)] = c
    reference = cwts_association(matrix)
    assert got == pytest.approx({(s, t): reference[terms.index(s), terms.index(t)]
                                 for s, t in got}, rel=1e-12)


def test_association_strength_uses_all_pairs_before_the_minimum() -> None:
    # k counts every co-occurring pair among the nodes, as VOSviewer's total link strength;
    # min_cooccurrence=2 keeps only a-b, still 2 / (3*4/12)
    got = edge_dict(run(measure="association", min_cooccurrence=2)["edges"], "weight")
    assert got == pytest.approx({("a", "b"): 2.0})


def test_parse_window() -> None:
    assert parse_window("7") == ("sliding", 7)
    with pytest.raises(ValueError):
        parse_window("1")
    with pytest.raises(BadParams, match="window='page' is not allowed"):
        network.Params(window="page")


SLIDE = [("d1", 0, ["a", "b", "c", "a"]), ("d1", 0, ["a"]), ("d1", 1, ["b", "a"])]


def test_sliding_window_binary_by_hand() -> None:
    # window 2 inside sentences: {a,b} {b,c} {c,a} | {a} | {b,a}: N=5
    co = count_cooccurrences(tokens_table(SLIDE), window="2", top_n=10)
    assert co.terms == ["a", "b", "c"]
    assert co.n_windows == 5
    assert co.df.tolist() == [4, 3, 2]
    pairs = {(co.terms[i], co.terms[j]): int(c)
             for i, j, c in zip(co.source, co.target, co.count, strict=True)}
    assert pairs == {("a", "b"): 2, ("b", "c"): 1, ("a", "c"): 1}
    # window 3 inside paragraphs: paragraph 0 = a b c a a -> {a,b,c} {b,c,a} {c,a,a};
    # paragraph 1 = b a (shorter than 3) -> one window {a,b}
    para = count_cooccurrences(tokens_table(SLIDE), window="3", top_n=10, within="paragraph")
    assert para.n_windows == 4
    assert para.df.tolist() == [4, 3, 3]
    pairs = {(para.terms[i], para.terms[j]): int(c)
             for i, j, c in zip(para.source, para.target, para.count, strict=True)}
    assert pairs == {("a", "b"): 3, ("b", "c"): 2, ("a", "c"): 3}


def test_sliding_window_full_by_hand() -> None:
    # window 3, full: position pairs less than 3 apart with different terms.
    # sentence a b c a: (a,b) (a,c) (b,c) (b,a) (c,a); sentence b a: (b,a)
    co = count_cooccurrences(tokens_table(SLIDE), window="3", top_n=10, counting="full")
    pairs = {(co.terms[i], co.terms[j]): int(c)
             for i, j, c in zip(co.source, co.target, co.count, strict=True)}
    assert pairs == {("a", "b"): 3, ("a", "c"): 2, ("b", "c"): 1}


def test_full_counting_in_unit_windows_by_hand() -> None:
    rows = [("d1", 0, ["a", "a", "b", "c"]), ("d1", 0, ["a", "b", "b"])]
    co = count_cooccurrences(tokens_table(rows), window="sentence", top_n=10, counting="full")
    pairs = {(co.terms[i], co.terms[j]): int(c)
             for i, j, c in zip(co.source, co.target, co.count, strict=True)}
    # sentence 1: a x2, b, c -> ab 2, ac 2, bc 1; sentence 2: a, b x2 -> ab 2
    assert pairs == {("a", "b"): 4, ("a", "c"): 2, ("b", "c"): 1}
    assert co.df.tolist() == [2, 2, 1]
    binary = count_cooccurrences(tokens_table(rows), window="sentence", top_n=10)
    assert binary.count.tolist() == [2, 1, 1]


def test_full_counting_needs_a_matrix_measure() -> None:
    with pytest.raises(BadParams, match="measure=jaccard needs window frequencies"):
        network.Params(counting="full", measure="jaccard")
    network.Params(counting="full", measure="association")


# candidate edges of a 5-node graph: (i, j, weight, count)
EDGES = [(0, 1, 5.0, 5), (0, 2, 4.0, 4), (1, 2, 3.0, 3), (2, 3, 2.0, 2), (3, 4, 2.0, 3),
         (0, 4, 1.0, 1)]


def pick(rule: str, **kwargs: object) -> set[tuple[int, int]]:
    i, j, w, c = (np.array(col) for col in zip(*EDGES, strict=True))
    mask = select_edges(i, j, w, c, 5, rule=rule, **kwargs)
    return {(int(a), int(b)) for a, b, k in zip(i, j, mask, strict=True) if k}


def test_top_threshold_per_node_by_hand() -> None:
    # weight 2 tie: (3,4) has the larger count, so it comes first
    assert pick("top", max_edges=4) == {(0, 1), (0, 2), (1, 2), (3, 4)}
    assert pick("threshold", threshold=3.0) == {(0, 1), (0, 2), (1, 2)}
    # strongest per node: 0->(0,1) 1->(0,1) 2->(0,2) 3->(3,4) 4->(3,4)
    assert pick("per_node", per_node=1) == {(0, 1), (0, 2), (3, 4)}
    assert pick("all") == {(a, b) for a, b, _, _ in EDGES}


def test_maximum_spanning_tree_by_hand() -> None:
    # Kruskal, strongest first: 01 (5), 02 (4), 12 closes a cycle, 34 (2, count 3), 23 (2)
    assert pick("mst") == {(0, 1), (0, 2), (3, 4), (2, 3)}
    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, w) for a, b, w, _ in EDGES)
    reference = nx.maximum_spanning_tree(graph)
    assert sum(graph.edges[e]["weight"] for e in pick("mst")) == pytest.approx(
        reference.size(weight="weight"))


def test_disparity_filter_by_hand() -> None:
    # node 0: k=3, s=10; node 1: k=2, s=8; node 2: k=3, s=9; node 3: k=2, s=4; node 4: k=2, s=3
    i, j, w, _ = (np.array(col) for col in zip(*EDGES, strict=True))
    alpha_i, alpha_j = disparity_alpha(i, j, w, 5)
    expected_i = [(1 - 5 / 10) ** 2, (1 - 4 / 10) ** 2, (1 - 3 / 8) ** 1, (1 - 2 / 9) ** 2,
                  (1 - 2 / 4) ** 1, (1 - 1 / 10) ** 2]
    expected_j = [(1 - 5 / 8) ** 1, (1 - 4 / 9) ** 2, (1 - 3 / 9) ** 2, (1 - 2 / 4) ** 1,
                  (1 - 2 / 3) ** 1, (1 - 1 / 3) ** 1]
    assert alpha_i == pytest.approx(expected_i)
    assert alpha_j == pytest.approx(expected_j)
    # alpha 0.35: 01 (0.25, 0.375) and 34 (0.5, 0.333) pass; 02 (0.36, 0.309) passes
    assert pick("disparity", alpha=0.35) == {(0, 1), (0, 2), (3, 4)}


def test_stage_selects_top_edges_and_reports_density() -> None:
    out = run(measure="count", min_cooccurrence=1, select="top", max_edges=2)
    assert edge_dict(out["edges"]) == {("a", "b"): 2, ("a", "d"): 1}
    summary = out["summary"].to_pylist()[0]
    assert (summary["candidate_edges"], summary["edges"]) == (5, 2)
    assert summary["density_candidates"] == pytest.approx(5 / 6)
    assert summary["density"] == pytest.approx(2 / 6)
    assert summary["isolated"] == 1  # c has no kept edge
    assert '"select": "top"' in summary["params"]


def test_summary_equals_networkx() -> None:
    rows = two_cliques(bridge=True) + TOY
    out = run(rows, min_cooccurrence=1)
    nodes, edges = out["nodes"], out["edges"]
    graph = nx.Graph()
    graph.add_nodes_from(nodes["term"].to_pylist())
    graph.add_weighted_edges_from(zip(edges["source"].to_pylist(), edges["target"].to_pylist(),
                                      edges["weight"].to_pylist(), strict=True))
    summary = out["summary"].to_pylist()[0]
    assert summary["density"] == pytest.approx(nx.density(graph))
    assert summary["avg_clustering"] == pytest.approx(nx.average_clustering(graph))
    assert summary["components"] == nx.number_connected_components(graph)
    groups: dict[int, set[str]] = {}
    for term, c in zip(nodes["term"].to_pylist(), nodes["community"].to_pylist(), strict=True):
        groups.setdefault(c, set()).add(term)
    assert summary["modularity"] == pytest.approx(
        nx.community.modularity(graph, groups.values(), weight="weight"))


@pytest.mark.parametrize("method", ["louvain", "leiden", "greedy"])
def test_community_methods_find_two_cliques_like_networkx(method: str) -> None:
    # two 5-cliques joined by one edge: every method and networkx's Louvain agree
    i, j = zip(*[(a, b) for part in (range(5), range(5, 10))
                 for a, b in itertools.combinations(part, 2)], (4, 5), strict=True)
    graph = Graph(10, np.array(i), np.array(j), np.ones(len(i)))
    terms = [f"t{k}" for k in range(10)]
    got = communities(graph, terms, method=method, resolution=1.0, seed=1)
    reference = nx.community.louvain_communities(
        nx.Graph(list(zip(i, j, strict=True))), seed=1)
    assert sorted(sorted(g) for g in reference) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert got.tolist() == [0] * 5 + [1] * 5
    again = communities(graph, terms, method=method, resolution=1.0, seed=1)
    assert again.tolist() == got.tolist()
    stats = summary_stats(graph, graph.m, got, 1.0)
    assert stats["communities"] == 2


def test_leiden_resolution_splits_more() -> None:
    rows = two_cliques(bridge=True)
    coarse = run(rows, min_cooccurrence=1, community="leiden", resolution=0.05)["nodes"]
    fine = run(rows, min_cooccurrence=1, community="leiden", resolution=1.0)["nodes"]
    assert len(set(coarse["community"].to_pylist())) == 1
    assert len(set(fine["community"].to_pylist())) == 2


def test_pmi_negatives_are_dropped_and_documented() -> None:
    # pmi(c,d) = log2(4*1/(2*2)) = 0 is not positive -> dropped; the docs say so
    out = run(measure="npmi", min_cooccurrence=1)
    assert set(edge_dict(out["edges"])) == {("a", "b")}
    assert "only positive values kept" in network.Params.__dataclass_fields__[
        "measure"].metadata["help"]
    assert math.isclose(out["edges"]["weight"][0].as_py(),
                        math.log2(4 * 2 / 6) / -math.log2(2 / 4))


def test_summary_params_leave_out_workers() -> None:
    one = run(min_cooccurrence=1, workers=1)["summary"]
    two = run(min_cooccurrence=1, workers=2)["summary"]
    assert one.equals(two)
    assert "workers" not in one["params"][0].as_py()
