"""Benchmark the segment stage: SIGHAN 2005 accuracy and throughput on a large Chinese corpus.

Usage: ``python bench/bench_segment.py [--backends rjieba,jieba] [--workers 1,2] [--repeat 3]
[--scale 1] [--skip-sighan] [--skip-throughput] [--root OTHER_CHECKOUT]``

1. Accuracy: each backend (jieba's own dictionary, no domain dictionary, HMM on) segments
   the PKU and MSR test sets of the second SIGHAN bakeoff; precision, recall and F1 are
   computed the standard way, over word spans (a word counts when both its boundaries match
   the gold segmentation), plus recall of gold words missing from the training word list
   (OOV recall). The gold files are research-only and are read from ``../shared``, never
   copied into the project.
2. Throughput of the whole stage: a corpus (``--corpus``; by default all the Chinese policy
   text of the shared corpora, 265 documents, 9.39 MB of UTF-8 text; ``reports`` is the
   government work reports 1954-2017 alone, 49 documents, 3.11 MB) is ingested once; then,
   in a fresh process per measurement (so peak RSS is its own), the runner runs the segment
   stage with default params but the backend and workers: read
   ``ingest/documents.parquet``, load the dictionary, segment, write both parquet tables and
   the manifest. The time excludes only starting Python and importing wenmai and pyarrow
   (``pyarrow.dataset``, which ``pq.read_table`` imports with pandas, costs 0.5 s). Each
   backend/worker count is measured ``--repeat`` times; the median is shown with the
   1-minute load average before each run (the machine may be shared), with the CPU seconds
   of the process and of its workers (wall time on a busy machine says little about what
   the workers could do on idle cores). ``--scale N`` repeats the documents N times, to see
   the rate once fixed costs (dictionary load, simplemma's data) are spread over more text.
   ``--root`` times another checkout of wenmai (e.g. an older commit) on the same documents.
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
#: The shared corpora: ``$WENMAI_SHARED`` (e.g. from a git worktree elsewhere), else ``../shared``.
SHARED = Path(os.environ.get("WENMAI_SHARED") or ROOT.parent / "shared") / "corpora"
SIGHAN = SHARED / "icwb2-sighan2005-pku-msr"
REPORTS = SHARED / "gov-reports-1954-2017" / "govReports"
#: All the Chinese policy text of the shared corpora: both collections of government work
#: reports (their overlapping years kept: ``--near-duplicates 0``), the CPC congress
#: reports, the education and rural laws (without SOURCE.md) and the 2018 No. 1 document.
CORPORA = {
    "reports": (REPORTS,),
    "policy": (REPORTS,
               SHARED / "gov-reports-wikisource-1954-2025" / "government_work_reports.jsonl",
               SHARED / "gov-reports-wikisource-1954-2025" / "cpc_congress_reports.jsonl",
               SHARED / "laws-education-rural-cn" / "[!S]*",
               SHARED / "no1-central-doc-2018" / "*.txt"),
}


def spans(words: list[str]) -> set[tuple[int, int]]:
    """Character spans of consecutive words.

    >>> sorted(spans(["共同", "创造", "美"]))
    [(0, 2), (2, 4), (4, 5)]
    """
    out, pos = set(), 0
    for w in words:
        out.add((pos, pos + len(w)))
        pos += len(w)
    return out


def score(test_words: list[str], gold_words: list[str], train: set[str]) -> dict[str, float]:
    """Precision, recall, F1 over word spans, and recall of out-of-vocabulary gold words."""
    if "".join(test_words) != "".join(gold_words):
        raise SystemExit("segmented text and gold text differ; cannot align spans")
    s, g = spans(test_words), spans(gold_words)
    hit = len(s & g)
    p, r = hit / len(s), hit / len(g)
    oov_spans = set()
    pos = 0
    for w in gold_words:
        if w not in train:
            oov_spans.add((pos, pos + len(w)))
        pos += len(w)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r),
            "oov_recall": len(s & oov_spans) / max(1, len(oov_spans)),
            "gold_words": len(g), "test_words": len(s)}


def sighan(backend_name: str, corpus: str) -> dict[str, float]:
    """Segment one SIGHAN test set with one backend and score it."""
    sys.path.insert(0, str(ROOT))
    from pipelines.segment.backends import build_backend

    backend = build_backend(backend_name, [])
    test = (SIGHAN / "testing" / f"{corpus}_test.utf8").read_text(encoding="utf-8")
    gold = (SIGHAN / "gold" / f"{corpus}_test_gold.utf8").read_text(encoding="utf-8")
    train = set((SIGHAN / "gold" / f"{corpus}_training_words.utf8")
                .read_text(encoding="utf-8").split())
    start = time.perf_counter()
    words: list[str] = []
    for line in test.splitlines():
        line = "".join(line.split())
        if line:
            words.extend(w for w, _ in backend.tag(line) if w.strip())
    seconds = time.perf_counter() - start
    result = score(words, gold.split(), train)
    result.update(backend=backend_name, corpus=corpus, seconds=seconds)
    return result


def ingest(workdir: Path, corpus: str, simplified: bool = False) -> Path:
    """Ingest a corpus of ``CORPORA`` into ``workdir`` (traditional characters converted to
    simplified if ``simplified``); return the documents table as one parquet file."""
    sys.path.insert(0, str(ROOT))
    import pyarrow.parquet as pq

    from pipelines import ingest as stage
    from pipelines.core import store
    from pipelines.core.runner import run_stage

    inputs = tuple(str(p) for p in CORPORA[corpus])
    run_stage(stage, workdir, stage.Params(inputs=inputs, near_duplicates=0.0,
                                           to_simplified=simplified))
    whole = workdir / "documents.parquet"  # the dataset's parts as one file, to copy
    pq.write_table(store.read_table(workdir, "ingest/documents"), whole)
    return whole


def _one_run(root: Path, documents: Path, backend: str, workers: int) -> dict:
    """Run the segment stage once in this process on ``documents`` and measure it."""
    sys.path.insert(0, str(root))
    import pyarrow.dataset  # noqa: F401  (pq.read_table imports it, and pandas: ~0.5 s)
    import pyarrow.parquet as pq

    from pipelines import segment
    from pipelines.core import runner

    texts = pq.read_table(documents, columns=["text"]).column("text").to_pylist()
    mb = sum(len((t or "").encode("utf-8")) for t in texts) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "ingest").mkdir()
        shutil.copy(documents, work / "ingest" / "documents.parquet")
        params = segment.Params(backend=backend, workers=workers)
        cpu = _cpu_seconds()
        start = time.perf_counter()
        runner.run_stage(segment, work, params, force=True)
        seconds = time.perf_counter() - start
        cpu = [after - before for before, after in zip(cpu, _cpu_seconds(), strict=True)]
        tokens = pq.read_table(work / "segment" / "tokens.parquet", columns=["tokens"])
        n_tokens = sum(len(t) for t in tokens.column("tokens").to_pylist())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"backend": backend, "workers": workers, "documents": len(texts), "mb": mb,
            "sentences": tokens.num_rows, "tokens": n_tokens,
            "seconds": seconds, "mb_per_s": mb / seconds, "cpu_s": cpu[0], "child_cpu_s": cpu[1],
            "peak_rss_mb": own / 1024, "peak_child_rss_mb": kids / 1024}


def _cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def scaled(documents: Path, times: int) -> Path:
    """The documents table repeated ``times`` times (new doc ids), next to the original."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(documents)
    ids = table.column("doc_id").to_pylist()
    parts = [table.set_column(table.schema.get_field_index("doc_id"), "doc_id",
                              pa.array([f"{d}-{k}" for d in ids])) for k in range(times)]
    out = documents.with_name(f"documents_x{times}.parquet")
    pq.write_table(pa.concat_tables(parts), out)
    return out


