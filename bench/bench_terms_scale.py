"""Peak memory and time of the terms stage on N copies of a scale-bench corpus (up to ~1 GB).

Usage::

    .venv/bin/python bench/scale.py --sizes 100 --stages ingest,segment --keep /tmp/b ...
    .venv/bin/python bench/bench_terms_scale.py --work /tmp/b/100MB/work --copies 1,10
    .venv/bin/python bench/bench_terms_scale.py --work ... --copies 10 --by year --code DIR

``bench/scale.py`` needs about 10 minutes and several GB to ingest and segment 1 GB of text;
the terms stage reads only ``segment/tokens`` (and, with ``--by``, two columns of
``ingest/documents``). So this script takes the tokens of a finished scale-bench work folder
and writes ``copies`` copies of them as a dataset of part files (one part per copy, the
document ids suffixed ``-<copy>``, so every copy is a distinct document), with a documents
table of doc_id and year. It then runs ``terms.compute`` on the stored tables, as the runner
hands them over (``STREAMED``), in a fresh process of the checkout ``--code`` (default: this
one), and prints its peak resident memory (``VmHWM``: the process, Python and imports
included) and the seconds of ``compute``. The scale-bench corpus repeats sentences past
about 9 MB, so copies grow the corpus as ``scale.py`` would: more documents and (document,
term) pairs, the same vocabulary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipelines.core import store
from pipelines import terms

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
folder = Path(sys.argv[2])
tokens = sorted((folder / "tokens").glob("part-*.parquet"))
streamed = getattr(terms, "STREAMED", ())
tables = {"segment/tokens": store.StoredTable(tokens, "segment/tokens"),
          "ingest/documents": store.StoredTable([folder / "documents.parquet"], "documents")}
tables = {name: table if name in streamed else table.read() for name, table in tables.items()}
before = hwm()
start = time.perf_counter()
out = terms.compute(tables, terms.Params(by=sys.argv[3] or None))
print(json.dumps({"peak_before_mb": round(before), "peak_mb": round(hwm()),
                  "seconds": round(time.perf_counter() - start, 1),
                  **{name: table.num_rows for name, table in out.items()}}))
"""


def make_copies(work: Path, folder: Path, copies: int) -> tuple[int, int]:
    """Write ``copies`` copies of the work folder's tokens; return (documents, tokens)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from pipelines.core import store

    tokens = store.open_table(work, "segment/tokens").read()
    docs = store.open_table(work, "ingest/documents").read(["doc_id", "year"])
    (folder / "tokens").mkdir(parents=True)
    parts = []
    for i in range(copies):
        ids = pc.binary_join_element_wise(tokens.column("doc_id"), pa.scalar(f"-{i}"), "")
        store.write_part(folder / "tokens" / f"part-{i:05d}.parquet",
                         tokens.set_column(0, "doc_id", ids))
        parts.append(docs.set_column(0, "doc_id", pc.binary_join_element_wise(
            docs.column("doc_id"), pa.scalar(f"-{i}"), "")))
    pq.write_table(pa.concat_tables(parts), folder / "documents.parquet")
    n_tokens = pc.sum(pc.list_value_length(tokens.column("tokens"))).as_py()
    return docs.num_rows * copies, n_tokens * copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True,
                        help="A work folder of bench/scale.py with segment/tokens.")
    parser.add_argument("--copies", default="1,10", help="Copies, comma-separated.")
    parser.add_argument("--by", default="", help="--by of the terms stage (e.g. year).")
    parser.add_argument("--code", type=Path, default=ROOT, help="The checkout to measure.")
    parser.add_argument("--keep", type=Path, help="Write the copies here (else a temp folder).")
    args = parser.parse_args()
    print("| copies | documents | tokens | seconds | peak RSS MB | keywords |")
    print("|---|---|---|---|---|---|")
    for copies in [int(c) for c in args.copies.split(",")]:
        with tempfile.TemporaryDirectory(prefix="wenmai-terms-") as tmp:
            folder = (args.keep or Path(tmp)) / f"x{copies}"
            meta = folder / "copies.json"
            if not meta.exists():
                meta_data = dict(zip(("docs", "tokens"), make_copies(args.work, folder, copies),
                                     strict=True))
                meta.write_text(json.dumps(meta_data), encoding="utf-8")
            docs, tokens = json.loads(meta.read_text(encoding="utf-8")).values()
            out = subprocess.run([sys.executable, "-c", _MEASURE, str(args.code), str(folder),
                                  args.by], capture_output=True, text=True, check=False)
            if out.returncode:
                sys.exit(out.stderr[-3000:])
            got = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {copies} | {docs:,} | {tokens:,} | {got['seconds']} | {got['peak_mb']:,} "
                  f"| {got['keywords']:,} |", flush=True)


if __name__ == "__main__":
    main()
