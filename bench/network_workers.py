"""Wall time, CPU and peak memory of `wenmai network --force` with 1 and 2 (or more) workers.

Usage: ``python bench/network_workers.py PROJECT [--workers 1,2] [--rounds 3] [--engine local]``

``PROJECT`` is a folder with ``wenmai.toml`` and a work folder ``work/`` whose ingest and
segment are done (e.g. a copy of a ``bench/scale.py`` corpus made with ``cp -al``: the stage
replaces its own folder only). Rounds interleave the worker counts. Per run it prints the
wall time, the CPU time of the process and its workers, the peak RSS of the largest process
(``wait4``'s ``ru_maxrss``: the maximum over the stage's process and every worker it waited
for) and, from ``/proc``, the peak RSS (``VmHWM``) of the parent and of its largest worker,
read every 0.1 s until each exits; then the median per worker count. The load average (1 min)
is printed before and after each run: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from measure import run_measured

ROOT = Path(__file__).resolve().parents[1]


def _hwm_kb(pid: int) -> int:
    """Peak resident set size of ``pid`` in kB (0 when it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` alive now."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            kids = [int(k) for k in Path(f"/proc/{parent}/task/{parent}/children").read_text()
                    .split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


class Watcher(threading.Thread):
    """Polls the peak RSS of a process and of each of its descendants."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.parent_kb = 0
        self.workers_kb: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.parent_kb = max(self.parent_kb, _hwm_kb(self.pid))
            for child in _children(self.pid):
                self.workers_kb[child] = max(self.workers_kb.get(child, 0), _hwm_kb(child))
            time.sleep(0.1)


def run(project: Path, workers: int, engine: str) -> dict:
    """One `wenmai network --force` in ``project``; its measures."""
    args = [sys.executable, "-c", "import cli; cli.main()", "--config", "wenmai.toml",
            "--workdir", "work", "--engine", engine, "network", "--force",
            "--workers", str(workers)]
    watchers: list[Watcher] = []

    def watch(pid: int) -> None:
        watchers.append(Watcher(pid))
        watchers[0].start()

    # cwd: the project, which holds no `cli` (python -c imports the current folder first)
    run = run_measured(args, pythonpath=ROOT, cwd=project, started=watch)
    watcher = watchers[0]
    watcher.stop.set()
    watcher.join()
    if run.returncode:
        sys.stderr.write(run.stderr[-3000:])
        raise SystemExit(f"network failed with {workers} workers")
    return {"workers": workers, "seconds": run.seconds, "cpu": run.cpu,
            "peak_mb": run.peak_mb, "parent_mb": watcher.parent_kb / 1024,
            "worker_mb": max(watcher.workers_kb.values(), default=0) / 1024,
            "forked": len(watcher.workers_kb), "load": run.load,
            "load_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", default="local", choices=("local", "processes", "dask"))
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    results: dict[int, list[dict]] = {w: [] for w in counts}
    print("workers  wall s  cpu s  peak MB  parent MB  worker MB  processes  load before/after",
          flush=True)
    for _ in range(args.rounds):
        for w in counts:
            r = run(args.project.resolve(), w, args.engine)
            results[w].append(r)
            print(f"{w:7d}  {r['seconds']:6.1f}  {r['cpu']:5.1f}  {r['peak_mb']:7.0f}  "
                  f"{r['parent_mb']:9.0f}  {r['worker_mb']:9.0f}  {r['forked']:9d}  "
                  f"{r['load']:.2f}/{r['load_after']:.2f}", flush=True)
    print("median:")
    for w in counts:
        rs = results[w]
        print(f"  {w} worker(s): {statistics.median(r['seconds'] for r in rs):.1f} s wall, "
              f"{statistics.median(r['cpu'] for r in rs):.1f} s CPU, peak "
              f"{max(r['peak_mb'] for r in rs):.0f} MB (parent "
              f"{max(r['parent_mb'] for r in rs):.0f}, largest worker "
              f"{max(r['worker_mb'] for r in rs):.0f}), {len(rs)} run(s)")


if __name__ == "__main__":
    main()
