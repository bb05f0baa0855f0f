"""Benchmark the segment stage: SIGHAN 2005 accuracy and throughput on a large Chinese corpus.

Usage: ``python bench/bench_segment.py [--backends rjieba,jieba] [--workers 1,2] [--skip-sighan]``

1. Accuracy: each backend (jieba's own dictionary, no domain dictionary, HMM on) segments
   the PKU and MSR test sets of the second SIGHAN bakeoff; precision, recall and F1 are
   computed the standard way, over word spans (a word counts when both its boundaries match
   the gold segmentation), plus recall of gold words missing from the training word list
   (OOV recall). The gold files are research-only and are read from ``../shared``, never
   copied into the project.
2. Throughput: the segment stage (default params, domain dictionary and stopwords on) runs on
   the 政府工作报告 collection (``gov-reports-wikisource-1954-2025``, the largest Chinese
   corpus), with each worker count in a fresh process so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
SIGHAN = SHARED / "icwb2-sighan2005-pku-msr"
REPORTS = SHARED / "gov-reports-wikisource-1954-2025" / "government_work_reports.jsonl"


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
    from pipelines.segment_backends import build_backend

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


def _one_run(backend: str, workers: int) -> dict:
    """Segment the government work reports once in this process and measure it."""
    sys.path.insert(0, str(ROOT))
    from pipelines import segment

    docs = []
    with REPORTS.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            docs.append((f"r{i}", json.loads(line)["content"]))
    mb = sum(len(t.encode("utf-8")) for _, t in docs) / 1e6
    settings = segment.settings_from_params(segment.Params(backend=backend))
    start = time.perf_counter()
    result = segment.segment_documents(docs, settings, workers=workers, min_docs_parallel=1)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"backend": backend, "workers": workers, "documents": len(docs), "mb": mb,
            "sentences": len(result.rows), "tokens": sum(len(r[3]) for r in result.rows),
            "seconds": seconds, "mb_per_s": mb / seconds, "peak_rss_mb": own / 1024,
            "peak_child_rss_mb": kids / 1024}


def main() -> None:
    """Parse arguments; score SIGHAN, then time each backend/worker count in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="rjieba,jieba")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--skip-sighan", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, workers = args.child.split(":")
        print(json.dumps(_one_run(backend, int(workers))))
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
                      f"{r['f1']:.4f}  {r['oov_recall']:.4f}  {r['seconds']:.1f}")
    print("backend  workers  MB     seconds  MB/s   sentences  peak RSS MB (parent/children)")
    for b in backends:
        for w in (int(x) for x in args.workers.split(",")):
            proc = subprocess.run([sys.executable, __file__, "--child", f"{b}:{w}"],
                                  check=True, capture_output=True, text=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{b:8} {w:7}  {r['mb']:.2f}  {r['seconds']:7.1f}  {r['mb_per_s']:.3f}  "
                  f"{r['sentences']:9}  {r['peak_rss_mb']:.0f}/{r['peak_child_rss_mb']:.0f}")


if __name__ == "__main__":
    main()
