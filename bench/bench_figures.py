"""Benchmark the figures stage on the sample: the whole stage and each figure.

Usage::

    .venv/bin/python bench/bench_figures.py              # runs the sample up to code first
    .venv/bin/python bench/bench_figures.py --work work  # an existing work folder

Each round runs in a fresh interpreter (imports included, as a user's `wenmai figures` pays
them) and times ``figures.compute`` with the stage's defaults (PNG at 300 dpi + SVG + the
CSVs), plus drawing and saving each figure. Prints the median of ``--rounds`` rounds and the
load average before and after (the machine may be shared: quote it with the numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUND = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from pipelines import figures
from pipelines.core.runner import run_stage
from pipelines.figures.stage import figure_style, save_figure, draw
from pipelines.core.store import read_table
work = Path(sys.argv[1])
t_import = time.perf_counter() - t0
tables = {n: read_table(work, n) for n in figures.INPUTS}
params = figures.Params()
t = time.perf_counter(); figures.compute(tables, params); stage = time.perf_counter() - t
each = {}
with figure_style():
    t = time.perf_counter(); figs = draw(tables, params); each["draw all"] = time.perf_counter() - t
    for name, fig in figs.items():
        t = time.perf_counter()
        for fmt in params.formats:
            save_figure(fig, fmt, params.dpi)
        each["save " + name] = time.perf_counter() - t
print(json.dumps({"imports": t_import, "stage": stage, "total": time.perf_counter() - t0,
                  **each}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="work folder with the tables (default: "
                        "run data/sample up to code in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work
        if work is None:
            work = Path(tmp) / "work"
            subprocess.run([sys.executable, "-c", "import cli; cli.main()", "-q", "--config",
                            str(ROOT / "data/sample/wenmai.toml"), "--workdir", str(work),
                            "run", "--until", "code"], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
        load_before = os.getloadavg()
        rounds = []
        for _ in range(args.rounds):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run([sys.executable, "-c", ROUND, str(work)], check=True,
                                  capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            # CPU time is what a quiet machine's wall time would be for this one process
            rounds.append({**json.loads(done.stdout.strip().splitlines()[-1]),
                           "cpu (whole round)": cpu})
        load_after = os.getloadavg()
    print(f"figures on {work.name if args.work else 'data/sample'}: median of {args.rounds} "
          f"fresh-interpreter rounds (s); load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, on {os.cpu_count()} cores")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        print(f"  {key:<24} {statistics.median(values):6.2f}   "
              f"(min {min(values):.2f}, max {max(values):.2f})")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"bench took {time.perf_counter() - started:.0f} s")
    raise SystemExit(code)
