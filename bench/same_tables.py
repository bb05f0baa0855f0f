"""Check that two checkouts of wenmai write the same segment tables from the same documents.

Usage: ``python bench/same_tables.py DOCUMENTS.parquet OLD_CHECKOUT NEW_CHECKOUT [--workers 1,2]``

Each checkout runs the segment stage (default params) in a fresh process per worker count on
a copy of ``DOCUMENTS.parquet`` (an ``ingest/documents`` table); every ``tokens`` and
``report`` table is compared with the first one (``pyarrow.Table.equals``) and so are the
parquet files' bytes (sha256). Exits 1 if anything differs. Used to show that a speed change
leaves the tables as they were (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

_RUN = """
import shutil, sys
from pathlib import Path
root, docs, out, workers = sys.argv[1:5]
sys.path.insert(0, root)
from pipelines import segment
from pipelines.core import runner
work = Path(out)
(work / "ingest").mkdir(parents=True)
shutil.copy(docs, work / "ingest" / "documents.parquet")
runner.run_stage(segment, work, segment.Params(workers=int(workers)), force=True)
"""


def main() -> None:
    """Run both checkouts for each worker count; compare tables and bytes with the first."""
    import pyarrow.parquet as pq

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=Path)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        outs = []
        for root in (args.old, args.new):
            for w in args.workers.split(","):
                out = Path(tmp) / f"{len(outs)}"
                subprocess.run([sys.executable, "-c", _RUN, str(root.resolve()),
                                str(args.documents.resolve()), str(out), w],
                               check=True, capture_output=True)
                outs.append((root, w, out / "segment"))
        first = outs[0][2]
        for root, w, folder in outs:
            for name in ("tokens", "report"):
                a, b = first / f"{name}.parquet", folder / f"{name}.parquet"
                equal = pq.read_table(a).equals(pq.read_table(b))
                digest = hashlib.sha256(b.read_bytes()).hexdigest()[:12]
                same_bytes = digest == hashlib.sha256(a.read_bytes()).hexdigest()[:12]
                same = same and equal and same_bytes
                print(f"{root} workers {w} {name}: {pq.read_metadata(b).num_rows} rows, "
                      f"table {'equal' if equal else 'DIFFERENT'}, bytes {digest} "
                      f"({'same' if same_bytes else 'DIFFERENT'})")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
