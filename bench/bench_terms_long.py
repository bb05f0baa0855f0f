"""Peak memory of the terms stage on one very long document (a 100 MB single line).

Usage::

    .venv/bin/python bench/bench_terms_long.py                   # a 100 MB document
    .venv/bin/python bench/bench_terms_long.py --mb 25 --code /path/to/other/checkout

A 100 MB single-line Chinese document is about 33 M characters; with no sentence end in it,
segment gives one row holding every token. This script builds that row directly (so the
measure is of terms, not of segment): about 13 M words of 2 to 4 Han characters (2.5 on
average) drawn with Zipf-like frequencies (exponent 1.1) from a 50,000-word vocabulary, with
POS tags, seeded. It then runs ``terms.compute`` in a fresh process of the checkout given by
``--code`` (default: this one) and prints the peak resident memory (``VmHWM``) after reading
the table and at the end, with the seconds taken.
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
import pyarrow.parquet as pq
from pipelines import terms

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
table = pq.read_table(sys.argv[2])
after_read = hwm()
start = time.perf_counter()
out = terms.compute({"segment/tokens": table}, terms.Params())
print(json.dumps({"peak_after_read_mb": round(after_read), "peak_mb": round(hwm()),
                  "seconds": round(time.perf_counter() - start, 1),
                  "terms": out["terms"].num_rows, "keywords": out["keywords"].num_rows}))
"""


def make_tokens(path: Path, mb: float, seed: int = 7) -> int:
    """Write a one-row tokens table standing for a ``mb`` MB single-line document."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    chars = int(mb * 1_000_000 / 3)  # UTF-8: three bytes per Han character
    n_vocab = 50_000
    lengths = rng.integers(2, 5, n_vocab)
    codes = rng.integers(0x4E00, 0x9FA5, lengths.sum())
    ends = np.cumsum(lengths)
    vocab = ["".join(map(chr, codes[e - n:e])) for e, n in zip(ends, lengths, strict=True)]
    weights = 1.0 / np.arange(1, n_vocab + 1) ** 1.1
    n_tokens = int(chars / 2.5)
    idx = rng.choice(n_vocab, size=n_tokens, p=weights / weights.sum()).astype(np.int32)
    values = pa.array(vocab).take(pa.array(idx))
    pos = pa.array(["n", "v", "nz", "vn"]).take(pa.array((idx % 4).astype(np.int32)))
    offsets = pa.array([0, n_tokens], pa.int32())
    table = pa.table({"doc_id": ["long"], "para_id": pa.array([0], pa.int32()),
                      "sent_id": pa.array([0], pa.int32()),
                      "tokens": pa.ListArray.from_arrays(offsets, values),
                      "pos": pa.ListArray.from_arrays(offsets, pos), "lang": ["zh"]})
    pq.write_table(table, path)
    return n_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="document size in MB")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose terms to run")
    parser.add_argument("--tokens", type=Path, help="reuse (or write) the tokens table here")
    args = parser.parse_args()
    path = args.tokens or Path(tempfile.gettempdir()) / f"wenmai-long-{args.mb:g}mb.parquet"
    if not path.exists():
        n = make_tokens(path, args.mb)
        print(f"wrote {path}: one row of {n:,} tokens ({args.mb:g} MB document)")
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(args.code), str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"terms failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        sys.exit(1)
    result = json.loads(done.stdout)
    print(f"terms on a {args.mb:g} MB single-line document ({args.code}): peak RSS "
          f"{result['peak_mb']:,} MB (after reading the table: {result['peak_after_read_mb']:,}"
          f" MB), {result['seconds']} s, {result['terms']:,} terms")


if __name__ == "__main__":
    main()
