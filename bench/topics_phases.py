"""Where the memory of one topics fit goes: resident set size after each phase, per token.

Usage: ``python bench/topics_phases.py WORK [--iterations 20] [--k 10]``

``WORK`` is a work folder with ``segment/tokens`` (e.g. a copy of the 100 MB scale corpus). In
one process this builds the stage's corpus the way ``wenmai topics`` does (``stage._corpus``
with the default params), adds every unit to a tomotopy ``LDAModel``, trains it for a few
sweeps and serialises it (as the stage does, and with ``saves``), printing after each phase the
resident set size (``VmRSS``), its growth, and the growth divided by the kept tokens: the bytes
per token of the corpus arrays and of tomotopy's own copy (C++ memory that ``tracemalloc`` does
not see). The peak during each phase (``VmHWM``, reset after each) is printed too; then the
stage's own steps: one ``fit_tomotopy``, the coherence and ``build_tables``. The numbers are
memory, not time, so the load of a shared machine hardly matters.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def _status() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB, after handing freed memory back to the system
    (Arrow's pool, glibc's ``malloc_trim``), so a phase is not credited with memory that the
    phase before freed but the allocator kept."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _reset_peak() -> None:
    """Start a new VmHWM (Linux: writing 5 to clear_refs resets the peak resident size)."""
    Path("/proc/self/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    import tomotopy as tp

    from pipelines.core import store
    from pipelines.topics import stage
    from pipelines.topics.coherence import bag_coherence
    from pipelines.topics.lda import _tomotopy_bytes, fit_tomotopy
    from pipelines.topics.tables import build_tables

    rows = []
    last = _status()[0]
    tokens = 1

    def mark(phase: str) -> None:
        nonlocal last
        rss, hwm = _status()
        rows.append((phase, rss, rss - last, (rss - last) * 2**20 / tokens, hwm))
        last = rss
        _reset_peak()

    mark("start (imports)")
    started = time.perf_counter()
    params = stage.Params(k=str(args.k), iterations=args.iterations, workers=1)
    table = store.open_table(args.work, "segment/tokens")
    corpus, units = stage._corpus(stage._batches(table), params)
    tokens = int(corpus.bags.offsets[-1])
    texts = int(corpus.texts.offsets[-1]) if corpus.texts is not None else tokens
    mark("corpus (bags + texts)")
    words = np.asarray(corpus.vocab, dtype=object)
    model = tp.LDAModel(k=args.k, seed=42)
    for i in range(len(corpus.bags)):
        model.add_doc(words[corpus.bags[i]].tolist())
    mark("tomotopy add_doc (every unit)")
    model.train(iterations=1, workers=1, parallel=tp.ParallelScheme.NONE)
    mark("tomotopy train 1 sweep")
    data = _tomotopy_bytes(model)
    mark(f"model bytes (save + read): {len(data) / 2**20:.0f} MB")
    del data
    data = model.saves(full=True)
    mark(f"model bytes (saves): {len(data) / 2**20:.0f} MB")
    del data, model
    mark("model dropped")
    fit = fit_tomotopy(corpus, args.k, 42, keep=True)
    mark(f"fit_tomotopy ({args.iterations} sweeps, held-out inference, θ)")
    top = np.argsort(-fit.topic_term, axis=1, kind="stable")[:, :10]
    fit.scores, _ = bag_coherence(corpus.reference(), list(top))
    mark("coherence (c_v, c_npmi, u_mass)")
    documents = store.read_all(store.open_table(args.work, "ingest/documents"),
                               columns=["doc_id", "title", "year"])
    out = build_tables([fit], corpus, units, documents, params)
    mark(f"build_tables ({len(out)} outputs)")
    print(f"# {args.work}: {len(units.doc_ids)} units, {tokens:,} kept tokens, {texts:,} tokens "
          f"in the coherence reference, {len(corpus.vocab)} terms; "
          f"{time.perf_counter() - started:.0f} s")
    print("| phase | RSS after MB | Δ MB | Δ bytes per kept token | peak during the phase MB |")
    print("|---|---|---|---|---|")
    for phase, rss, delta, per, hwm in rows:
        print(f"| {phase} | {rss:.0f} | {delta:+.0f} | {per:.1f} | {hwm:.0f} |")


if __name__ == "__main__":
    main()
