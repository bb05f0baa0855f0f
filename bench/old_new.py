"""One stage of two checkouts of wenmai, run in turns on the same work folders: time and memory.

Usage: ``python bench/old_new.py STAGE OLD_CHECKOUT NEW_CHECKOUT PROJECT [PROJECT ...]
[--repeat 3] [--args "--workers 2"]`` (OLD_CHECKOUT ``-``: the new one alone)

Each PROJECT is a folder with ``wenmai.toml`` and a ``work`` folder whose inputs of STAGE are
there (e.g. the ``10MB`` and ``100MB`` folders ``bench/scale.py --keep DIR`` leaves). Round
after round, each checkout runs ``wenmai STAGE --force`` in a fresh process (the order
alternates every round, so a busy machine slows both alike); per run: wall time, peak RSS of
the process or of any worker it started (``os.wait4``, as in ``bench/scale.py``), CPU time
(user + system of the process and its workers) and the 1-minute load average before it. The
summary gives medians per project and checkout. Each run replaces the stage's outputs, so the
folder holds the last run's tables afterwards.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from pathlib import Path

from measure import run_measured


def run(root: Path, project: Path, stage: str, extra: list[str]) -> dict[str, float]:
    """``wenmai STAGE --force`` of checkout ``root`` on ``project``: seconds, MB, CPU, load."""
    args = [sys.executable, "-c", "import cli; cli.main()", "--config",
            str(project / "wenmai.toml"), "--workdir", str(project / "work"), stage, "--force",
            *extra]
    run = run_measured(args, pythonpath=root, cwd=root)
    if run.returncode:
        raise SystemExit(f"{root} {stage} failed:\n{run.stderr[-2000:]}")
    return {"s": run.seconds, "rss": run.peak_mb, "cpu": run.cpu, "load": run.load}


def main() -> None:
    """Run the rounds and print every run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("projects", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--args", default="", help="more options of the stage command")
    args = parser.parse_args()
    extra = shlex.split(args.args)
    sides = [("old", args.old.resolve()), ("new", args.new.resolve())]
    if str(args.old) == "-":  # the new checkout alone (e.g. where the old one needs too much)
        sides = sides[1:]
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    print("| project | checkout | round | seconds | peak RSS MB | CPU s | load |")
    print("|---|---|---|---|---|---|---|", flush=True)
    for r in range(args.repeat):
        for project in args.projects:
            for name, root in sides if r % 2 == 0 else sides[::-1]:
                res = run(root, project.resolve(), args.stage, extra)
                runs.setdefault((project.name, name), []).append(res)
                print(f"| {project.name} | {name} | {r + 1} | {res['s']:.1f} | {res['rss']:.0f} "
                      f"| {res['cpu']:.1f} | {res['load']:.1f} |", flush=True)
    print("\n| project | checkout | median s | median peak RSS MB | median CPU s | load |")
    print("|---|---|---|---|---|---|")
    for (project, name), rs in runs.items():
        med = {k: statistics.median(x[k] for x in rs) for k in ("s", "rss", "cpu")}
        loads = [x["load"] for x in rs]
        print(f"| {project} | {name} | {med['s']:.1f} | {med['rss']:.0f} | {med['cpu']:.1f} | "
              f"{min(loads):.1f}-{max(loads):.1f} |")


if __name__ == "__main__":
    main()
