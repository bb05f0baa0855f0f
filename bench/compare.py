"""wenmai's stages side by side with the scripts users write today, on the same documents.

Usage: ``python bench/compare.py [--quick] [--repeat 3] [--tasks segment,topics,network]
[--old OTHER_CHECKOUT]``

One process tree: this script ingests a slice of all the Chinese policy text of the shared
corpora (documents spread over the table, about ``--mb`` MB of UTF-8), segments it once with
wenmai so that both sides of ``topics`` and ``network`` read the same token lists, and then,
round after round, runs each side of each task in a fresh child process, alternating which
side goes first, so that a busy machine slows both alike:

* ``segment``: wenmai's segment stage (read, cut, tag, filter, write) with 1 and 2 workers,
  against ``baselines/segment_jieba.py`` (jieba.posseg per sentence, same dictionary and
  stopwords; ``--no-scripts`` leaves it out); with ``--old ROOT`` also the segment stage of
  another checkout of wenmai (e.g. the commit before a speed change), for an old/new ratio
  measured in the same rounds (``--mb 10`` takes all 9.4 MB);
* ``topics``: wenmai's topics stage on paragraphs, k from ``--k`` and ``--seeds`` seeds (all
  its metrics and tables), against ``baselines/topics_gensim.py`` (gensim LdaModel loop with
  CoherenceModel c_npmi and c_v);
* ``network``: wenmai's network stage with ``top_n`` nodes (exact betweenness), against
  ``baselines/network_networkx.py`` (Counter over sentence pairs, networkx centralities and
  Louvain); with ``--sources K`` the script's betweenness and closeness run from K sources
  and its time is extrapolated to all nodes (see the script).

Times: ``stage s`` is measured inside the child (from reading the input to writing the
output, imports excluded), ``process s`` is the child's wall time from outside (Python start
and imports included), ``CPU s`` the user+system time of the child and its workers. The
summary gives per task and side the medians over the rounds, the ratio of the medians
(script / wenmai) and the 1-minute load average before each run (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINES = Path(__file__).resolve().parent / "baselines"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_segment  # noqa: E402  (the corpus list and its ingest)


def pick_documents(documents: Path, mb: float, out: Path) -> Path:
    """Documents spread evenly over the table until about ``mb`` MB of text, in table order."""
    import pyarrow.parquet as pq

    table = pq.read_table(documents)
    sizes = [len((t or "").encode("utf-8")) for t in table.column("text").to_pylist()]
    total = sum(sizes)
    share = min(1.0, mb * 1e6 / total)
    picked, acc = [], 0.0
    for i in range(len(sizes)):  # take document i when the running share passes a whole step
        acc += share
        if acc >= 1.0 or share == 1.0:
            acc -= 1.0
            picked.append(i)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.take(picked), out)
    return out


def _child(spec: dict) -> dict:
    """Run one wenmai stage in this process on a copy of the work folder; the stage's time."""
    sys.path.insert(0, spec["root"])
    import importlib

    import pyarrow.dataset  # noqa: F401  (pq.read_table imports it, and pandas)

    from pipelines.core import runner

    stage = importlib.import_module(f"pipelines.{spec['stage']}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for table in spec["inputs"]:
            target = work / table
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(spec["work"]) / table, target)
        params = stage.Params(**spec["params"])
        start = time.perf_counter()
        runner.run_stage(stage, work, params, force=True)
        return {"seconds": time.perf_counter() - start}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str]) -> dict:
    """Run a child process; its stage seconds (last line of its output), wall and CPU time."""
    load = os.getloadavg()[0]
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    seconds = json.loads(lines[-1])["seconds"] if lines[-1].startswith("{") else float(lines[-1])
    note = " ".join(line for line in lines if line.startswith("measured"))
    return {"stage": seconds, "process": wall, "cpu": _children_cpu() - cpu, "load": load,
            "note": note}


