"""Ingest one CSV of many tiny texts (issue 12: 1,000,000 rows must finish, memory bounded).

Writes ``--rows`` rows of short Chinese texts (11-41 characters of 2-character words drawn
from 3,000; 1 in 50 a near copy of an earlier row with one character changed, 1 in 100 an
exact copy) to a CSV in a temporary
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

CHARS = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着"
         "去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主"
         "行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二"
         "理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走"
         "电四第门相次东政海口使教西再平真听世气信北少关")


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    words = [a + b for a in CHARS[:60] for b in CHARS[60:110]]
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
            else:  # a short sentence of 2-character words from 3,000 (as diverse as titles)
                text = "".join(words[rng.randrange(len(words))]
                               for _ in range(rng.randint(5, 20))) + "。"
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
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        print(proc.stdout[-600:] + proc.stderr[-600:])
        print(f"rows={args.rows:,} csv={size:.1f} MB exit={proc.returncode} wall={wall:.1f} s "
              f"cpu={cpu:.1f} s peak_rss={peak:.0f} MB load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
