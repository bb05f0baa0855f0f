"""Benchmark the topics stage against a plain loop of gensim ``LdaModel`` fits.

Corpus: the Chinese government work reports 1954-2017 (``../shared/corpora/gov-reports-1954-
2017/govReports``, 49 reports). Tokens come either from a wenmai work folder (``--workdir``, the
``segment/tokens`` and ``ingest/documents`` tables the CLI wrote) or, by default, from jieba run
here (stop words from the corpus's list, single characters and numbers dropped, one unit per
non-blank line). A corpus size N takes N reports spread evenly over the years (every report when
N is 49), so smaller sizes cover the same decades. For each size, each case runs in a fresh
process, so its peak memory is its own:

* ``stage/tomotopy``: ``topics.compute`` with the default backend (tomotopy), ``--workers``
  processes: every (k, seed) fit, all metrics (c_v, c_npmi, u_mass, perplexity, diversity,
  stability, ldatuning), the recommendation and every output table;
* ``stage/gensim``: the same with the gensim backend;
* ``loop/gensim``: the baseline a researcher's notebook would run: a ``Dictionary`` with
  ``filter_extremes(no_below=2, no_above=0.5, keep_n=10000)`` (the stage's vocabulary bounds),
  then for every (k, seed) one ``gensim.models.LdaModel(passes, iterations, eval_every=None,
  random_state=seed)`` fit, scored with ``CoherenceModel(model=..., texts=units,
  coherence="c_npmi" and then "c_v", topn=10, processes=1)`` -- the same settings the stage
  uses. Fit time and scoring time are reported separately.

Printed per case: units, tokens, wall time ``total_s``, ``fit_s`` (the fits alone; for the stage
the sum of the ``seconds`` column over the worker processes), peak RSS of the case process and
of its largest child (the stage's fit workers; NaN for the loop), median c_npmi and c_v over all
(k, seed) models, and the recommended k (the loop's "recommendation" is the k with the best mean
c_npmi). The 1-minute load average is printed before every case, since
the machine may be shared. ``--json`` appends one JSON line per case to a file.

Usage::

    .venv/bin/python bench/bench_topics.py --workdir /tmp/govp --unit paragraph \\
        --sizes 12,25,49 --k 2..20 --seeds 3
    .venv/bin/python bench/bench_topics.py --sizes 49 --k 2..20 --seeds 3   # jieba, documents
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "gov-reports-1954-2017"
N_REPORTS = 49


def spread(n_items: int, size: int) -> list[int]:
    """Indices of ``size`` items spread evenly over ``n_items`` (all of them when size >= n).

    >>> spread(10, 3), spread(4, 9)
    ([0, 4, 9], [0, 1, 2, 3])
    """
    if size >= n_items:
        return list(range(n_items))
    if size == 1:
        return [0]
    return sorted({round(i * (n_items - 1) / (size - 1)) for i in range(size)})


def _tables(rows: list[dict], docs: list[dict]):
    import pyarrow as pa

    tokens = pa.Table.from_pylist(rows, schema=pa.schema([
        ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
        ("tokens", pa.list_(pa.string())), ("pos", pa.list_(pa.string())),
        ("lang", pa.string())]))
    documents = pa.Table.from_pylist(docs, schema=pa.schema([
        ("doc_id", pa.string()), ("title", pa.string()), ("year", pa.int32())]))
    return tokens, documents


def load_jieba(size: int):
    """Segment ``size`` reports (spread over the years) with jieba into (tokens, documents)."""
    import jieba

    stop = set(re.split(r"[\s,，]+",
                        (CORPUS / "ChineseStopWords.txt").read_text(encoding="utf-8")))
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    rows, docs = [], []
    files = sorted((CORPUS / "govReports").glob("*.txt"))
    for path in (files[i] for i in spread(len(files), size)):
        doc_id = path.stem
        year = int(re.match(r"\d{4}", path.stem)[0])
        text = path.read_text(encoding="utf-8", errors="replace")
        for para, line in enumerate(x for x in text.splitlines() if x.strip()):
            toks = [w for w in tokenizer.lcut(line) if len(w) > 1 and w not in stop
                    and not w.isdigit()]
            if toks:
                rows.append({"doc_id": doc_id, "para_id": para, "sent_id": para,
                             "tokens": toks, "pos": ["x"] * len(toks), "lang": "zh"})
        docs.append({"doc_id": doc_id, "title": path.stem, "year": year})
    return _tables(rows, docs)


def load_workdir(workdir: Path, size: int):
    """The CLI's ``segment/tokens`` and ``ingest/documents`` for ``size`` reports (by year)."""
    import pyarrow.compute as pc

    from pipelines.core import store

    documents = store.read_table(workdir, "ingest/documents", columns=["doc_id", "title", "year"])
    documents = documents.sort_by([("year", "ascending"), ("doc_id", "ascending")])
    documents = documents.take(spread(documents.num_rows, size))
    tokens = store.read_table(workdir, "segment/tokens")
    tokens = tokens.filter(pc.is_in(tokens.column("doc_id"), documents.column("doc_id")))
    return tokens, documents


