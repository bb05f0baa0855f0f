"""Time the code stage on the laws corpus (or any work folder with ingest and segment done).

Usage (from the project root; the work folder is made once with ingest + segment):

    .venv/bin/python bench/bench_code.py [--workdir /tmp/laws] [--unit paragraph] [--repeat 5]

Prints the median seconds of the rule evaluation alone (``code_partition``) and of the whole
``compute`` (tables, saturation with 200 random orders, REFI-QDA export), with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "laws-education-rural-cn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenmai-bench-code"))
    parser.add_argument("--codebook", default=str(ROOT / "data/codebooks/policy_instruments.yaml"))
    parser.add_argument("--unit", default="paragraph")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (args.workdir / "segment" / "tokens.parquet").exists():
        wenmai = [sys.executable, "-c", "import cli; cli.main()", "-q", "--workdir",
                  str(args.workdir)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([*wenmai, "ingest", str(CORPUS)], check=True, env=env)
        subprocess.run([*wenmai, "segment"], check=True, env=env)

    from pipelines import code
    from pipelines.code.apply import code_partition
    from pipelines.code.codebook import load_codebook
    from pipelines.core import store

    docs = store.read_table(args.workdir, "ingest/documents")
    tokens = store.read_table(args.workdir, "segment/tokens")
    tables = {"ingest/documents": docs, "segment/tokens": tokens}
    book = load_codebook(args.codebook)
    part = (docs.column("doc_id").to_pylist(), docs.column("text").to_pylist(),
            tokens.select(["doc_id", "sent_id", "tokens"]))
    coding, whole = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        code_partition(part, book, args.unit)
        coding.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        code.compute(tables, code.Params(codebook=args.codebook, unit=args.unit))
        whole.append(time.perf_counter() - t0)
    chars = sum(len(t or "") for t in part[1])
    print(f"{docs.num_rows} documents, {chars:,} characters, unit={args.unit}, "
          f"{len(book.codes)} codes")
    print(f"rule evaluation: median {statistics.median(coding):.2f} s of {args.repeat}")
    print(f"whole compute:   median {statistics.median(whole):.2f} s of {args.repeat}")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
