"""Tests of the network stage: hand-counted co-occurrences, measures, centralities, communities."""

from __future__ import annotations

import logging
import math

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from pipelines import network
from pipelines.core.config import Config, resolve_params
from pipelines.core.errors import BadParams, EmptyCorpus, SchemaError
from pipelines.network.graph import Graph, centralities, eigenvector
from pipelines.network.measures import association, count_cooccurrences


def tokens_table(rows: list[tuple[str, int, list[str]]], pos: list[list[str]] | None = None
                 ) -> pa.Table:
    """A segment/tokens table from (doc_id, para_id, tokens) rows; sent_id counts per doc."""
    sent: dict[str, int] = {}
    sent_ids = []
    for doc, _, _ in rows:
        sent_ids.append(sent.get(doc, 0))
        sent[doc] = sent.get(doc, 0) + 1
    return pa.table({
        "doc_id": pa.array([r[0] for r in rows], pa.string()),
        "para_id": pa.array([r[1] for r in rows], pa.int32()),
        "sent_id": pa.array(sent_ids, pa.int32()),
        "tokens": pa.array([r[2] for r in rows], pa.list_(pa.string())),
        "pos": pa.array(pos or [["n"] * len(r[2]) for r in rows], pa.list_(pa.string())),
        "lang": pa.array(["en"] * len(rows), pa.string()),
    })


# Sentence windows {a,b} {b,c} {c,d} {a,b,d}; paragraphs {a,b,c} {c,d} {a,b,d};
# documents {a,b,c,d} {a,b,d}. freq a=3 b=3 c=2 d=2.
TOY = [("d1", 0, ["a", "b", "a"]), ("d1", 0, ["b", "c"]), ("d1", 1, ["c", "d"]),
       ("d2", 0, ["a", "b", "d"])]


#: the settings of the tests written before edge selection: every candidate edge, raw counts
OLD = {"min_chars": 1, "measure": "count", "select": "all", "burst_terms": 0}


def run(rows: list[tuple[str, int, list[str]]] = TOY, **kwargs: object) -> dict:
    return network.compute({"segment/tokens": tokens_table(rows)},
                           network.Params(**{**OLD, **kwargs}))


def edge_dict(edges: pa.Table, column: str = "cooccurrences") -> dict[tuple[str, str], object]:
    return {(s, t): v for s, t, v in zip(edges["source"].to_pylist(), edges["target"].to_pylist(),
                                         edges[column].to_pylist(), strict=True)}


@pytest.mark.parametrize(("window", "expected"), [
    ("sentence", {("a", "b"): 2, ("b", "c"): 1, ("c", "d"): 1, ("a", "d"): 1, ("b", "d"): 1}),
    ("paragraph", {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1, ("c", "d"): 1, ("a", "d"): 1,
                   ("b", "d"): 1}),
    ("document", {("a", "b"): 2, ("a", "d"): 2, ("b", "d"): 2, ("a", "c"): 1, ("b", "c"): 1,
                  ("c", "d"): 1}),
])
def test_window_counts_once_per_window(window: str, expected: dict) -> None:
    out = run(window=window, min_cooccurrence=1)
    assert edge_dict(out["edges"]) == expected
    assert out["edges"]["measure"].to_pylist() == ["count"] * len(expected)
    assert edge_dict(out["edges"], "weight") == {k: float(v) for k, v in expected.items()}


def test_window_frequencies_and_nodes() -> None:
    co = count_cooccurrences(tokens_table(TOY), window="sentence", top_n=10)
    assert co.terms == ["a", "b", "c", "d"]
    assert co.freq.tolist() == [3, 3, 2, 2]
    assert co.df.tolist() == [2, 3, 2, 2]
    assert co.n_windows == 4
    doc = count_cooccurrences(tokens_table(TOY), window="document", top_n=10)
    assert doc.df.tolist() == [2, 2, 1, 2]
    assert doc.n_windows == 2


def test_jaccard_weights_by_hand() -> None:
    out = run(measure="jaccard", min_cooccurrence=1)
    # c / (df_i + df_j - c) with df a=2 b=3 c=2 d=2
    assert edge_dict(out["edges"], "weight") == pytest.approx(
        {("a", "b"): 2 / 3, ("c", "d"): 1 / 3, ("a", "d"): 1 / 3, ("b", "c"): 1 / 4,
         ("b", "d"): 1 / 4}, rel=1e-12)
    assert out["edges"]["source"].to_pylist() == ["a", "a", "c", "b", "b"]  # weight desc, then
    assert out["edges"]["target"].to_pylist() == ["b", "d", "d", "c", "d"]  # source, target


