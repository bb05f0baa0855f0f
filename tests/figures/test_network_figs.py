"""The network figures: same bytes under any PYTHONHASHSEED, no overlapping labels, colours."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parents[2]

# a 40-term network of four dense groups joined by a few edges, with Chinese terms
_SCRIPT = r"""
import sys
import numpy as np
import pyarrow as pa
from pipelines.figures import figure_style, save_figure
from pipelines.figures.network_figs import network, network_slices

rng = np.random.default_rng(3)
terms = [f"词{i:02d}政策" if i % 3 else f"term{i:02d}" for i in range(40)]
rows = []
for a, b in zip(*np.triu_indices(40, 1)):
    if a // 10 == b // 10 and rng.random() < 0.5 or a < 20 and b < 20 and rng.random() < 0.02:
        rows.append((terms[a], terms[b], int(rng.integers(1, 30))))
edges = pa.table({"source": [r[0] for r in rows], "target": [r[1] for r in rows],
                  "cooccurrences": [r[2] for r in rows],
                  "weight": [r[2] / 10 for r in rows], "measure": ["association"] * len(rows)})
nodes = pa.table({"term": terms, "freq": [int(v) for v in rng.integers(5, 200, 40)],
                  "community": pa.array([i // 10 for i in range(40)], pa.int32())})
with figure_style():
    fig = network(nodes, edges, max_nodes=40, max_edges=80, seed=7)
    data = save_figure(fig, "png", 60)
    slices = pa.concat_tables([nodes.add_column(0, "slice", pa.array([s] * 40))
                               for s in ("a", "b")])
    slice_edges = pa.concat_tables([edges.add_column(0, "slice", pa.array([s] * len(rows)))
                                    for s in ("a", "b")])
    data += save_figure(network_slices(slices, slice_edges, max_edges=60, seed=7), "png", 40)
sys.stdout.buffer.write(data)
"""


def _render(hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", _SCRIPT], env=env, check=True,
                          capture_output=True, cwd=ROOT).stdout


def test_network_png_is_the_same_under_any_hash_seed() -> None:
    first, second = _render("1"), _render("4242")
    assert len(first) > 1000
    assert first == second


def _graph(n: int = 36, seed: int = 5) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    terms = [f"农村教育{i}" for i in range(n)]
    rows = [(terms[a], terms[b], float(rng.integers(1, 9)))
            for a, b in itertools.combinations(range(n), 2)
            if (a % 3 == b % 3 and rng.random() < 0.4) or rng.random() < 0.03]
    edges = pa.table({"source": [r[0] for r in rows], "target": [r[1] for r in rows],
                      "cooccurrences": [int(r[2]) for r in rows], "weight": [r[2] for r in rows],
                      "measure": ["count"] * len(rows)})
    nodes = pa.table({"term": terms, "freq": [int(v) for v in rng.integers(10, 500, n)],
                      "community": pa.array([i % 3 for i in range(n)], pa.int32())})
    return nodes, edges


def test_labels_do_not_overlap_and_edges_take_community_colours() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from pipelines.figures import figure_style
    from pipelines.figures.network_figs import network

    nodes, edges = _graph()
    with figure_style():
        fig = network(nodes, edges, max_nodes=36, max_edges=90, seed=42)
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        ax = fig.axes[0]
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 36
    assert [pair for pair in itertools.combinations(range(36), 2)
            if boxes[pair[0]].overlaps(boxes[pair[1]])] == []
    colours = ax.collections[0].get_colors()
    community = dict(zip(nodes["term"].to_pylist(), nodes["community"].to_pylist(),
                         strict=True))
    drawn = sorted(edges.to_pylist(), key=lambda e: (-e["weight"], e["source"],
                                                     e["target"]))[:90]
    drawn.sort(key=lambda e: (e["source"], e["target"]))
    inside = [community[e["source"]] == community[e["target"]] for e in drawn]
    grey = [tuple(np.round(c[:3], 3)) == (0.69, 0.69, 0.69) for c in colours]
    assert grey == [not k for k in inside]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == 3 and legend[0].startswith("1. ") and " · " in legend[0]


def test_burst_chart_lists_strongest_bursts_by_start() -> None:
    from pipelines.figures import figure_style
    from pipelines.figures.network_figs import bursts
    from pipelines.network.schemas import BURSTS_SCHEMA

    rows = [{"term": t, "start": s, "end": e, "strength": g, "first_year": 1980, "freq": 9}
            for t, s, e, g in (("改革", 1985, 1988, 9.0), ("开放", 1980, 1982, 5.0),
                               ("改革", 1995, 1996, 2.0), ("创新", 2005, 2017, 7.0),
                               ("weak", 1990, 1990, 0.5))]
    with figure_style():
        fig = bursts(pa.Table.from_pylist(rows, BURSTS_SCHEMA), top=3)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # the three strongest terms (each by its strongest burst), listed by start year
    assert labels == ["开放   5.0   1980–1982", "改革   9.0   1985–1988",
                      "创新   7.0   2005–2017"]


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_networks_draw(n: int) -> None:
    from pipelines.figures import figure_style
    from pipelines.figures.network_figs import network

    nodes = pa.table({"term": ["教育", "公平"][:n], "freq": [3, 2][:n],
                      "community": pa.array([0, 1][:n], pa.int32())})
    edges = pa.table({"source": pa.array([], pa.string()), "target": pa.array([], pa.string()),
                      "cooccurrences": pa.array([], pa.int64()),
                      "weight": pa.array([], pa.float64()),
                      "measure": pa.array([], pa.string())})
    with figure_style():
        fig = network(nodes, edges, max_nodes=10, max_edges=10, seed=1)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(["教育", "公平"][:n])


def test_one_blas_thread_gives_the_same_layout() -> None:
    """Kamada-Kawai runs with BLAS on one thread (speed); the positions must not change."""
    import networkx as nx
    from threadpoolctl import threadpool_info

    from pipelines.figures.network_figs import one_blas_thread

    nodes, edges = _graph(n=60)
    graph = nx.Graph()
    graph.add_nodes_from(nodes["term"].to_pylist())
    graph.add_edges_from(zip(edges["source"].to_pylist(), edges["target"].to_pylist(),
                             strict=True))
    start = nx.spring_layout(graph, seed=3)
    free = nx.kamada_kawai_layout(graph, pos=start, weight=None)
    with one_blas_thread():
        assert {lib["num_threads"] for lib in threadpool_info()
                if lib["user_api"] == "blas"} == {1}
        limited = nx.kamada_kawai_layout(graph, pos=start, weight=None)
    assert list(limited) == list(free)
    assert all(np.array_equal(limited[t], free[t]) for t in free)
