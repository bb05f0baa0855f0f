"""Output tables of the topics stage, built from the fits (see ``stage.py``)."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core.errors import BadInputFile
from pipelines.core.script import has_han
from pipelines.topics.align import alignment_rows, relevance_labels
from pipelines.topics.corpus import Corpus, Fit
from pipelines.topics.effects import MIN_DOCS, group_effects, year_effects
from pipelines.topics.metrics import (
    arun_2010,
    cao_juan_2009,
    deveaud_2014,
    matched_stability,
    top_words,
    topic_diversity,
)
from pipelines.topics.select import choose_k

__all__ = ["SCHEMAS", "Units", "Sampled", "build_tables", "read_labels", "relabel", "regroup",
           "LABELLED"]

log = logging.getLogger("wenmai")

_MK = [("method", pa.string()), ("k", pa.int32())]
SCHEMAS = {
    "model_selection": pa.schema(_MK + [
        ("seed", pa.int64()), ("coherence_cv", pa.float64()), ("coherence_npmi", pa.float64()),
        ("coherence_umass", pa.float64()), ("perplexity", pa.float64()),
        ("topic_diversity", pa.float64()), ("seconds", pa.float64()), ("recommended", pa.bool_()),
        ("backend", pa.string()), ("unit", pa.string()), ("stability", pa.float64()),
        ("griffiths2004", pa.float64()), ("caojuan2009", pa.float64()),
        ("arun2010", pa.float64()), ("deveaud2014", pa.float64()), ("loglik", pa.float64()),
        ("heldout_units", pa.int64()), ("fit_units", pa.int64()), ("corpus_units", pa.int64())]),
    "recommendation": pa.schema(_MK + [("reason", pa.string()), ("closest_k", pa.int32()),
                                       ("edge", pa.bool_()), ("language_split", pa.string())]),
    "topic_terms": pa.schema(_MK + [
        ("topic", pa.int32()), ("rank", pa.int32()), ("term", pa.string()),
        ("weight", pa.float64()), ("label", pa.string()), ("topic_lang", pa.string()),
        ("auto_label", pa.string())]),
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
    "topic_effects": pa.schema(_MK + [
        ("covariate", pa.string()), ("value", pa.string()), ("x", pa.float64()),
        ("topic", pa.int32()), ("share", pa.float64()), ("lower", pa.float64()),
        ("upper", pa.float64()), ("n_docs", pa.int64()), ("label", pa.string())]),
    "topic_alignment": pa.schema([
        ("method", pa.string()), ("k_from", pa.int32()), ("topic_from", pa.int32()),
        ("k_to", pa.int32()), ("topic_to", pa.int32()), ("similarity", pa.float64()),
        ("parent", pa.bool_()), ("share_from", pa.float64()), ("share_to", pa.float64()),
        ("label_from", pa.string()), ("label_to", pa.string())]),
}
LANG_SHARE = 0.9
REPRESENTATIVE = 5


@dataclass
class Units:
    """The units of the corpus: parallel lists of doc_id and para_id (None per document)."""

    doc_ids: list[str] = field(default_factory=list)
    para_ids: list[int | None] = field(default_factory=list)


@dataclass
class Sampled:
    """Model selection ran on a sample: its corpus, and how to fit the final model.

    Attributes:
        selection: The sampled units' corpus (every fit of the k sweep saw only these).
        size: Number of sampled units.
        final: ``final(k)`` fits the first seed's model of ``k`` on every unit.
    """

    selection: Corpus
    size: int
    final: Callable[[int], Fit]


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


def _stability(fits: Sequence[Fit], tops: list[list[list[str]]]
               ) -> tuple[dict[int, float], dict[int, list[float]]]:
    """Per fit: mean matched stability with the other seeds of its k; per k: every pair."""
    by_k: dict[int, list[int]] = {}
    for i, f in enumerate(fits):
        by_k.setdefault(f.k, []).append(i)
    per_fit: dict[int, list[float]] = {}
    pairs: dict[int, list[float]] = {}
    for k, idx in by_k.items():
        pairs[k] = []
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                value = matched_stability([t[:20] for t in tops[idx[a]]],
                                          [t[:20] for t in tops[idx[b]]])
                pairs[k].append(value)
                per_fit.setdefault(idx[a], []).append(value)
                per_fit.setdefault(idx[b], []).append(value)
    return {i: float(np.mean(v)) for i, v in per_fit.items()}, pairs


def topic_language(topic_term: np.ndarray, vocab: Sequence[str]) -> list[str]:
    """``zh``, ``en`` or ``mixed`` per topic: the script of at least 90 % of its top-20 weight."""
    han = np.array([has_han(w) for w in vocab])
    out = []
    for row in topic_term:
        top = np.argsort(-row, kind="stable")[:20]
        share = row[top][han[top]].sum() / max(row[top].sum(), 1e-300)
        out.append("zh" if share >= LANG_SHARE else "en" if share <= 1 - LANG_SHARE
                   else "mixed")
    return out


def language_split(langs: list[str], corpus: Corpus) -> str | None:
    """A sentence when the model's topics split by language rather than by content.

    That is the case when at least one topic is Chinese-only and one English-only, and at
    least 5 % of the units are mostly Chinese (more than half of their kept tokens have a Han
    character) and 5 % mostly English.
    """
    if "zh" not in langs or "en" not in langs:
        return None
    han = np.array([has_han(w) for w in corpus.vocab], dtype=bool)
    lengths = corpus.bags.lengths()
    unit_of = np.repeat(np.arange(len(lengths)), lengths)
    han_tokens = np.bincount(unit_of[han[corpus.bags.ids]], minlength=len(lengths))
    zh_units = int(np.count_nonzero((lengths > 0) & (han_tokens > lengths / 2)))
    en_units = len(lengths) - zh_units
    if min(zh_units, en_units) < 0.05 * len(lengths):
        return None
    zh = [str(t) for t, g in enumerate(langs) if g == "zh"]
    en = [str(t) for t, g in enumerate(langs) if g == "en"]
    return (f"the topics split by language: topic(s) {', '.join(zh)} are Chinese-only and "
            f"{', '.join(en)} English-only, and {zh_units} units are mostly Chinese, {en_units} "
            "mostly English; model one language (--lang zh or --lang en) or map English terms "
            "to Chinese concepts first (wenmai segment --synonyms builtin:bilingual_concepts)")


def build_tables(fits: Sequence[Fit], corpus: Corpus, units: Units, documents: pa.Table,
                 params: Any, sampled: Sampled | None = None, describe: Any = None
                 ) -> dict[str, pa.Table | bytes | str]:
    """Score the fits, recommend k and build every output of the stage.

    With ``sampled`` the fits are the sample's: they give ``model_selection`` and the choice;
    the final model of the chosen (or closest) k is then fitted on every unit, and it alone
    describes the units (``doc_topics``, trends, effects, representative units, the model file
    and LDAvis page); ``topic_terms`` and ``topic_alignment`` show the sample's first-seed
    model for every other k.

    With ``describe`` (``--fit-on sample``) ``corpus`` and the fits are the sample's and the
    first seed's model of the chosen k is the final model; ``describe(model, labels)`` reads
    every unit of the corpus again and gives the shares of every unit
    (:class:`pipelines.topics.inferred.Described`): ``doc_topics``, trends, group shares,
    effects and representative units come from it, the LDAvis page from the sample.
    """
    method = corpus.method
    selection = corpus if sampled is None else sampled.selection
    tops = [top_words(f.topic_term, corpus.vocab, 25) for f in fits]
    first = {f.k: i for i, f in reversed(list(enumerate(fits)))}
    lengths = corpus.bags.lengths().astype(np.float64)
    fit_lengths = selection.bags.lengths().astype(np.float64)
    stability, pairs = _stability(fits, tops)
    npmi_by_k: dict[int, list[float]] = {}
    for f in fits:
        npmi_by_k.setdefault(f.k, []).append(f.scores["c_npmi"])
    choice = choose_k(npmi_by_k, pairs)
    chosen = choice.closest
    reason = choice.reason
    # the first seed's model of each k is the one the tables describe
    firsts = [fits[i] for i in sorted(first.values())]
    if sampled is not None:
        noun = "documents" if params.unit == "document" else "paragraphs"
        reason = (f"model selection ran on a seeded random sample of {sampled.size} of the "
                  f"{len(units.doc_ids)} {noun} (--sample {params.sample}, seed "
                  f"{params.seed}); the k={chosen} model is fitted on all "
                  f"{len(units.doc_ids)}. {reason}")
        log.info("topics: fitting k=%d on all %d %s", chosen, len(units.doc_ids), noun)
        final = sampled.final(chosen)
        firsts = [final if f.k == chosen else f for f in firsts]
    best = next(f for f in firsts if f.k == chosen)
    described_all = None
    langs = {f.k: topic_language(f.topic_term, corpus.vocab) for f in firsts}
    split = language_split(langs[chosen], corpus)
    if choice.k is None:
        log.warning("topics: %s", reason)
    else:
        log.info("topics: recommended %s", reason)
    if split:
        log.warning("topics: k=%d: %s", chosen, split)
    p_w = _term_shares(corpus)
    auto = {f.k: relevance_labels(f.topic_term, p_w, corpus.vocab) for f in firsts}
    given = read_labels(params.labels, chosen) if params.labels else {}

    def label(k: int, t: int) -> str:
        return given.get(t, auto[k][t]) if k == chosen else auto[k][t]

    if describe is not None:
        noun = "documents" if params.unit == "document" else "paragraphs"
        log.info("topics: inferring the topic shares of the units outside the sample with "
                 "the k=%d model", chosen)
        described_all = describe(best, [label(chosen, t) for t in range(chosen)])
        n_fit, n_all = len(corpus.bags), described_all.units
        reason = (f"the model was fitted on a seeded random sample of {n_fit} of the {n_all} "
                  f"{noun} (--fit-on sample, --sample {params.sample}, seed {params.seed}); "
                  f"the topic shares of the other {n_all - n_fit} were inferred by it. "
                  f"{reason}")

    rows = []
    for i, f in enumerate(fits):
        s = f.scores
        rows.append({"method": method, "k": f.k, "seed": f.seed, "coherence_cv": s["c_v"],
                     "coherence_npmi": s["c_npmi"], "coherence_umass": s["u_mass"],
                     "perplexity": f.perplexity, "topic_diversity": topic_diversity(tops[i]),
                     "seconds": f.seconds, "recommended": f.k == choice.k,
                     "backend": corpus.backend if method == "lda" else "sklearn",
                     "unit": params.unit, "stability": stability.get(i),
                     "griffiths2004": f.griffiths2004,
                     "caojuan2009": cao_juan_2009(f.topic_term),
                     "arun2010": arun_2010(f.topic_term, f.doc_topic, fit_lengths),
                     "deveaud2014": deveaud_2014(f.topic_term), "loglik": f.loglik,
                     "heldout_units": f.heldout, "fit_units": len(selection.bags),
                     "corpus_units": len(corpus.bags) if described_all is None
                     else described_all.units})
    out: dict[str, pa.Table | bytes | str] = {
        "model_selection": _table(rows, "model_selection"),
        "recommendation": _table([{"method": method, "k": choice.k, "reason": reason,
                                   "closest_k": chosen, "edge": choice.edge,
                                   "language_split": split}], "recommendation"),
    }
    # only a model fitted on every unit describes the units
    described = firsts if sampled is None and describe is None else [best]
    doc_weights = ([_doc_weights(f, units, lengths) for f in described]
                   if described_all is None else [described_all.weights])
    out["topic_terms"] = _table([r for f in firsts
                                 for r in _terms(f, corpus, params, label, langs[f.k],
                                                 auto[f.k])],
                                "topic_terms")
    if described_all is None:
        out["doc_topics"] = pa.concat_tables([_doc_topics(f, units, method, label)
                                              for f in described])
        out["representative_docs"] = _table(
            [r for f in described for r in _representative(f, units, documents, method, label)],
            "representative_docs")
    else:
        out["doc_topics"] = described_all.doc_topics
        out["representative_docs"] = _table(
            _top_rows(best.k, described_all.top, documents, method, label),
            "representative_docs")
    years = dict(zip(documents.column("doc_id").to_pylist(),
                     documents.column("year").to_pylist(), strict=True))
    out["topic_trends"] = _table(
        [r for f, w in zip(described, doc_weights, strict=True)
         for r in _shares(f.k, w, years, method, label, "year")], "topic_trends")
    groups: list[dict] = []
    values: dict[str, Any] = {}
    if params.by:
        values = dict(zip(documents.column("doc_id").to_pylist(),
                          documents.column(params.by).to_pylist(), strict=True))
        values = {d: None if v is None else str(v) for d, v in values.items()}
        for f, w in zip(described, doc_weights, strict=True):
            for r in _shares(f.k, w, values, method, label, "group"):
                groups.append({**r, "by": params.by})
    out["topic_by_group"] = _table(groups, "topic_by_group")
    effects = []
    for f, w in zip(described, doc_weights, strict=True):
        effects.extend(_effects(f.k, w, years, values, params, method, label))
    out["topic_effects"] = _table(effects, "topic_effects")
    prevalence = {f.k: (w @ f.doc_topic) / w.sum() for f in firsts
                  for w in [lengths if sampled is None or f is best else fit_lengths]}
    if described_all is not None:
        prevalence[chosen] = described_all.prevalence
    aligned = alignment_rows([(f.k, f.topic_term, prevalence[f.k]) for f in firsts])
    out["topic_alignment"] = _table(
        [{**r, "method": method, "label_from": label(r["k_from"], r["topic_from"]),
          "label_to": label(r["k_to"], r["topic_to"])} for r in aligned], "topic_alignment")
    ext = "bin" if method == "lda" else "pkl"
    out[f"{method}_k{chosen}.{ext}"] = best.model
    from pipelines.topics.ldavis import ldavis_html

    out[f"ldavis_k{chosen}.html"] = ldavis_html(best, corpus, lengths, label, seed=params.seed)
    return out


def _term_shares(corpus: Corpus) -> np.ndarray:
    freq = np.bincount(corpus.bags.ids, minlength=len(corpus.vocab)).astype(np.float64)
    return freq / max(freq.sum(), 1.0)


def _effects(k: int, weights: dict[str, np.ndarray], years: dict[str, Any],
             groups: dict[str, Any], params: Any, method: str, label) -> list[dict]:
    """``topic_effects`` rows of one model: by year (when documents have years) and by group."""
    rows: list[dict] = []
    dated = [(years[d], w) for d, w in weights.items() if years.get(d) is not None]
    if len({y for y, _ in dated}) >= 2:
        grid, est, lo, hi = year_effects([y for y, _ in dated], np.array([w for _, w in dated]),
                                         df=params.effects_df, seed=params.seed)
        per_year = Counter(int(y) for y, _ in dated)  # 0: a year without units (a gap)
        rows.extend({"method": method, "k": k, "covariate": "year", "value": str(int(g)),
                     "x": float(g), "topic": t, "share": float(est[i, t]),
                     "lower": float(lo[i, t]), "upper": float(hi[i, t]),
                     "n_docs": per_year.get(int(g), 0),
                     "label": label(k, t)} for i, g in enumerate(grid) for t in range(k))
        gaps = sum(1 for g in grid if int(g) not in per_year)
        if len(dated) < MIN_DOCS * min(params.effects_df, len(per_year)):
            log.warning("topics: topic_effects by year of k=%d rests on %d dated units for %d "
                        "spline functions; read its curve with care", k, len(dated),
                        min(params.effects_df, len(per_year)))
        if gaps:
            log.info("topics: topic_effects by year: %d of %d years have no units; the curve "
                     "there is interpolated (figures mark those years)", gaps, len(grid))
    grouped = [(groups[d], w) for d, w in weights.items() if groups.get(d) is not None]
    if params.by and grouped:
        names, est, lo, hi, n = group_effects([g for g, _ in grouped],
                                              np.array([w for _, w in grouped]), seed=params.seed)
        few = [f"{name} ({int(c)})" for name, c in zip(names, n, strict=True) if c < MIN_DOCS]
        if few:
            log.warning("topics: topic_effects by %s: %d group(s) with fewer than %d units, "
                        "their shares and bands are unstable: %s", params.by, len(few),
                        MIN_DOCS, ", ".join(few[:10]) + (" ..." if len(few) > 10 else ""))
        rows.extend({"method": method, "k": k, "covariate": params.by, "value": name, "x": None,
                     "topic": t, "share": float(est[i, t]), "lower": float(lo[i, t]),
                     "upper": float(hi[i, t]), "n_docs": int(n[i]), "label": label(k, t)}
                    for i, name in enumerate(names) for t in range(k))
    return rows


def regroup(outputs: dict[str, Any], documents: pa.Table, params: Any) -> dict[str, Any]:
    """Rebuild ``topic_by_group`` and ``topic_effects`` of finished outputs for ``params.by``.

    The documents' topic weights are read back from ``doc_topics`` (one unit per document:
    the weights a full run uses, bit for bit), so a new grouping column needs no model
    refitted; the result equals what a full run with this ``by`` writes. Only for
    ``unit=document`` (a paragraph's token count, which weighs it in its document, is not
    in the outputs).

    Args:
        outputs: The stage's outputs as written.
        documents: ``doc_id``, ``year`` and the ``by`` column of the documents.
        params: The parameters; ``by``, ``effects_df`` and ``seed`` are read.
    """
    topics = outputs["doc_topics"]
    labels = {(r["k"], r["topic"]): r["label"]
              for r in outputs["topic_terms"].select(["k", "topic", "label"]).to_pylist()}

    def label(k: int, t: int) -> str:
        return labels[(k, t)]

    years = dict(zip(documents.column("doc_id").to_pylist(),
                     documents.column("year").to_pylist(), strict=True))
    values: dict[str, Any] = {}
    if params.by:
        values = {d: None if v is None else str(v) for d, v in zip(
            documents.column("doc_id").to_pylist(), documents.column(params.by).to_pylist(),
            strict=True)}
    groups: list[dict] = []
    effects: list[dict] = []
    ks = topics.column("k").to_numpy(zero_copy_only=False)
    for k in dict.fromkeys(ks.tolist()):
        rows = topics.filter(pa.array(ks == k))
        method = rows.column("method")[0].as_py()
        docs = rows.column("doc_id").to_pylist()[::k]
        theta = rows.column("weight").to_numpy().reshape(len(docs), k)
        weights = dict(zip(docs, theta, strict=True))
        if params.by:
            groups.extend({**r, "by": params.by}
                          for r in _shares(k, weights, values, method, label, "group"))
        effects.extend(_effects(k, weights, years, values, params, method, label))
    return {**outputs, "topic_by_group": _table(groups, "topic_by_group"),
            "topic_effects": _table(effects, "topic_effects")}


LABELLED = ("topic_terms", "doc_topics", "topic_trends", "representative_docs",
            "topic_by_group", "topic_effects")


def relabel(outputs: dict[str, Any], params: Any) -> dict[str, Any]:
    """Apply the labels file (or the automatic labels when there is none) to finished outputs.

    The labels name the topics of the recommended (or, with no clear k, the closest) k; every
    other value is left as it is, so changing the labels never refits a model. The result
    equals what a full run with these labels writes.

    Args:
        outputs: The stage's outputs as written (tables and files by output name).
        params: The parameters; only ``labels`` is read.

    Returns:
        The outputs with new label columns and LDAvis page.
    """
    from pipelines.topics.ldavis import ldavis_data, render_ldavis

    k = outputs["recommendation"].column("closest_k")[0].as_py()
    terms = outputs["topic_terms"]
    auto = {r["topic"]: r["auto_label"] for r in terms.select(["k", "topic", "auto_label"])
            .to_pylist() if r["k"] == k}
    given = read_labels(params.labels, k) if params.labels else {}
    names = {t: given.get(t, a) for t, a in auto.items()}
    out = dict(outputs)
    for name in LABELLED:
        # a dataset output (doc_topics with --fit-on sample) comes as its parts, "name/part-N"
        parts = [name] if name in outputs else [n for n in outputs if n.startswith(name + "/")]
        for part in parts:
            out[part] = _with_labels(outputs[part], "k", "topic", "label", k, names)
    align = _with_labels(outputs["topic_alignment"], "k_from", "topic_from", "label_from", k,
                         names)
    out["topic_alignment"] = _with_labels(align, "k_to", "topic_to", "label_to", k, names)
    page = f"ldavis_k{k}.html"
    data, title = ldavis_data(outputs[page] if isinstance(outputs[page], str)
                              else outputs[page].decode("utf-8"))
    for topic in data["topics"]:
        topic["label"] = names[topic["topic"]]
    out[page] = render_ldavis(data, title)
    return out


def _with_labels(table: pa.Table, k_col: str, t_col: str, label_col: str, k: int,
                 names: dict[int, str]) -> pa.Table:
    if not table.num_rows:
        return table
    ks = table.column(k_col).to_numpy(zero_copy_only=False)
    ts = table.column(t_col).to_numpy(zero_copy_only=False)
    labels = table.column(label_col).to_pylist()
    for i in np.flatnonzero(ks == k):
        labels[i] = names[int(ts[i])]
    index = table.column_names.index(label_col)
    return table.set_column(index, table.schema.field(label_col), pa.array(labels, pa.string()))


def _table(rows: list[dict], name: str) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()


def _terms(f: Fit, corpus: Corpus, params: Any, label, langs: list[str], auto: list[str]
           ) -> list[dict]:
    n = min(params.top_terms, len(corpus.vocab))
    order = np.argsort(-f.topic_term, axis=1, kind="stable")[:, :n]
    return [{"method": corpus.method, "k": f.k, "topic": t, "rank": r + 1,
             "term": corpus.vocab[j], "weight": float(f.topic_term[t, j]), "label": label(f.k, t),
             "topic_lang": langs[t], "auto_label": auto[t]}
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


def _top_rows(k: int, top: list[list[tuple]], documents: pa.Table, method: str, label
              ) -> list[dict]:
    """``representative_docs`` rows from the running top units of each topic (``--fit-on
    sample``): the same rows ``_representative`` gives from a whole θ."""
    titles = dict(zip(documents.column("doc_id").to_pylist(),
                      documents.column("title").to_pylist(), strict=True))
    return [{"method": method, "k": k, "topic": t, "rank": r + 1, "doc_id": doc,
             "para_id": para, "title": titles.get(doc), "weight": share,
             "label": label(k, t)}
            for t in range(k) for r, (share, _, doc, para) in enumerate(top[t])]


def _doc_weights(f: Fit, units: Units, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """Per-document topic weights; paragraphs are averaged weighted by their kept tokens."""
    sums: dict[str, np.ndarray] = {}
    mass: dict[str, float] = {}
    single: dict[str, int] = {}  # a document of one unit keeps that unit's weights exactly
    for i, doc in enumerate(units.doc_ids):
        single[doc] = -1 if doc in single else i
        sums[doc] = sums.get(doc, 0.0) + f.doc_topic[i] * lengths[i]
        mass[doc] = mass.get(doc, 0.0) + lengths[i]
    return {d: f.doc_topic[single[d]].astype(np.float64) if single[d] >= 0
            else sums[d] / mass[d] for d in sums}


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
