"""Check that two checkouts of wenmai write the same segment tables from the same documents.

Usage: ``python bench/same_tables.py DOCUMENTS.parquet OLD_CHECKOUT NEW_CHECKOUT [--workers 1,2]``

Each checkout runs the segment stage (default params) in a fresh process per worker count on
a copy of ``DOCUMENTS.parquet`` (an ``ingest/documents`` table); every ``tokens`` and
``report`` table is compared with the first one (``pyarrow.Table.equals``; a tokens dataset of
part files is read as one table) and so are the parquet files' bytes (sha256) with the first
run of the same layout (one file, or the same number of part files). Exits 1 if anything
differs. Used to show that a speed change
leaves the tables as they were (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa

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


def _read(folder: Path, name: str) -> tuple[pa.Table, str, str]:
    """A table of a stage folder, one file or a dataset of part files; its layout and the
    sha256 of its files' bytes (in order)."""
    import pyarrow.parquet as pq

    single = folder / f"{name}.parquet"
    files = [single] if single.exists() else sorted((folder / name).glob("part-*.parquet"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    tables = [pq.ParquetFile(f).read() for f in files]
    layout = "file" if single.exists() else f"{len(files)} parts"
    return pa.concat_tables(tables), layout, digest.hexdigest()[:12]


def main() -> None:
    """Run both checkouts for each worker count; compare tables and bytes with the first."""
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
        first: dict[tuple[str, str], tuple[pa.Table, str]] = {}
        for root, w, folder in outs:
            for name in ("tokens", "report"):
                table, layout, digest = _read(folder, name)
                ref_table, ref_digest = first.setdefault((name, layout), (table, digest))
                ref = first.get((name, "file"), (table, ""))[0]  # the old layout, if any
                equal = table.equals(ref_table) and table.equals(ref)
                same_bytes = digest == ref_digest
                same = same and equal and same_bytes
                print(f"{root} workers {w} {name} ({layout}): {table.num_rows} rows, table "
                      f"{'equal' if equal else 'DIFFERENT'}, bytes {digest} "
                      f"({'same' if same_bytes else 'DIFFERENT'} as the first {layout})")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
