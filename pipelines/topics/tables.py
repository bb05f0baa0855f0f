"""Output tables of the topics stage, built from the fits (see ``pipelines/topics.py``)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core.errors import BadInputFile
from pipelines.topics.corpus import Corpus, Fit
from pipelines.topics.metrics import (
    arun_2010,
    cao_juan_2009,
    coherence,
    deveaud_2014,
    jaccard_stability,
    recommend_k,
    top_words,
    topic_diversity,
)

__all__ = ["SCHEMAS", "Units", "build_tables", "read_labels"]

log = logging.getLogger("wenmai")

_MK = [("method", pa.string()), ("k", pa.int32())]
SCHEMAS = {
    "model_selection": pa.schema(_MK + [
        ("seed", pa.int64()), ("coherence_cv", pa.float64()), ("coherence_npmi", pa.float64()),
        ("coherence_umass", pa.float64()), ("perplexity", pa.float64()),
        ("topic_diversity", pa.float64()), ("seconds", pa.float64()), ("recommended", pa.bool_()),
        ("backend", pa.string()), ("unit", pa.string()), ("stability", pa.float64()),
        ("griffiths2004", pa.float64()), ("caojuan2009", pa.float64()),
        ("arun2010", pa.float64()), ("deveaud2014", pa.float64())]),
    "recommendation": pa.schema(_MK + [("reason", pa.string())]),
    "topic_terms": pa.schema(_MK + [
        ("topic", pa.int32()), ("rank", pa.int32()), ("term", pa.string()),
        ("weight", pa.float64()), ("label", pa.string())]),
    "doc_topics": pa.schema(_MK + [
        ("doc_id", pa.string()), ("para_id", pa.int32()), ("topic", pa.int32()),
        ("weight", pa.float64()), ("label", pa.string())]),
    "topic_trends": pa.schema(_MK + [
        ("year", pa.int32()), ("topic", pa.int32()), ("share", pa.float64()),
        ("n_docs", pa.int64()), ("label", pa.string())]),
    "representative_docs": pa.schema(_MK + [
        ("topic", pa.int32()), ("rank", pa.int32()), ("doc_id", pa.string()),
        ("para_id", pa.int32()), ("title", pa.string()), ("weight", pa.float64()),
        ("label", pa.string())]),
    "topic_by_group": pa.schema(_MK + [
        ("by", pa.string()), ("group", pa.string()), ("topic", pa.int32()),
        ("share", pa.float64()), ("n_docs", pa.int64()), ("label", pa.string())]),
}
REPRESENTATIVE = 5


@dataclass
class Units:
    """The bags of words: parallel lists of doc_id, para_id (None per document) and tokens."""

    doc_ids: list[str] = field(default_factory=list)
    para_ids: list[int | None] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)

    def filtered(self, known: set[str]) -> Units:
        """The units that keep at least one term of ``known`` (their tokens stay whole)."""
        keep = [i for i, words in enumerate(self.tokens) if any(w in known for w in words)]
        return Units([self.doc_ids[i] for i in keep], [self.para_ids[i] for i in keep],
                     [self.tokens[i] for i in keep])


def read_labels(path: str | Path, k: int) -> dict[int, str]:
    """Read a ``topic<TAB>label`` file (blank lines and ``#`` comments skipped).

    Raises:
        BadInputFile: a line is not ``topic<TAB>label`` or names a topic outside 0..k-1.
    """
    labels: dict[int, str] = {}
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        topic, sep, label = line.partition("\t")
        if not sep or not topic.strip().isdigit() or not label.strip():
            raise BadInputFile(f"topics: labels file {path} line {n} is not `topic<TAB>label`; "
                               "write e.g. `0\tEducation`")
        if int(topic) >= k:
            raise BadInputFile(f"topics: labels file {path} line {n} names topic {int(topic)}, "
                               f"but the recommended k={k} has topics 0..{k - 1}")
        labels[int(topic)] = label.strip()
    return labels


def build_tables(fits: Sequence[Fit], corpus: Corpus, units: Units, documents: pa.Table,
                 params: Any) -> dict[str, pa.Table | bytes | str]:
    """Score the fits, recommend k and build every output of the stage."""
    method = corpus.method
    tops = [top_words(f.topic_term, corpus.vocab, 25) for f in fits]
    scores = coherence(units.tokens, [[t[:10] for t in top] for top in tops])
    first = {f.k: i for i, f in reversed(list(enumerate(fits)))}
    lengths = np.array([len(u) for u in corpus.units], dtype=np.float64)
    cv_by_k: dict[int, list[float]] = {}
    for f, s in zip(fits, scores, strict=True):
        cv_by_k.setdefault(f.k, []).append(s["c_v"])
    best_k, reason = recommend_k(cv_by_k)
    log.info("topics: recommended %s", reason)
    labels = read_labels(params.labels, best_k) if params.labels else {}

    def label(k: int, t: int) -> str:
        return labels.get(t, f"Topic {t}") if k == best_k else f"Topic {t}"

    stability: dict[int, float] = {}
    for k, ref in first.items():
        same = [j for j, g in enumerate(fits) if g.k == k and j != ref]
        for j in same:
            stability[j] = jaccard_stability([t[:20] for t in tops[ref]],
                                             [t[:20] for t in tops[j]])
        if same:
            stability[ref] = float(np.mean([stability[j] for j in same]))
    rows = []
    for i, (f, s) in enumerate(zip(fits, scores, strict=True)):
        rows.append({"method": method, "k": f.k, "seed": f.seed, "coherence_cv": s["c_v"],
                     "coherence_npmi": s["c_npmi"], "coherence_umass": s["u_mass"],
                     "perplexity": f.perplexity, "topic_diversity": topic_diversity(tops[i]),
                     "seconds": f.seconds, "recommended": f.k == best_k,
                     "backend": corpus.backend if method == "lda" else "sklearn",
                     "unit": params.unit, "stability": stability.get(i), "griffiths2004": f.loglik,
                     "caojuan2009": cao_juan_2009(f.topic_term),
                     "arun2010": arun_2010(f.topic_term, f.doc_topic, lengths),
                     "deveaud2014": deveaud_2014(f.topic_term)})
    out: dict[str, pa.Table | bytes | str] = {
        "model_selection": _table(rows, "model_selection"),
        "recommendation": _table([{"method": method, "k": best_k, "reason": reason}],
                                 "recommendation"),
    }
    firsts = [fits[i] for i in sorted(first.values())]
    doc_weights = [_doc_weights(f, units, lengths) for f in firsts]
    out["topic_terms"] = _table([r for f in firsts for r in _terms(f, corpus, params, label)],
                                "topic_terms")
    out["doc_topics"] = pa.concat_tables([_doc_topics(f, units, method, label) for f in firsts])
    out["representative_docs"] = _table(
        [r for f in firsts for r in _representative(f, units, documents, method, label)],
        "representative_docs")
    years = dict(zip(documents.column("doc_id").to_pylist(),
                     documents.column("year").to_pylist(), strict=True))
    out["topic_trends"] = _table(
        [r for f, w in zip(firsts, doc_weights, strict=True)
         for r in _shares(f.k, w, years, method, label, "year")], "topic_trends")
    groups: list[dict] = []
    if params.by:
        values = dict(zip(documents.column("doc_id").to_pylist(),
                          documents.column(params.by).to_pylist(), strict=True))
        values = {d: None if v is None else str(v) for d, v in values.items()}
        for f, w in zip(firsts, doc_weights, strict=True):
            for r in _shares(f.k, w, values, method, label, "group"):
                groups.append({**r, "by": params.by})
    out["topic_by_group"] = _table(groups, "topic_by_group")
    best = fits[first[best_k]]
    ext = "bin" if method == "lda" else "pkl"
    out[f"{method}_k{best_k}.{ext}"] = best.model
    from pipelines.topics.ldavis import ldavis_html

    out[f"ldavis_k{best_k}.html"] = ldavis_html(best, corpus, lengths, label, seed=params.seed)
    return out


def _table(rows: list[dict], name: str) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()


def _terms(f: Fit, corpus: Corpus, params: Any, label) -> list[dict]:
    n = min(params.top_terms, len(corpus.vocab))
    order = np.argsort(-f.topic_term, axis=1, kind="stable")[:, :n]
    return [{"method": corpus.method, "k": f.k, "topic": t, "rank": r + 1,
             "term": corpus.vocab[j], "weight": float(f.topic_term[t, j]), "label": label(f.k, t)}
            for t in range(f.k) for r, j in enumerate(order[t])]


def _doc_topics(f: Fit, units: Units, method: str, label) -> pa.Table:
    """Long table of one fit's unit-topic weights, built column-wise (it is the largest table)."""
    n, k = f.doc_topic.shape
    labels = [label(f.k, t) for t in range(k)]
    return pa.table({
        "method": pa.array([method] * (n * k), pa.string()),
        "k": pa.array(np.full(n * k, f.k, dtype=np.int32)),
        "doc_id": pa.array(np.repeat(np.array(units.doc_ids, dtype=object), k), pa.string()),
        "para_id": pa.array(np.repeat(np.array(units.para_ids, dtype=object), k), pa.int32()),
        "topic": pa.array(np.tile(np.arange(k, dtype=np.int32), n)),
        "weight": pa.array(f.doc_topic.astype(np.float64).ravel()),
        "label": pa.array(labels * n, pa.string()),
    }, schema=SCHEMAS["doc_topics"])


def _representative(f: Fit, units: Units, documents: pa.Table, method: str, label
                    ) -> list[dict]:
    titles = dict(zip(documents.column("doc_id").to_pylist(),
                      documents.column("title").to_pylist(), strict=True))
    rows = []
    for t in range(f.k):
        order = np.argsort(-f.doc_topic[:, t], kind="stable")[:REPRESENTATIVE]
        rows.extend({"method": method, "k": f.k, "topic": t, "rank": r + 1,
                     "doc_id": units.doc_ids[i], "para_id": units.para_ids[i],
                     "title": titles.get(units.doc_ids[i]), "weight": float(f.doc_topic[i, t]),
                     "label": label(f.k, t)} for r, i in enumerate(order))
    return rows


def _doc_weights(f: Fit, units: Units, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """Per-document topic weights; paragraphs are averaged weighted by their kept tokens."""
    sums: dict[str, np.ndarray] = {}
    mass: dict[str, float] = {}
    for i, doc in enumerate(units.doc_ids):
        sums[doc] = sums.get(doc, 0.0) + f.doc_topic[i] * lengths[i]
        mass[doc] = mass.get(doc, 0.0) + lengths[i]
    return {d: sums[d] / mass[d] for d in sums}


def _shares(k: int, weights: dict[str, np.ndarray], key_of: dict[str, Any], method: str,
            label, column: str) -> list[dict]:
    """Mean document-topic weight per value of ``key_of`` (documents without a value skipped)."""
    groups: dict[Any, list[np.ndarray]] = {}
    for doc, w in weights.items():
        value = key_of.get(doc)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            groups.setdefault(value, []).append(w)
    return [{"method": method, "k": k, column: g, "topic": t,
             "share": float(np.mean([w[t] for w in groups[g]])), "n_docs": len(groups[g]),
             "label": label(k, t)}
            for g in sorted(groups) for t in range(k)]
