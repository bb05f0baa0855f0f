"""Benchmark the topics stage: fit time and peak memory per k, tomotopy vs gensim vs a plain loop.

Corpus: the Chinese government work reports 1954-2017 (``/work/shared/corpora/gov-reports-1954-
2017/govReports``), segmented with jieba here (stopwords from the corpus's list, single
characters dropped), one unit per report. For each corpus size (first N reports by year) it runs,
each in a fresh process so peak memory is that run's alone:

* ``stage/tomotopy``: ``topics.compute`` with the tomotopy backend (fits + all metrics + tables);
* ``stage/gensim``: the same with the gensim backend;
* ``loop/gensim``: a plain loop of ``gensim.models.LdaModel`` fits, one per k, plus its c_v,
  the way a researcher's notebook would do it (the baseline).

Usage::

    .venv/bin/python bench/bench_topics.py --sizes 16,32,49 --k 2..8
    .venv/bin/python bench/bench_topics.py --sizes 16,32,49 --k 2..8 --unit paragraph
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = Path("/work/shared/corpora/gov-reports-1954-2017")


def load_corpus(limit: int):
    """Segment the first ``limit`` reports into (tokens, documents) tables."""
    import jieba
    import pyarrow as pa

    stop = set((CORPUS / "ChineseStopWords.txt").read_text(encoding="utf-8").split())
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    rows, docs = [], []
    files = sorted((CORPUS / "govReports").glob("*.txt"))[:limit]
    for path in files:
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
    tokens = pa.Table.from_pylist(rows, schema=pa.schema([
        ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
        ("tokens", pa.list_(pa.string())), ("pos", pa.list_(pa.string())),
        ("lang", pa.string())]))
    documents = pa.Table.from_pylist(docs, schema=pa.schema([
        ("doc_id", pa.string()), ("title", pa.string()), ("year", pa.int32())]))
    return tokens, documents


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case: str, size: int, k: str, unit: str, queue) -> None:
    """One measurement in its own process; puts a result dict on ``queue``."""
    import logging

    logging.getLogger("gensim").setLevel(logging.WARNING)
    from pipelines import topics

    tokens, documents = load_corpus(size)
    base = _rss_mb()
    started = time.perf_counter()
    per_k: dict[int, float] = {}
    if case.startswith("stage/"):
        params = topics.Params(k=k, backend=case.split("/")[1], workers=1, unit=unit)
        out = topics.compute({"segment/tokens": tokens, "ingest/documents": documents}, params)
        ms = out["model_selection"].to_pylist()
        per_k = {r["k"]: r["seconds"] for r in ms}
        rec = out["recommendation"].column("k")[0].as_py()
    else:
        from gensim.corpora import Dictionary
        from gensim.models import CoherenceModel, LdaModel

        texts = {}
        keys = zip(tokens.column("doc_id").to_pylist(), tokens.column("para_id").to_pylist(),
                   strict=True)
        for (d, p), t in zip(keys, tokens.column("tokens").to_pylist(), strict=True):
            texts.setdefault((d, p) if unit == "paragraph" else d, []).extend(t)
        texts = list(texts.values())
        dictionary = Dictionary(texts)
        dictionary.filter_extremes(no_below=2, no_above=0.5, keep_n=10000)
        bows = [dictionary.doc2bow(t) for t in texts]
        best = None
        for kk in topics.parse_k(k):
            t0 = time.perf_counter()
            model = LdaModel(bows, id2word=dictionary, num_topics=kk, random_state=42, passes=10,
                             iterations=200, eval_every=None)
            cv = CoherenceModel(model=model, texts=texts, dictionary=dictionary, coherence="c_v",
                                topn=10, processes=1).get_coherence()
            per_k[kk] = time.perf_counter() - t0
            best = max(best or (cv, kk), (cv, kk))
        rec = best[1]
    n_units = (documents.num_rows if unit == "document"
               else len(set(zip(tokens.column("doc_id").to_pylist(),
                                tokens.column("para_id").to_pylist(), strict=True))))
    queue.put({"case": case, "size": size, "units": n_units,
               "tokens": sum(len(t) for t in tokens.column("tokens").to_pylist()),
               "total_s": time.perf_counter() - started, "per_k": per_k,
               "peak_mb": _rss_mb(), "extra_mb": _rss_mb() - base, "recommended": rec})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="16,32,49", help="numbers of reports")
    parser.add_argument("--k", default="2..8")
    parser.add_argument("--unit", default="document", choices=("document", "paragraph"))
    parser.add_argument("--cases", default="stage/tomotopy,stage/gensim,loop/gensim")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is absent; this benchmark needs the shared corpora")
    ctx = multiprocessing.get_context("spawn")
    print(f"unit={args.unit} k={args.k}")
    print("case           units  tokens   total_s  peak_MB  +MB    rec  seconds per k")
    for size in (int(s) for s in args.sizes.split(",")):
        for case in args.cases.split(","):
            queue = ctx.Queue()
            proc = ctx.Process(target=run_case, args=(case, size, args.k, args.unit, queue))
            proc.start()
            r = queue.get()
            proc.join()
            per_k = " ".join(f"{kk}:{s:.2f}" for kk, s in sorted(r["per_k"].items()))
            print(f"{r['case']:<15} {r['units']:>5} {r['tokens']:>7} {r['total_s']:>8.2f} "
                  f"{r['peak_mb']:>8.0f} {r['extra_mb']:>5.0f} {r['recommended']:>5}  {per_k}",
                  flush=True)


if __name__ == "__main__":
    main()
