"""Freshness of raw inputs: hashing every byte against the size/mtime/ctime cache.

Usage: ``python bench/bench_hashcache.py [--files 1000] [--mb 1] [--repeat 3] [--dir DIR]``

Writes ``--files`` files of ``--mb`` MB of random bytes (1 GB by default) with an mtime an hour
ago, fills the cache once, then times, ``--repeat`` times each, what ``runner.input_hashes``
does for a stage's raw inputs before and after :mod:`pipelines.core.hashcache`: sha256 of every
file, and the cache (a stat per file, a read only when the stat changed). Both must give the
same hashes. Prints the medians and the 1-minute load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.core.hashcache import InputHashes, sha256_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="Write the files here (default: a temp dir).")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="wenmai-hashcache-"))
    docs, work = base / "docs", base / "work"
    docs.mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    size = int(args.mb * (1 << 20))
    block = os.urandom(size)
    past = time.time() - 3600
    files = []
    for i in range(args.files):
        path = docs / f"f{i:05d}.bin"
        if not path.exists() or path.stat().st_size != size:
            path.write_bytes(block[:-8] + i.to_bytes(8, "little"))
        os.utime(path, (past, past))
        files.append(path)

    def every_byte() -> dict[str, str]:
        return {f"file:{p}": sha256_of(p) for p in files}

    def cached() -> dict[str, str]:
        cache = InputHashes(work, "ingest")
        hashes = {f"file:{p}": cache.sha256(f"file:{p}", p) for p in files}
        cache.save()
        return hashes

    expected = cached()
    print(f"{args.files} files x {args.mb:g} MB = {args.files * size / 1e9:.2f} GB in {docs}; "
          f"load {os.getloadavg()[0]:.2f}")
    for name, run in (("hash every byte", every_byte), ("stat + cache", cached)):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            assert run() == expected
            times.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(times):.3f} s ("
              + ", ".join(f"{t:.3f}" for t in times) + ")")
    if args.dir is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
