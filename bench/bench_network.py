"""Benchmark the network stage: counting, metrics and exports at three corpus sizes.

Usage::

    python bench/bench_network.py                       # all Chinese policy text, ingested
    python bench/bench_network.py work/segment/tokens.parquet --top-n 500
    python bench/bench_network.py --select top --sizes 1 --windows sentence --repeat 3

Without a tokens table it ingests and segments (wenmai's own stages, default parameters) all
the Chinese policy text of the shared corpora, as ``bench/bench_segment.py`` defines it (both
collections of government work reports, the CPC congress reports, the education and rural
laws, the 2018 No. 1 document: 264 documents, ~78k sentences, ~1M counted tokens).

Each configuration (corpus size x window) runs ``--repeat`` times, each in a fresh process so
its peak RSS (``VmHWM``) is its own, and prints one JSON line per run: the 1-minute load
average before the run (the machine may be shared: compare runs at similar load), the time
to count (tokens -> pair counts, ``X.T @ X``), to build the network (measure, selection,
every centrality exact, communities, summary) and to write the exports, and the peak RSS.
A size of ``0.5`` keeps the first half of the documents (by doc_id order). The last lines are
the medians per configuration. ``--select all --measure count --min-chars 1`` (the default)
is the like-for-like case of the issue: every pair co-occurring at least twice is an edge.
Document windows make the top 2,000 terms of the policy text an almost complete graph (1.88
million edges, density 0.94), so they are measured at ``--top-n 500``::

    python bench/bench_network.py TOKENS --windows sentence                 # top 2,000
    python bench/bench_network.py TOKENS --windows document --top-n 500
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _peak_mb() -> float:
    """Peak resident memory of this process in MiB (VmHWM, fresh at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(workdir: Path) -> Path:
    """Ingest and segment all the Chinese policy text into ``workdir``; the tokens path."""
    from bench_segment import CORPORA

    from pipelines import ingest, segment
    from pipelines.core.runner import run_stage

    inputs = tuple(str(p) for p in CORPORA["policy"])
    run_stage(ingest, workdir, ingest.Params(inputs=inputs, near_duplicates=0.0))
    run_stage(segment, workdir, segment.Params())
    return workdir / "segment" / "tokens.parquet"


def child(path: str, size: float, window: str, options: dict) -> None:
    """One run: print a JSON line of timings and peak RSS."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from pipelines import network
    from pipelines.network import export
    from pipelines.network.measures import count_cooccurrences

    table = pq.read_table(path)
    if size < 1:
        docs = sorted(set(table.column("doc_id").to_pylist()))
        keep = docs[:max(1, round(len(docs) * size))]
        table = table.filter(pc.is_in(table.column("doc_id"), value_set=pa.array(keep)))
    params = network.Params(window=window, burst_terms=0, **options)
    started = time.perf_counter()
    co = count_cooccurrences(table, window=window, top_n=params.top_n,
                             min_chars=params.min_chars)
    counted = time.perf_counter() - started
    started = time.perf_counter()
    net = network.build_network(co, params)
    metrics = time.perf_counter() - started
    started = time.perf_counter()
    graph = export.export_graph(net.nodes, net.edges)
    sizes = [len(export.to_gexf(graph)), len(export.to_graphml(graph)),
             len(export.pajek(net.nodes, net.edges)), len(export.csv_text(net.edges))]
    exported = time.perf_counter() - started
    print(json.dumps({
        "size": size, "window": window, "sentences": table.num_rows, "nodes": len(co.terms),
        "candidate_edges": net.candidates, "edges": net.edges.num_rows,
        "count_s": round(counted, 2), "metrics_s": round(metrics, 2),
        "export_s": round(exported, 2), "gexf_mb": round(sizes[0] / 2**20, 1),
        "peak_rss_mb": round(_peak_mb())}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tokens", nargs="?", help="a segment/tokens parquet file")
    parser.add_argument("--sizes", default="0.25,0.5,1")
    parser.add_argument("--windows", default="sentence,document")
    parser.add_argument("--top-n", type=int, default=2000)
    parser.add_argument("--select", default="all")
    parser.add_argument("--measure", default="count")
    parser.add_argument("--min-chars", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    options = {"top_n": args.top_n, "select": args.select, "measure": args.measure,
               "min_chars": args.min_chars}
    if args.child:
        spec = json.loads(args.child)
        child(spec["path"], spec["size"], spec["window"], spec["options"])
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.tokens or str(prepare(Path(tmp)))
        results: dict[tuple[float, str], list[dict]] = {}
        for _ in range(args.repeat):  # rounds interleave the configurations
            for size in (float(s) for s in args.sizes.split(",")):
                for window in args.windows.split(","):
                    load = os.getloadavg()[0]
                    spec = json.dumps({"path": path, "size": size, "window": window,
                                       "options": options})
                    out = subprocess.run([sys.executable, __file__, "--child", spec],
                                         check=True, capture_output=True, text=True).stdout
                    row = {"load1": round(load, 2), **json.loads(out.splitlines()[-1])}
                    print(json.dumps(row), flush=True)
                    results.setdefault((size, window), []).append(row)
        print(f"medians over {args.repeat} run(s), options {options}:")
        for (size, window), rows in results.items():
            med = {k: statistics.median(r[k] for r in rows)
                   for k in ("count_s", "metrics_s", "export_s", "peak_rss_mb", "load1")}
            print(f"  size {size:<5} {window:<9} nodes {rows[0]['nodes']:>5} edges "
                  f"{rows[0]['edges']:>7}  count {med['count_s']:6.2f} s  metrics "
                  f"{med['metrics_s']:7.2f} s  export {med['export_s']:7.2f} s  peak "
                  f"{med['peak_rss_mb']:6.0f} MiB  load {med['load1']:.1f}")


if __name__ == "__main__":
    main()
