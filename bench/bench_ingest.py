"""Benchmark the ingest stage: documents/s, MB/s and peak memory, with 1 and 2 workers.

Usage: ``python bench/bench_ingest.py [CORPUS_FOLDER] [--workers 1,2]``; the default corpus is
the largest folder in ``../shared/corpora`` (beside the project). Each worker count runs in a
fresh process, so the peak RSS of one run does not hide the next.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def _largest_corpus() -> Path:
    """The corpus folder with the most bytes."""
    folders = [p for p in CORPORA.iterdir() if p.is_dir()]
    if not folders:
        raise SystemExit(f"no corpus folder in {CORPORA}; pass a folder")
    return max(folders, key=lambda p: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()))


def _one_run(corpus: str, workers: int) -> dict:
    """Run compute once in this process and measure it."""
    sys.path.insert(0, str(ROOT))
    from pipelines import ingest

    params = ingest.Params(inputs=(corpus,), workers=workers)
    files = ingest.external_inputs(params)
    size = sum(f.stat().st_size for f in files)
    start = time.perf_counter()
    out = ingest.compute({}, params)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    docs = out["documents"].num_rows
    return {"workers": workers, "files": len(files), "mb": size / 1e6, "documents": docs,
            "rejected": out["rejected"].num_rows, "duplicates": out["duplicates"].num_rows,
            "seconds": seconds, "docs_per_s": docs / seconds, "mb_per_s": size / 1e6 / seconds,
            "peak_rss_mb": own / 1024, "peak_child_rss_mb": kids / 1024}


def main() -> None:
    """Parse arguments and run each worker count in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", help="corpus folder (default: largest shared one)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = str(Path(args.corpus) if args.corpus else _largest_corpus())
    if args.child is not None:
        print(json.dumps(_one_run(corpus, args.child)))
        return
    print(f"corpus: {corpus}")
    print(f"{'workers':>7} {'files':>6} {'MB':>7} {'docs':>6} {'rej':>4} {'dup':>4} "
          f"{'sec':>7} {'docs/s':>8} {'MB/s':>6} {'RSS MB':>7} {'child MB':>8}")
    for workers in (int(w) for w in args.workers.split(",")):
        out = subprocess.run([sys.executable, __file__, corpus, "--child", str(workers)],
                             check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": "0"})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['workers']:>7} {r['files']:>6} {r['mb']:>7.2f} {r['documents']:>6} "
              f"{r['rejected']:>4} {r['duplicates']:>4} {r['seconds']:>7.2f} "
              f"{r['docs_per_s']:>8.1f} {r['mb_per_s']:>6.2f} {r['peak_rss_mb']:>7.0f} "
              f"{r['peak_child_rss_mb']:>8.0f}")


if __name__ == "__main__":
    main()