def throughput(root: Path, documents: Path, backend: str, workers: int, repeat: int) -> None:
    """Time the stage ``repeat`` times in fresh processes; print each run and the median."""
    runs = []
    for _ in range(repeat):
        load = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, __file__, "--child",
                               f"{root}|{documents}|{backend}|{workers}"],
                              check=True, capture_output=True, text=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["load"] = load
        runs.append(r)
        print(f"  {backend:8} {workers:7}  {r['mb']:6.2f}  {r['seconds']:7.2f}  "
              f"{r['mb_per_s']:6.2f}  {r['cpu_s']:5.1f}/{r['child_cpu_s']:<5.1f}  "
              f"{r['sentences']:9}  {r['tokens']:8}  "
              f"{r['peak_rss_mb']:.0f}/{r['peak_child_rss_mb']:.0f}  {load:.2f}", flush=True)
    med = statistics.median(r["seconds"] for r in runs)
    print(f"= {backend:8} {workers:7}  median {med:.2f} s  {runs[0]['mb'] / med:.2f} MB/s "
          f"(load {min(r['load'] for r in runs):.2f}-{max(r['load'] for r in runs):.2f})",
          flush=True)


def main() -> None:
    """Parse arguments; score SIGHAN, then time each backend/worker count in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="rjieba,jieba")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--skip-sighan", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="policy",
                        help="policy: all Chinese policy text (9.4 MB); reports: the 1954-2017 "
                        "government work reports (3.1 MB)")
    parser.add_argument("--simplified", action="store_true",
                        help="ingest with --to-simplified (four policy documents are largely "
                        "in traditional characters, on which jieba's POS-HMM is slow)")
    parser.add_argument("--scale", type=int, default=1,
                        help="repeat the documents this many times (a larger corpus)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="wenmai checkout whose segment stage is timed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, documents, backend, workers = args.child.split("|")
        print(json.dumps(_one_run(Path(root), Path(documents), backend, int(workers))))
        return
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} not found; the benchmark needs the shared corpora")
    backends = [b for b in args.backends.split(",") if b]
    if not args.skip_sighan:
        print("backend  corpus  P       R       F1      OOV-R   seconds")
        for b in backends:
            for corpus in ("pku", "msr"):
                r = sighan(b, corpus)
                print(f"{b:8} {corpus:6}  {r['precision']:.4f}  {r['recall']:.4f}  "
                      f"{r['f1']:.4f}  {r['oov_recall']:.4f}  {r['seconds']:.1f}", flush=True)
    if args.skip_throughput:
        return
    with tempfile.TemporaryDirectory() as tmp:
        documents = ingest(Path(tmp), args.corpus, args.simplified)
        if args.scale > 1:
            documents = scaled(documents, args.scale)
        print(f"segment stage on {documents.name} of the {args.corpus} corpus"
              f"{' (to simplified)' if args.simplified else ''} ({args.root})")
        print("  backend  workers  MB      seconds  MB/s    CPU s (parent/children)  sentences  "
              "tokens    peak RSS MB (parent/children)  load")
        for b in backends:
            for w in (int(x) for x in args.workers.split(",")):
                throughput(args.root.resolve(), documents, b, w, args.repeat)


if __name__ == "__main__":
    main()
