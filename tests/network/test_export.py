"""Tests of the network files (GEXF, GraphML, VOSviewer) and of the stage under the runner."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pytest

from pipelines import network
from pipelines.core import runner, store
from pipelines.network.export import _vos_label, vosviewer_map

# Sentence windows {教育,公平} x2, {教育,质量}, {乡村, 振兴} x2, {"a,b"}; min_cooccurrence 2
# keeps 教育-公平 and 乡村-振兴.
ROWS = [("d1", 0, ["教育", "公平"]), ("d1", 0, ["教育", "公平", "教育"]),
        ("d1", 1, ["教育", "质量"]), ("d2", 0, ["乡村", "振兴"]), ("d2", 0, ["振兴", "乡村"]),
        ("d2", 1, ["a,b"])]
GEXF_NS = "{http://www.gexf.net/1.2draft}"


def tokens() -> pa.Table:
    return pa.table({
        "doc_id": pa.array([r[0] for r in ROWS], pa.string()),
        "para_id": pa.array([r[1] for r in ROWS], pa.int32()),
        "sent_id": pa.array(range(len(ROWS)), pa.int32()),
        "tokens": pa.array([r[2] for r in ROWS], pa.list_(pa.string())),
        "pos": pa.array([["n"] * len(r[2]) for r in ROWS], pa.list_(pa.string())),
        "lang": pa.array(["zh"] * len(ROWS), pa.string()),
    })


@pytest.fixture(scope="module")
def out() -> dict:
    return network.compute({"segment/tokens": tokens()},
                           network.Params(measure="jaccard", select="all", burst_terms=0))


def test_nodes_and_edges_tables(out: dict) -> None:
    nodes = out["nodes"].to_pydict()
    # freq 教育 4, then 2 each (ties by code point: 乡村 < 公平 < 振兴), then 1 each
    assert nodes["term"] == ["教育", "乡村", "公平", "振兴", "a,b", "质量"]
    assert nodes["freq"] == [4, 2, 2, 2, 1, 1]
    # two 2-node communities: numbered by smallest term, 乡村 (U+4E61) < 公平 (U+516C)
    assert nodes["community"] == [1, 0, 1, 0, 2, 3]
    edges = out["edges"].to_pydict()
    assert edges == {"source": ["乡村", "公平"], "target": ["振兴", "教育"],
                     "cooccurrences": [2, 2], "weight": [1.0, 2 / 3],
                     "measure": ["jaccard", "jaccard"]}
    store.check_schema(out["nodes"], network.NODES_SCHEMA, name="network/nodes")
    store.check_schema(out["edges"], network.EDGES_SCHEMA, name="network/edges")


def test_gexf_is_gexf_1_2_and_round_trips(out: dict) -> None:
    data = out["network.gexf"]
    root = ET.fromstring(data)
    assert root.tag == f"{GEXF_NS}gexf"
    assert root.get("version") == "1.2"
    assert root.find(f"{GEXF_NS}meta").get("lastmodifieddate") is None
    graph_el = root.find(f"{GEXF_NS}graph")
    assert graph_el.get("defaultedgetype") == "undirected"
    titles = {a.get("title") for a in graph_el.iter(f"{GEXF_NS}attribute")}
    assert {"freq", "community", "degree", "weighted_degree", "betweenness", "closeness",
            "eigenvector", "cooccurrences"} <= titles
    graph = nx.read_gexf(io.BytesIO(data))
    assert list(graph.nodes) == out["nodes"]["term"].to_pylist()
    assert graph.nodes["教育"]["label"] == "教育"
    assert graph.nodes["教育"]["freq"] == 4
    assert graph.nodes["a,b"]["community"] == 2
    assert graph.edges["公平", "教育"]["weight"] == pytest.approx(2 / 3)
    assert graph.edges["乡村", "振兴"]["cooccurrences"] == 2
    assert graph.number_of_edges() == 2


def test_graphml_round_trips(out: dict) -> None:
    graph = nx.read_graphml(io.BytesIO(out["network.graphml"]))
    assert (graph.graph["measure"], graph.graph["window"]) == ("jaccard", "sentence")
    assert list(graph.nodes) == out["nodes"]["term"].to_pylist()
    assert graph.nodes["公平"]["freq"] == 2
    assert graph.nodes["公平"]["eigenvector"] == pytest.approx(
        out["nodes"]["eigenvector"][2].as_py())
    assert graph.edges["公平", "教育"]["cooccurrences"] == 2
    assert not graph.is_directed()


def test_vosviewer_files_exact(out: dict) -> None:
    assert out["vosviewer_map.txt"] == (
        "id\tlabel\tcluster\tweight<Links>\tweight<Total link strength>\tweight<Occurrences>\n"
        "1\t教育\t2\t1\t2\t4\n"
        "2\t乡村\t1\t1\t2\t2\n"
        "3\t公平\t2\t1\t2\t2\n"
        "4\t振兴\t1\t1\t2\t2\n"
        '5\t"a,b"\t3\t0\t0\t1\n'
        "6\t质量\t4\t0\t0\t1\n")
    assert out["vosviewer_network.txt"] == "1\t3\t2\n2\t4\t2\n"


def test_vosviewer_label_and_cluster_limit() -> None:
    assert _vos_label('say "hi"; go') == '"say ""hi""; go"'
    assert _vos_label("tab\there") == "tab here"
    n = 1001
    nodes = pa.table({"term": [f"t{i}" for i in range(n)], "freq": [1] * n, "degree": [0] * n,
                      "community": pa.array(range(n), pa.int32())})
    edges = pa.table({"source": pa.array([], pa.string()), "target": pa.array([], pa.string()),
                      "cooccurrences": pa.array([], pa.int64())})
    text = vosviewer_map(nodes, edges)
    assert text.splitlines()[0] == ("id\tlabel\tweight<Links>\tweight<Total link strength>\t"
                                    "weight<Occurrences>")
    assert text.splitlines()[1] == "1\tt0\t0\t0\t1"


def test_runner_writes_every_output_and_skips_when_fresh(workdir: Path) -> None:
    store.write_outputs(workdir, "segment", {"tokens": tokens()})
    store.write_outputs(workdir, "ingest", {"documents": pa.table({
        "doc_id": ["d1", "d2"], "year": pa.array([2001, 2002], pa.int32())})})
    params = network.Params(measure="count")
    first = runner.run_stage(network, workdir, params)
    assert first.ran
    assert set(first.outputs) == {
        "nodes.parquet", "edges.parquet", "summary.parquet", "slices.parquet",
        "slice_edges.parquet", "bursts.parquet", "two_mode.parquet", "network.gexf",
        "network.graphml", "network.net", "nodes.csv", "edges.csv", "vosviewer_map.txt",
        "vosviewer_network.txt"}
    nodes = store.read_table(workdir, "network/nodes", network.NODES_SCHEMA)
    assert nodes.num_rows == 6
    assert (workdir / "network" / "vosviewer_network.txt").read_text("utf-8") == \
        "1\t3\t2\n2\t4\t2\n"
    again = runner.run_stage(network, workdir, params)
    assert not again.ran


def test_xml_invalid_characters_are_replaced_in_xml_files() -> None:
    table = tokens().slice(0, 2)
    table = table.set_column(3, "tokens", pa.array([["教育", "bad\x01term"]] * 2,
                                                   pa.list_(pa.string())))
    result = network.compute({"segment/tokens": table}, network.Params(burst_terms=0))
    assert result["nodes"]["term"].to_pylist() == ["bad\x01term", "教育"]  # tables keep it
    graph = nx.read_gexf(io.BytesIO(result["network.gexf"]))
    assert sorted(graph.nodes) == ["bad\ufffdterm", "教育"]
    assert graph.has_edge("bad\ufffdterm", "教育")
    assert list(nx.read_graphml(io.BytesIO(result["network.graphml"]))) == ["bad\ufffdterm",
                                                                          "教育"]


def test_pajek_reads_back(out: dict, tmp_path: Path) -> None:
    text = out["network.net"]
    assert text.splitlines()[0] == "*Vertices 6"
    assert text.splitlines()[1] == '1 "教育"'
    graph = nx.read_pajek(io.BytesIO(text.encode("utf-8")))
    assert sorted(graph.nodes) == sorted(out["nodes"]["term"].to_pylist())
    weights = {frozenset((u, v)): d["weight"] for u, v, d in graph.edges(data=True)}
    assert weights == {frozenset(("公平", "教育")): pytest.approx(2 / 3),
                       frozenset(("乡村", "振兴")): 1.0}
    igraph = pytest.importorskip("igraph")
    path = tmp_path / "network.net"
    path.write_text(text, encoding="utf-8")
    g = igraph.Graph.Read_Pajek(str(path))
    assert (g.vcount(), g.ecount()) == (6, 2)
    assert sorted(g.es["weight"]) == pytest.approx([2 / 3, 1.0])


def test_csv_files_read_back(out: dict) -> None:
    import pandas as pd

    assert out["nodes.csv"].startswith("\ufeff")
    nodes = pd.read_csv(io.StringIO(out["nodes.csv"][1:]))
    assert nodes.columns.tolist() == out["nodes"].column_names
    assert nodes["term"].tolist() == out["nodes"]["term"].to_pylist()
    assert nodes["pagerank"].tolist() == pytest.approx(out["nodes"]["pagerank"].to_pylist(),
                                                       rel=1e-15)
    edges = pd.read_csv(io.StringIO(out["edges.csv"][1:]))
    assert edges.to_dict("list") == {k: pytest.approx(v) if k == "weight" else v
                                     for k, v in out["edges"].to_pydict().items()}


def test_gexf_carries_every_node_column(out: dict) -> None:
    graph = nx.read_gexf(io.BytesIO(out["network.gexf"]))
    for row in out["nodes"].to_pylist():
        attrs = graph.nodes[row["term"]]
        for column, value in row.items():
            if column != "term":
                assert attrs[column] == pytest.approx(value), column
    assert graph.edges["公平", "教育"]["measure"] == "jaccard"


def test_direct_writers_read_back_like_networkx_writers() -> None:
    from pipelines.network.export import to_gexf, to_graphml

    graph = nx.Graph(measure="count", window="5")
    graph.add_node("教育", label="教育", freq=3, pagerank=0.25, community=1, kind='a<"b">&')
    graph.add_node("x&y", label="x&y", freq=1, pagerank=0.75, community=0, kind="t")
    graph.add_edge("教育", "x&y", weight=0.5, cooccurrences=2, measure="count")
    for ours, write, read in ((to_gexf(graph), nx.write_gexf, nx.read_gexf),
                              (to_graphml(graph), nx.write_graphml, nx.read_graphml)):
        buffer = io.BytesIO()
        write(graph, buffer)
        theirs = read(io.BytesIO(buffer.getvalue()))
        mine = read(io.BytesIO(ours))
        assert list(mine.nodes(data=True)) == list(theirs.nodes(data=True))
        assert list(mine.edges(data=True)) == list(theirs.edges(data=True))
        assert mine.graph == theirs.graph