def sides(args: argparse.Namespace, work: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """Per task, the (name, command) of each side; the script last."""
    py = sys.executable

    def wenmai(root: Path, stage: str, inputs: list[str], params: dict) -> list[str]:
        spec = {"root": str(root), "stage": stage, "work": str(work), "inputs": inputs,
                "params": params}
        return [py, __file__, "--child", json.dumps(spec)]

    docs = ["ingest/documents.parquet"]
    tokens = ["segment/tokens.parquet"]
    k_min, k_max = (int(x) for x in args.k.split(".."))
    stops = [str(ROOT / "data" / "stopwords" / f) for f in ("zh.txt", "en.txt")]
    out: dict[str, list[tuple[str, list[str]]]] = {}
    seg = []
    for label, root in [("wenmai", ROOT)] + ([("wenmai-old", args.old)] if args.old else []):
        for w in (1, 2):
            seg.append((f"{label} {w}w", wenmai(root, "segment", docs, {"workers": w})))
    if args.scripts:
        seg.append(("jieba.posseg script", [py, str(BASELINES / "segment_jieba.py"),
                                            str(work / docs[0]),
                                            str(work / "script_tokens.csv"),
                                            str(ROOT / "data" / "dicts" / "education_policy.txt"),
                                            *stops]))
    out["segment"] = seg
    out["topics"] = [
        ("wenmai", wenmai(ROOT, "topics", docs + tokens,
                          {"unit": "paragraph", "k": args.k, "seeds": args.seeds})),
        ("gensim loop script", [py, str(BASELINES / "topics_gensim.py"), str(work / tokens[0]),
                                str(k_min), str(k_max), str(args.seeds)])]
    out["network"] = [
        ("wenmai", wenmai(ROOT, "network", docs + tokens, {
            "top_n": args.top_n, "select": "all", "measure": "count", "min_chars": 1,
            "burst_terms": 0})),  # like for like: every pair seen twice, raw counts
        ("networkx script" + (f" ({args.sources} src)" if args.sources else ""),
         [py, str(BASELINES / "network_networkx.py"), str(work / tokens[0]), str(args.top_n),
          str(work / "script_network")] + ([str(args.sources)] if args.sources else []))]
    return out


def main() -> None:
    """Prepare the documents and tokens, run the rounds, print every run and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (0.3 MB, k 2..3, top_n 150, one round): a minute")
    parser.add_argument("--repeat", type=int, default=3, help="rounds")
    parser.add_argument("--tasks", default="segment,topics,network")
    parser.add_argument("--mb", type=float, default=1.0, help="MB of policy text")
    parser.add_argument("--k", default="2..5", help="topics: k range, e.g. 2..5")
    parser.add_argument("--seeds", type=int, default=1, help="topics: seeds per k")
    parser.add_argument("--top-n", type=int, default=300, help="network: nodes")
    parser.add_argument("--sources", type=int, default=0, help="network: the networkx script "
                        "runs betweenness and closeness from this many sources and reports "
                        "its time extrapolated to all (for top_n where exact takes hours)")
    parser.add_argument("--old", type=Path, help="another wenmai checkout: its segment stage "
                        "runs in the same rounds (old/new ratio)")
    parser.add_argument("--no-scripts", dest="scripts", action="store_false",
                        help="segment: wenmai's sides only (e.g. old/new on all 9.4 MB, where "
                        "the jieba.posseg script takes minutes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return
    if args.quick:
        args.mb, args.k, args.top_n, args.repeat = 0.3, "2..3", 150, max(1, args.repeat // 3)
    if not bench_segment.SHARED.is_dir():
        raise SystemExit(f"{bench_segment.SHARED} not found; set WENMAI_SHARED to the folder "
                         "holding corpora/")
    tasks = [t for t in args.tasks.split(",") if t]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        work = tmp_path / "work"
        documents = pick_documents(bench_segment.ingest(tmp_path / "all", "policy"), args.mb,
                                   work / "ingest" / "documents.parquet")
        import pyarrow.parquet as pq

        texts = pq.read_table(documents, columns=["text"]).column("text").to_pylist()
        mb = sum(len((t or "").encode("utf-8")) for t in texts) / 1e6
        if {"topics", "network"} & set(tasks):
            sys.path.insert(0, str(ROOT))
            from pipelines import segment
            from pipelines.core.runner import run_stage

            run_stage(segment, work, segment.Params())
        print(f"{len(texts)} documents, {mb:.2f} MB of UTF-8 policy text; k {args.k} x "
              f"{args.seeds} seed(s); top_n {args.top_n}; {args.repeat} round(s); "
              f"{os.cpu_count()} cores; {sys.platform}", flush=True)
        print(f"{'task':8} {'side':22} {'round':>5} {'stage s':>8} {'process s':>9} "
              f"{'CPU s':>7} {'load':>5}", flush=True)
        plan = sides(args, work)
        runs: dict[tuple[str, str], list[dict]] = {}
        for r in range(args.repeat):
            for task in tasks:
                order = plan[task] if r % 2 == 0 else plan[task][::-1]
                for name, command in order:
                    res = run(command)
                    runs.setdefault((task, name), []).append(res)
                    print(f"{task:8} {name:22} {r + 1:5} {res['stage']:8.2f} "
                          f"{res['process']:9.2f} {res['cpu']:7.2f} {res['load']:5.2f}"
                          + (f"  ({res['note']})" if res["note"] else ""), flush=True)
        summary(plan, runs, tasks, mb)


def summary(plan: dict, runs: dict, tasks: list[str], mb: float) -> None:
    """Medians per task and side, and each side's ratio to wenmai's first side."""
    print("\nmedians (ratio = this side's median stage time / wenmai's)")
    print(f"{'task':8} {'side':22} {'stage s':>8} {'process s':>9} {'CPU s':>7} {'ratio':>7} "
          f"{'MB/s':>6}  load")
    for task in tasks:
        ref = statistics.median(r["stage"] for r in runs[(task, plan[task][0][0])])
        for name, _ in plan[task]:
            rs = runs[(task, name)]
            med = {k: statistics.median(r[k] for r in rs) for k in ("stage", "process", "cpu")}
            loads = [r["load"] for r in rs]
            rate = f"{mb / med['stage']:6.2f}" if task == "segment" else f"{'':6}"
            print(f"{task:8} {name:22} {med['stage']:8.2f} {med['process']:9.2f} "
                  f"{med['cpu']:7.2f} {med['stage'] / ref:7.2f} {rate}  "
                  f"{min(loads):.2f}-{max(loads):.2f}")


if __name__ == "__main__":
    main()