def test_association_measures_by_hand() -> None:
    c, a, b = np.array([2]), np.array([3]), np.array([4])
    got = {m: float(association(m, c, a, b, 10)[0]) for m in
           ("count", "jaccard", "dice", "cosine", "inclusion", "simpson", "lift", "pmi",
            "npmi")}
    assert got == pytest.approx({
        "count": 2.0, "jaccard": 2 / 5, "dice": 4 / 7, "cosine": 2 / math.sqrt(12),
        "inclusion": 2 / 3, "simpson": 2 / 3, "lift": 10 * 2 / 12, "pmi": math.log2(5 / 3),
        "npmi": math.log2(5 / 3) / math.log2(5)}, rel=1e-12)
    # a pair present in every window: npmi is 1 by definition
    assert association("npmi", np.array([4]), np.array([4]), np.array([4]), 4).tolist() == [1.0]


def test_pmi_keeps_only_positive_association() -> None:
    # N=4: pmi(c,d) = log2(4*1/(2*2)) = 0 -> dropped; pmi(a,b) = log2(4*2/(2*3)) > 0 kept
    out = run(measure="pmi", min_cooccurrence=1)
    assert edge_dict(out["edges"], "weight") == pytest.approx({("a", "b"): math.log2(4 / 3)})


def test_top_n_ties_broken_by_term_and_min_cooccurrence() -> None:
    out = run(top_n=3, min_cooccurrence=1)
    assert out["nodes"]["term"].to_pylist() == ["a", "b", "c"]
    assert edge_dict(out["edges"]) == {("a", "b"): 2, ("b", "c"): 1}
    strict = run(min_cooccurrence=2)
    assert edge_dict(strict["edges"]) == {("a", "b"): 2}
    assert strict["nodes"]["degree"].to_pylist() == [1, 1, 0, 0]


def test_centralities_by_hand() -> None:
    # weights ab=2, others 1 -> distances ab=0.5, others 1; only a-c passes through b
    nodes = run(min_cooccurrence=1)["nodes"].to_pydict()
    assert nodes["term"] == ["a", "b", "c", "d"]
    assert nodes["freq"] == [3, 3, 2, 2]
    assert nodes["degree"] == [2, 3, 2, 3]
    assert nodes["weighted_degree"] == [3.0, 4.0, 2.0, 3.0]
    assert nodes["betweenness"] == pytest.approx([0.0, 1 / 3, 0.0, 0.0], abs=1e-12)
    assert nodes["closeness"] == pytest.approx([3 / 3, 3 / 2.5, 3 / 3.5, 3 / 3], rel=1e-12)
    graph = nx.Graph()
    graph.add_weighted_edges_from([("a", "b", 2), ("b", "c", 1), ("c", "d", 1), ("a", "d", 1),
                                   ("b", "d", 1)])
    reference = nx.eigenvector_centrality_numpy(graph, weight="weight")
    assert nodes["eigenvector"] == pytest.approx([reference[t] for t in "abcd"], rel=1e-9)


def two_cliques(bridge: bool) -> list[tuple[str, int, list[str]]]:
    rows = [("d1", 0, ["a", "b", "c", "d"])] * 3 + [("d2", 0, ["w", "x", "y", "z"])] * 3
    return rows + ([("d3", 0, ["d", "w"])] if bridge else [])


@pytest.mark.parametrize("method", ["louvain", "greedy"])
def test_two_cliques_give_two_communities(method: str) -> None:
    nodes = run(two_cliques(bridge=True), community=method, min_cooccurrence=1)["nodes"]
    comm = dict(zip(nodes["term"].to_pylist(), nodes["community"].to_pylist(), strict=True))
    # equal sizes: numbered by smallest term, so {a,b,c,d} is 0
    assert comm == {"a": 0, "b": 0, "c": 0, "d": 0, "w": 1, "x": 1, "y": 1, "z": 1}
    assert nodes["community"].type == pa.int32()


def test_eigenvector_per_component() -> None:
    nodes = run(two_cliques(bridge=False), min_cooccurrence=1)["nodes"]
    assert nodes["eigenvector"].to_pylist() == pytest.approx([1 / math.sqrt(8)] * 8, rel=1e-9)
    # a-b, b-c, a-c, x-y and an isolated node
    graph = Graph(6, np.array([0, 1, 0, 3]), np.array([1, 2, 2, 4]), np.ones(4))
    values = eigenvector(graph)
    # per component: triangle (1/sqrt 3) * sqrt(3/5), pair (1/sqrt 2) * sqrt(2/5); isolate 0
    assert values.tolist() == pytest.approx([1 / math.sqrt(5)] * 5 + [0.0], rel=1e-12)
    assert float(np.linalg.norm(values)) == pytest.approx(1.0)


def test_isolated_top_term_is_kept_with_own_community() -> None:
    rows = [*TOY, ("d3", 0, ["e", "e", "e", "e"])]
    nodes = run(rows, min_cooccurrence=1)["nodes"].to_pydict()
    i = nodes["term"].index("e")
    assert i == 0 and nodes["freq"][i] == 4
    assert (nodes["degree"][i], nodes["weighted_degree"][i], nodes["betweenness"][i],
            nodes["closeness"][i], nodes["eigenvector"][i]) == (0, 0.0, 0.0, 0.0, 0.0)
    assert nodes["community"].count(nodes["community"][i]) == 1
    assert nodes["community"][i] == 1  # after the 4-node community


