"""Benchmark the network stage: co-occurrence counting and graph metrics at several top_n.

Usage::

    .venv/bin/python bench/bench_network.py                  # segment the Wikisource reports
    .venv/bin/python bench/bench_network.py work/segment/tokens.parquet --top-n 100,500,1000

Without a tokens table it segments ``../shared/corpora/gov-reports-wikisource-1954-2025``
(government work reports and CPC congress reports, ~1.5 M characters) with jieba into one row
per sentence, keeping words of two or more characters that are not in the corpus's Chinese
stopword list. ``--repeat K`` stacks K copies of the table (as K times as many documents) to
see how counting scales. Each top_n runs in a fresh process, so the peak RSS it reports
(``VmHWM``) belongs to that run alone: after the imports, after loading the table, after
counting, and at the end (centralities, communities and the GEXF/GraphML/VOSviewer exports).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpora" / "gov-reports-wikisource-1954-2025"
STOPWORDS = ROOT.parent / "shared" / "corpora" / "gov-reports-1954-2017" / "ChineseStopWords.txt"
_SENT = re.compile(r"[^。！？；!?;\n]+")
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")


def _peak_mb() -> float:
    """Peak resident memory of this process in MiB.

    Linux's VmHWM starts afresh at exec; ``ru_maxrss`` would carry over the parent's peak
    (the jieba segmentation) into each child run.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def segment_corpus() -> pa.Table:
    """One row per sentence of the Wikisource reports, segmented with jieba."""
    import jieba

    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is missing; pass a tokens parquet instead")
    text = STOPWORDS.read_text("utf-8") if STOPWORDS.exists() else ""
    stop = {w for w in re.split(r"[,，\s]+", text) if w}  # the list is comma-separated
    tokenizer = jieba.Tokenizer()
    rows: dict[str, list] = {k: [] for k in ("doc_id", "para_id", "sent_id", "tokens", "pos",
                                             "lang")}
    started = time.perf_counter()
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        for n, line in enumerate((CORPUS / name).read_text("utf-8").splitlines()):
            doc = f"{name[:3]}{n:03d}"
            sent_id = 0
            paragraphs = [p for p in json.loads(line)["content"].split("\n") if p.strip()]
            for para_id, para in enumerate(paragraphs):
                for sentence in _SENT.findall(para):
                    words = [w for w in tokenizer.lcut(sentence)
                             if _WORD.match(w) and w not in stop]
                    if words:
                        for key, value in (("doc_id", doc), ("para_id", para_id),
                                           ("sent_id", sent_id), ("tokens", words),
                                           ("pos", ["x"] * len(words)), ("lang", "zh")):
                            rows[key].append(value)
                        sent_id += 1
    print(f"segmented {len(set(rows['doc_id']))} documents, {len(rows['tokens'])} sentences, "
          f"{sum(map(len, rows['tokens']))} tokens in {time.perf_counter() - started:.1f} s",
          flush=True)
    return pa.table({"doc_id": pa.array(rows["doc_id"], pa.string()),
                     "para_id": pa.array(rows["para_id"], pa.int32()),
                     "sent_id": pa.array(rows["sent_id"], pa.int32()),
                     "tokens": pa.array(rows["tokens"], pa.list_(pa.string())),
                     "pos": pa.array(rows["pos"], pa.list_(pa.string())),
                     "lang": pa.array(rows["lang"], pa.string())})


def child(path: str, top_n: int, window: str, repeat: int) -> None:
    """Run one configuration and print a JSON line of timings and peak RSS."""
    from pipelines import network
    from pipelines.network.export import export_graph, to_gexf, to_graphml, vosviewer_map
    from pipelines.network.graph import build_graph, centralities, communities
    from pipelines.network.measures import count_cooccurrences

    imported = _peak_mb()
    table = pq.read_table(path)
    if repeat > 1:
        copies = []
        for r in range(repeat):
            ids = pa.array([f"{d}#{r}" for d in table["doc_id"].to_pylist()], pa.string())
            copies.append(table.set_column(0, "doc_id", ids))
        table = pa.concat_tables(copies)
    loaded = _peak_mb()
    params = network.Params(window=window, top_n=top_n)
    started = time.perf_counter()
    co = count_cooccurrences(table, window=window, top_n=top_n)
    edges = network.edge_table(co, params)
    counted = time.perf_counter() - started
    after_count = _peak_mb()
    started = time.perf_counter()
    graph = build_graph(co.terms, edges["source"].to_pylist(), edges["target"].to_pylist(),
                        edges["weight"].to_pylist(), edges["cooccurrences"].to_pylist())
    cent = centralities(graph, co.terms, seed=42, betweenness_sample=params.betweenness_sample)
    comm = communities(graph, co.terms, method="louvain", resolution=1.0, seed=42)
    metrics = time.perf_counter() - started
    started = time.perf_counter()
    nodes = pa.table({"term": co.terms, "freq": co.freq, **cent, "community": comm})
    export = export_graph(nodes, edges)
    sizes = [len(to_gexf(export)), len(to_graphml(export)), len(vosviewer_map(nodes, edges))]
    exported = time.perf_counter() - started
    print(json.dumps({"top_n": top_n, "window": window, "sentences": table.num_rows,
                      "nodes": len(co.terms), "edges": edges.num_rows,
                      "count_s": round(counted, 2), "metrics_s": round(metrics, 2),
                      "export_s": round(exported, 2), "gexf_mb": round(sizes[0] / 2**20, 1),
                      "rss_imports_mb": round(imported), "rss_loaded_mb": round(loaded),
                      "rss_after_count_mb": round(after_count),
                      "rss_peak_mb": round(_peak_mb())}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tokens", nargs="?", help="a segment/tokens parquet file")
    parser.add_argument("--top-n", default="100,500,1000")
    parser.add_argument("--window", default="sentence",
                        choices=("sentence", "paragraph", "document"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=4, metavar=("PATH", "TOP_N", "WINDOW", "REPEAT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, top_n, window, repeat = args.child
        child(path, int(top_n), window, int(repeat))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.tokens
        if path is None:
            path = str(Path(tmp) / "tokens.parquet")
            pq.write_table(segment_corpus(), path)
        for top_n in (int(v) for v in args.top_n.split(",")):
            subprocess.run([sys.executable, __file__, "--child", path, str(top_n), args.window,
                            str(args.repeat)], check=True)


if __name__ == "__main__":
    main()
