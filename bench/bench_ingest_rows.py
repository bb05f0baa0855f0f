"""Ingest one CSV of many tiny texts (issue 12: 1,000,000 rows must finish, memory bounded).

Writes ``--rows`` rows of short Chinese texts (10-40 characters, 1 in 50 a near copy of an
earlier row with one character changed, 1 in 100 an exact copy) to a CSV in a temporary
folder, runs the ingest stage in a child process through the CLI, and prints the wall time,
the child's peak RSS and the table sizes. Near-duplicate candidates come from LSH buckets
only (never all pairs), so time grows about linearly with the rows.

    .venv/bin/python bench/bench_ingest_rows.py --rows 1000000

(The CSV is about 96 MB, so ``--max-file-mb 500`` is passed; the default cap is 50 MB.)
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("职业教育", "乡村振兴", "人才培养", "技术技能", "产教融合", "校企合作", "教师队伍",
         "经费保障", "农村学校", "学前教育", "义务教育", "高等教育", "精准扶贫", "就业创业",
         "社会服务", "质量提升", "体制机制", "政策支持")


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    texts: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "text"])
        for i in range(rows):
            roll = rng.random()
            if texts and roll < 0.01:
                text = rng.choice(texts)
            elif texts and roll < 0.03:
                base = rng.choice(texts)
                k = rng.randrange(len(base))
                text = base[:k] + "新" + base[k + 1:]
            else:
                text = "".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10))) + f"{i}。"
            if len(texts) < 5000:
                texts.append(text)
            elif rng.random() < 0.001:
                texts[rng.randrange(5000)] = text
            out.writerow([i, text])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "tiny.csv"
        make_csv(data, args.rows)
        size = data.stat().st_size / 1e6
        env = {**os.environ, "PYTHONPATH": str(root)}
        cmd = [sys.executable, "-c", "import cli; cli.main()", "--workdir", str(Path(tmp) / "w"),
               "ingest", str(data), "--min-chars", "5", "--workers", str(args.workers),
               "--max-file-mb", "500"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(proc.stdout[-600:] + proc.stderr[-600:])
        print(f"rows={args.rows:,} csv={size:.1f} MB exit={proc.returncode} wall={wall:.1f} s "
              f"peak_rss={peak:.0f} MB load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
