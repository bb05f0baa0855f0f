"""Where the segment stage's time goes: CPU seconds per phase, in one process.

Usage: ``python bench/segment_phases.py DOCUMENTS.parquet [--root CHECKOUT]``

Runs the stage's ``compute`` (default params, one worker) on an ``ingest/documents`` table
with the stage's own functions wrapped in timers of ``time.process_time`` (CPU, so a busy
machine disturbs it less than wall time; no profiler, whose per-call overhead inflates
Python functions several times). A phase that calls another includes it. Functions a
checkout does not have are left out, so an older checkout can be profiled the same way.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any

TIMES: collections.Counter = collections.Counter()
CALLS: collections.Counter = collections.Counter()
PHASES = {
    "vector": ["_codes_by_text", "split_latin", "_encode", "_resolve_in_context", "_result",
               "_tally", "_document_counts", "_languages", "count_occurrences"],
    "vector._Types": ["decide"],
    "vector._Pieces": ["of"],
    "vector._Paragraphs": ["__init__", "pieces"],
    "worker": ["traditional_documents", "write_part"],
    "worker.Segmenter": ["decide_many"],
    "backends._RjiebaBackend": ["word_tags"],
    "stage": ["_report", "_common_terms", "dictionary_counts", "settings_from_params"],
}


def _wrap(owner: Any, name: str, label: str) -> None:
    fn = getattr(owner, name, None)
    if fn is None or getattr(fn, "_timed", False):
        return

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[label] += time.process_time() - start
            CALLS[label] += 1

    timed._timed = True  # type: ignore[attr-defined]
    setattr(owner, name, timed)


def main() -> None:
    """Wrap, run, print the phases by CPU time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=Path)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    import importlib

    import pyarrow.parquet as pq

    from pipelines.segment import stage

    for where, names in PHASES.items():
        module, _, attr = where.partition(".")
        try:
            owner: Any = importlib.import_module(f"pipelines.segment.{module}")
        except ImportError:
            continue
        owner = getattr(owner, attr, None) if attr else owner
        for name in names if owner is not None else []:
            _wrap(owner, name, f"{where}.{name}")
    start = time.process_time()
    stage.prepare(stage.Params())
    TIMES["prepare"] = time.process_time() - start
    start = time.process_time()
    table = pq.read_table(args.documents)
    TIMES["read documents"] = time.process_time() - start
    start = time.process_time()
    stage.compute({"ingest/documents": table}, stage.Params(workers=1))
    TIMES["compute (all)"] = time.process_time() - start
    for label, seconds in TIMES.most_common():
        print(f"{label:36} {seconds:7.3f} s CPU  ({CALLS[label] or 1} call(s))")
    print(f"load average {os.getloadavg()[0]:.2f}; checkout {args.root}")


if __name__ == "__main__":
    main()
