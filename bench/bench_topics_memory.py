"""Peak memory and time of the topics stage as the corpus grows, for one or two checkouts.

Usage: ``python bench/bench_topics_memory.py WORK [WORK ...] [--old OTHER_CHECKOUT] [--k 10]
[--seeds 1] [--unit document] [--sample 0] [--repeat 1]``

Each ``WORK`` is a work folder with ``segment/tokens`` and ``ingest/documents`` (e.g. the
``work`` folders ``bench/scale.py --keep DIR`` leaves for 10 MB and 100 MB). For each folder,
round after round, this checkout (``new``) and, with ``--old``, another one run ``wenmai
topics --force`` in a fresh process on a copy of the two tables, alternating which goes first.
Printed per run: wall time of the process, its CPU time (user + system, with its workers),
its peak RSS (``os.wait4``: the largest resident set of the process or of any worker it
started, not their sum; topics here uses one worker, ``--workers 1``, so the fit runs in the
stage process) and the 1-minute load average before it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from measure import run_measured

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("segment/tokens", "ingest/documents")


def copy_tables(src: Path, dst: Path) -> None:
    """The input tables (one file or a dataset folder each) into a fresh work folder."""
    for name in TABLES:
        stage, table = name.split("/")
        (dst / stage).mkdir(parents=True, exist_ok=True)
        for suffix in (".parquet", ""):
            path = src / stage / f"{table}{suffix}"
            if path.is_file():
                shutil.copy(path, dst / stage / path.name)
            elif suffix == "" and path.is_dir():
                shutil.copytree(path, dst / stage / table)


def run(root: Path, work: Path, args: argparse.Namespace) -> tuple[float, float, float]:
    """``wenmai topics`` of checkout ``root`` on ``work``: (wall s, CPU s, peak RSS MB)."""
    command = [sys.executable, "-c", "import cli; cli.main()", "--workdir", str(work), "topics",
               "--force", "--k", args.k, "--seeds", str(args.seeds), "--unit", args.unit,
               "--workers", "1"]
    if args.sample:
        command += ["--sample", str(args.sample)]
    run = run_measured(command, pythonpath=root, cwd=root)
    if run.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    return run.seconds, run.cpu, run.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", nargs="+", type=Path)
    parser.add_argument("--old", type=Path, help="another wenmai checkout, run in the same rounds")
    parser.add_argument("--k", default="10")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--unit", default="document", choices=("document", "paragraph"))
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sides = [("new", ROOT)] + ([("old", args.old.resolve())] if args.old else [])
    print(f"# topics k={args.k} seeds={args.seeds} unit={args.unit} sample={args.sample}, "
          f"{os.cpu_count()} cores")
    print("| work | side | round | seconds | CPU s | peak RSS MB | load |")
    print("|---|---|---|---|---|---|---|")
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for work in args.work:
        for r in range(args.repeat):
            for name, root in (sides if r % 2 == 0 else sides[::-1]):
                with tempfile.TemporaryDirectory(dir=work.parent) as tmp:
                    copy_tables(work, Path(tmp))
                    load = os.getloadavg()[0]
                    seconds, cpu, rss = run(root, Path(tmp), args)
                results.setdefault((str(work), name), []).append((seconds, cpu, rss))
                print(f"| {work} | {name} | {r + 1} | {seconds:.1f} | {cpu:.1f} | {rss:.0f} | "
                      f"{load:.1f} |", flush=True)
    print("\n| work | side | median s | median CPU s | median peak RSS MB |")
    print("|---|---|---|---|---|")
    for (work, name), runs in results.items():
        med = [statistics.median(run[i] for run in runs) for i in range(3)]
        print(f"| {work} | {name} | {med[0]:.1f} | {med[1]:.1f} | {med[2]:.0f} |")


if __name__ == "__main__":
    main()