def test_no_edges_gives_nodes_and_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wenmai"):
        out = run(min_cooccurrence=9)
    assert out["edges"].num_rows == 0
    assert out["edges"].schema.equals(network.EDGES_SCHEMA)
    assert out["nodes"]["community"].to_pylist() == [0, 1, 2, 3]
    assert out["nodes"]["degree"].to_pylist() == [0, 0, 0, 0]
    assert "lower --min-cooccurrence" in caplog.text
    assert out["vosviewer_network.txt"] == ""


def test_no_token_left_raises_empty_corpus() -> None:
    with pytest.raises(EmptyCorpus, match="no token of 4 sentences passes min_chars=2"):
        run(min_chars=2)
    with pytest.raises(EmptyCorpus, match="segment/tokens has no sentences"):
        run([])


def test_min_chars_and_pos_filters() -> None:
    rows = [("d1", 0, ["教育", "的", "公平", "促进"]), ("d1", 0, ["教育", "公平"])]
    table = tokens_table(rows, pos=[["n", "uj", "an", "v"], ["vn", "n"]])
    co = count_cooccurrences(table, top_n=10, min_chars=2, pos_prefixes=("n", "a"))
    # kept: 教育/n 公平/an in row 1, 公平/n in row 2 (教育/vn is not a noun or adjective tag)
    assert co.terms == ["公平", "教育"]
    assert co.freq.tolist() == [2, 1]
    assert co.count.tolist() == [1]


def test_schema_errors() -> None:
    table = tokens_table(TOY).drop_columns(["para_id"])
    with pytest.raises(SchemaError, match="lacks column.*para_id"):
        network.compute({"segment/tokens": table}, network.Params(window="paragraph"))


def test_same_seed_same_results() -> None:
    rows = two_cliques(bridge=True) + TOY
    first, second = run(rows, min_cooccurrence=1), run(rows, min_cooccurrence=1)
    for key in ("nodes", "edges"):
        assert first[key].equals(second[key])
    for key in ("network.gexf", "network.graphml", "vosviewer_map.txt", "vosviewer_network.txt"):
        assert first[key] == second[key]


def test_params_are_checked() -> None:
    with pytest.raises(BadParams, match="resolution=0.0 must be above 0"):
        network.Params(resolution=0.0)
    with pytest.raises(BadParams, match="measure='lifted' is not allowed"):
        resolve_params(network, Config(None), {"measure": "lifted"})
    params = resolve_params(network, Config(None), {"pos": "n,vn", "window": "document"})
    assert params.pos == ("n", "vn") and params.window == "document"


def random_graph(seed: int, n: int = 30, p: float = 0.2) -> tuple[nx.Graph, list[str]]:
    """A random graph with weights 1, 2, 4 (many equal-length paths) and isolates."""
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"n{i:02d}" for i in graph})
    for u, v in graph.edges:
        w = float(2 ** rng.integers(0, 3))  # 1, 2, 4: lengths add exactly in binary
        graph.edges[u, v].update(weight=w, distance=1.0 / w)
    return graph, sorted(graph)


def as_graph(graph: nx.Graph, order: list[str]) -> Graph:
    index = {v: k for k, v in enumerate(order)}
    i, j, w = zip(*((index[u], index[v], d["weight"]) for u, v, d in graph.edges(data=True)),
                  strict=True)
    return Graph(len(order), np.array(i), np.array(j), np.array(w))


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize(("seed", "p"), [(1, 0.2), (2, 0.2), (3, 0.3), (4, 0.06)])
def test_centralities_equal_networkx(seed: int, p: float, dense: bool) -> None:
    graph, order = random_graph(seed, p=p)  # p=0.06: several components and isolates
    got = centralities(as_graph(graph, order), dense=dense)
    between = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    close = nx.closeness_centrality(graph, distance="distance")
    rank = nx.pagerank(graph, weight="weight", tol=1e-12, max_iter=1000)
    assert got["betweenness"] == pytest.approx([between[v] for v in order], rel=1e-9, abs=1e-12)
    assert got["closeness"] == pytest.approx([close[v] for v in order], rel=1e-9, abs=1e-12)
    assert got["pagerank"] == pytest.approx([rank[v] for v in order], rel=1e-6, abs=1e-9)
    assert got["degree"].tolist() == [graph.degree(v) for v in order]
    assert got["weighted_degree"] == pytest.approx([graph.degree(v, weight="weight")
                                                    for v in order])


@pytest.mark.parametrize("dense", [False, True])
def test_betweenness_shared_by_workers_is_the_same(dense: bool) -> None:
    graph, order = random_graph(5, n=260, p=0.03)
    one = centralities(as_graph(graph, order), dense=dense, workers=1)
    two = centralities(as_graph(graph, order), dense=dense, workers=2)
    assert two["betweenness"] == pytest.approx(one["betweenness"], rel=1e-12, abs=1e-15)
    reference = nx.betweenness_centrality(graph, weight="distance")
    assert two["betweenness"] == pytest.approx([reference[v] for v in order], rel=1e-9,
                                               abs=1e-12)