def _units(tokens, unit: str) -> list[list[str]]:
    """Token lists per document or per (document, paragraph), in first-seen order."""
    out: dict[tuple, list[str]] = {}
    keys = zip(tokens.column("doc_id").to_pylist(), tokens.column("para_id").to_pylist(),
               strict=True)
    for (d, p), toks in zip(keys, tokens.column("tokens").to_pylist(), strict=True):
        out.setdefault((d, p) if unit == "paragraph" else (d,), []).extend(toks or [])
    return [u for u in out.values() if u]


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_case(case: str, args: argparse.Namespace, size: int, queue) -> None:
    """One measurement in its own process; puts a result dict on ``queue``."""
    import logging

    logging.getLogger("gensim").setLevel(logging.WARNING)
    from pipelines import topics

    if args.workdir:
        tokens, documents = load_workdir(Path(args.workdir), size)
    else:
        tokens, documents = load_jieba(size)
    units = _units(tokens, args.unit)
    ks = topics.parse_k(args.k)
    result = {"case": case, "size": size, "unit": args.unit, "k": args.k, "seeds": args.seeds,
              "units": len(units), "tokens": sum(len(u) for u in units),
              "load1": os.getloadavg()[0]}
    started = time.perf_counter()
    if case.startswith("stage/"):
        params = topics.Params(k=args.k, seeds=args.seeds, backend=case.split("/")[1],
                               workers=args.workers, unit=args.unit, passes=args.passes,
                               iterations=args.iterations)
        out = topics.compute({"segment/tokens": tokens, "ingest/documents": documents}, params)
        result["total_s"] = time.perf_counter() - started
        ms = out["model_selection"].to_pylist()
        result["fit_s"] = sum(r["seconds"] for r in ms)  # summed over the worker processes
        npmi = [r["coherence_npmi"] for r in ms]
        cv = [r["coherence_cv"] for r in ms]
        by_k = {k: [r["coherence_npmi"] for r in ms if r["k"] == k] for k in ks}
        result["recommended"] = out["recommendation"].column("k")[0].as_py()
    else:
        from gensim.corpora import Dictionary
        from gensim.models import CoherenceModel, LdaModel

        dictionary = Dictionary(units)
        dictionary.filter_extremes(no_below=2, no_above=0.5, keep_n=10000)
        bows = [dictionary.doc2bow(u) for u in units]
        fit_s = 0.0
        npmi, cv, by_k = [], [], {}
        for k in ks:
            for seed in range(42, 42 + args.seeds):
                t0 = time.perf_counter()
                model = LdaModel(bows, id2word=dictionary, num_topics=k, random_state=seed,
                                 passes=args.passes, iterations=args.iterations,
                                 eval_every=None)
                fit_s += time.perf_counter() - t0
                scores = [CoherenceModel(model=model, texts=units, dictionary=dictionary,
                                         coherence=m, topn=10, processes=1).get_coherence()
                          for m in ("c_npmi", "c_v")]
                npmi.append(scores[0])
                cv.append(scores[1])
                by_k.setdefault(k, []).append(scores[0])
        result["total_s"] = time.perf_counter() - started
        result["fit_s"] = fit_s
        result["recommended"] = max(ks, key=lambda k: (statistics.mean(by_k[k]), -k))
    result.update({
        "npmi_median": statistics.median(npmi), "cv_median": statistics.median(cv),
        "npmi_by_k": {k: statistics.mean(v) for k, v in by_k.items()},
        "peak_mb": _peak_mb(resource.RUSAGE_SELF),
        # the stage's fit workers; the loop starts none (any value there is an incidental helper
        # process forked from the case, e.g. by a library probing the system)
        "child_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN) if case.startswith("stage/")
        else float("nan")})
    queue.put(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="16,32,49", help="numbers of reports, comma-separated")
    parser.add_argument("--k", default="2..8")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per k (42, 43, ...)")
    parser.add_argument("--unit", default="document", choices=("document", "paragraph"))
    parser.add_argument("--workers", type=int, default=2, help="fit processes of the stage")
    parser.add_argument("--passes", type=int, default=10, help="gensim passes (both sides)")
    parser.add_argument("--iterations", type=int, default=200,
                        help="gensim iterations / tomotopy Gibbs sweeps")
    parser.add_argument("--cases", default="stage/tomotopy,loop/gensim",
                        help="of stage/tomotopy, stage/gensim, loop/gensim")
    parser.add_argument("--workdir", help="wenmai work folder to take segment/tokens from "
                        "(default: segment with jieba here)")
    parser.add_argument("--json", help="append one JSON line per case to this file")
    args = parser.parse_args()
    if not CORPUS.exists() and not args.workdir:
        sys.exit(f"{CORPUS} is absent; this benchmark needs the shared corpora")
    ctx = multiprocessing.get_context("spawn")
    print(f"unit={args.unit} k={args.k} seeds={args.seeds} workers={args.workers} "
          f"source={args.workdir or 'jieba'}")
    print("case            load1 units  tokens  total_s   fit_s  peak_MB child_MB  "
          "npmi_med  cv_med  rec")
    for size in (int(s) for s in args.sizes.split(",")):
        for case in args.cases.split(","):
            queue = ctx.Queue()
            proc = ctx.Process(target=run_case, args=(case, args, size, queue))
            proc.start()
            r = queue.get()
            proc.join()
            print(f"{r['case']:<15} {r['load1']:>5.2f} {r['units']:>5} {r['tokens']:>7} "
                  f"{r['total_s']:>8.1f} {r['fit_s']:>7.1f} {r['peak_mb']:>8.0f} "
                  f"{r['child_peak_mb']:>8.0f}  {r['npmi_median']:>8.4f} {r['cv_median']:>7.4f} "
                  f"{r['recommended']:>4}", flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
