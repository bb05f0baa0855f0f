"""Make a large ``ingest/documents`` table by repeating a smaller one (for memory checks).

Usage: ``python bench/repeat_documents.py DOCUMENTS.parquet OUT.parquet --times 10``

Writes doc_id and text of every document ``--times`` times, each copy's ``doc_id`` followed by
its copy number (two digits), in row groups of 1,024 documents, so a stage that reads
``ingest/documents`` a batch at a time can be measured on e.g. 1 GB of text built from the
100 MB corpus of ``bench/scale.py`` without running ingest at that size. The text repeats,
so the vocabulary does not grow: this measures memory that grows with the number of
documents and tokens, not with the vocabulary.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    """Read, repeat, write."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    table = pq.ParquetFile(args.documents).read(columns=["doc_id", "text"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(args.out, table.schema, compression="zstd") as writer:
        for i in range(args.times):
            ids = pc.binary_join_element_wise(table.column("doc_id"), pa.scalar(f"{i:02d}"), "")
            writer.write_table(pa.table({"doc_id": ids, "text": table.column("text")}),
                               row_group_size=1024)
    print(f"{args.out}: {table.num_rows * args.times} documents")


if __name__ == "__main__":
    main()
