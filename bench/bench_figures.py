"""Benchmark the figures stage on the sample: the whole stage, by worker count, and each figure.

Usage::

    .venv/bin/python bench/bench_figures.py                       # sample run up to code first
    .venv/bin/python bench/bench_figures.py --work work --rounds 7 --workers 1,2
    .venv/bin/python bench/bench_figures.py --old /tmp/base        # another checkout beside it
    .venv/bin/python bench/bench_figures.py --each                 # time of each figure too

Each round runs every side (this checkout with each ``--workers``, and ``--old`` if given) in
a fresh interpreter, in turn, the order rotating from round to round, and times
``figures.compute`` with the stage's defaults (PNG at 300 dpi + SVG + the CSVs): the wall time,
the CPU time of the process and of its forked workers, and the longest single process's CPU
time (on idle cores, the wall time of a parallel run is about that). Prints medians and the
load average before and after: the machine may be shared, so quote it with the numbers.
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

ROUND = r"""
import dataclasses, json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from pipelines import figures
from pipelines.core.store import read_table
work, workers = Path(sys.argv[1]), int(sys.argv[2])
t_import = time.perf_counter() - t0
tables = {n: read_table(work, n) for n in figures.INPUTS}
fields = {f.name for f in dataclasses.fields(figures.Params)}
params = figures.Params(**({"workers": workers} if "workers" in fields else {}))
cpu = time.process_time()
t = time.perf_counter(); out = figures.compute(tables, params); stage = time.perf_counter() - t
cpu = time.process_time() - cpu
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
workers_cpu = kids.ru_utime + kids.ru_stime
print(json.dumps({"stage s": stage, "cpu s (all processes)": cpu + workers_cpu,
                  "cpu s (longest process)": max(cpu, workers_cpu), "imports s": t_import,
                  "files": len(out)}))
"""

EACH = r"""
import json, sys, time
from pathlib import Path
from pipelines import figures
from pipelines.core.store import read_table
from pipelines.figures.stage import _files, figure_style, plan
work = Path(sys.argv[1])
tables = {n: read_table(work, n) for n in figures.INPUTS}
params = figures.Params(workers=1)
out = {}
with figure_style():
    for name, build in plan(tables, params):
        t = time.process_time(); fig = build(); out["draw " + name] = time.process_time() - t
        t = time.process_time(); _files(name, fig, tables, params, None)
        out["save " + name] = time.process_time() - t
print(json.dumps(out))
"""


def _run(code: str, root: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                          text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print(title: str, rounds: list[dict]) -> None:
    print(title)
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        print(f"  {key:<26} {statistics.median(values):6.2f}   "
              f"(min {min(values):.2f}, max {max(values):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="work folder with the tables (default: "
                        "run data/sample up to code in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", default="1,2", help="worker counts of this checkout")
    parser.add_argument("--old", type=Path, help="another checkout to time in the same rounds "
                        "(its default workers)")
    parser.add_argument("--each", action="store_true", help="also the CPU time of drawing and "
                        "of saving each figure (one process, median of the rounds)")
    args = parser.parse_args()
    sides = [(f"this checkout, workers={w}", ROOT, w) for w in args.workers.split(",")]
    if args.old:
        sides.append((f"old ({args.old})", args.old.resolve(), "0"))
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work
        if work is None:
            work = Path(tmp) / "work"
            subprocess.run([sys.executable, "-c", "import cli; cli.main()", "-q", "--config",
                            str(ROOT / "data/sample/wenmai.toml"), "--workdir", str(work),
                            "run", "--until", "code"], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
        load_before = os.getloadavg()
        results: dict[str, list[dict]] = {label: [] for label, _, _ in sides}
        each: list[dict] = []
        for r in range(args.rounds):
            for label, root, workers in sides[r % len(sides):] + sides[:r % len(sides)]:
                results[label].append(_run(ROUND, root, str(work), workers))
            if args.each:
                each.append(_run(EACH, ROOT, str(work)))
        load_after = os.getloadavg()
    print(f"figures on {work if args.work else 'data/sample'}: median of {args.rounds} "
          f"interleaved fresh-interpreter rounds; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, on {os.cpu_count()} cores")
    for label, _, _ in sides:
        _print(label, results[label])
    if each:
        _print("each figure, CPU s (one process)", each)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"bench took {time.perf_counter() - started:.0f} s")
    raise SystemExit(code)
