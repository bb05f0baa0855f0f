"""Topic models over a range of k: model selection, topic terms, document topics, trends.

Reads ``segment/tokens`` (one row per sentence, streamed a batch at a time: the corpus is one
``int32`` per token, see ``build.py``) and ``ingest/documents`` (titles, years,
metadata). Builds one bag of words per unit (a document, or a paragraph with ``unit=paragraph``),
keeps the terms that pass ``min_df``/``max_df`` (and the ``top_n_terms`` most frequent), then fits
LDA (tomotopy by default, gensim as reference) or NMF (scikit-learn, TF-IDF) for every k and seed.

Writes:

* ``model_selection``: one row per (method, k, seed): coherence c_v / c_npmi / u_mass (own
  window counting, see ``coherence.py``), held-out perplexity by document completion, topic
  diversity, stability across seeds (Hungarian-matched top-20 words), the ldatuning metrics
  (Griffiths2004 from the Gibbs chain, tomotopy only), seconds, and ``recommended`` on the rows
  of the recommended k. ``seconds`` is wall time, the one column that differs between runs.
* ``recommendation``: method, k (null when there is no clear k), reason, closest_k, edge,
  language_split (the rule is in ``select.py``; docs/topics.md explains every number).
* ``topic_terms``, ``doc_topics``, ``representative_docs``, ``topic_trends``,
  ``topic_by_group``: for every k tried, from the first seed's model; topics are numbered from 0
  in the model's own order (never renumbered by size). ``label`` is the three most relevant
  terms (LDAvis relevance, λ = 0.6) unless a labels file names the topics of the recommended
  (or closest) k; changing only the labels file relabels the finished outputs (``relabel``).
* ``topic_effects``: expected topic share by year (spline regression) and by ``by`` group, with
  95 % bootstrap intervals; ``topic_alignment``: topics of consecutive ks by cosine similarity.
* ``lda_k<K>.bin`` (tomotopy ``saves()`` bytes, or a pickle of the gensim ``LdaModel``) or
  ``nmf_k<K>.pkl``, and ``ldavis_k<K>.html``, for the recommended (or closest) k only.

With ``fit_on="sample"`` (and ``sample`` N) the vocabulary, every fit and the final model are
the seeded sample's, and the other units' shares are inferred by that model a batch at a time
(``stream.py``, ``inferred.py``): ``doc_topics`` is then a dataset of parts with an
``inferred`` column, and nothing per token of the whole corpus is held.

With ``unit=paragraph`` each (doc_id, para_id) is a unit: ``doc_topics`` and
``representative_docs`` carry ``para_id``; trends and group shares first average a document's
paragraphs, weighted by their kept-token counts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core import store
from pipelines.core.columns import check_column
from pipelines.core.engine import can_fork, map_forked, map_partitions, resolve_workers
from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.core.narrow import Narrowing, narrow
from pipelines.core.params import param
from pipelines.core.script import has_han
from pipelines.core.store import StoredTable, check_schema
from pipelines.core.where import parse
from pipelines.topics.build import CHUNK, encode_batches, vocabulary
from pipelines.topics.corpus import Bags, Corpus, Fit
from pipelines.topics.fit import fit_task
from pipelines.topics.inferred import Described, describe_units
from pipelines.topics.stream import Inferrer, only_units, scan_units, unit_bags
from pipelines.topics.tables import SCHEMAS, Sampled, Units, build_tables, regroup
from pipelines.topics.tables import relabel as relabel_tables

__all__ = ["NAME", "INPUTS", "STREAMED", "OUTPUTS", "SCHEMAS", "RELABEL", "Params", "parse_k",
           "compute", "external_inputs", "relabel"]

NAME = "topics"
INPUTS = ("segment/tokens", "ingest/documents")
#: given as :class:`~pipelines.core.store.StoredTable` by the runner: the tokens are read a
#: batch at a time, the documents only in the columns the tables use
STREAMED = ("segment/tokens", "ingest/documents")
OUTPUTS = ("model_selection", "recommendation", "topic_terms", "doc_topics", "topic_trends",
           "representative_docs", "topic_by_group", "topic_effects", "topic_alignment")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("gensim", "numpy", "scikit-learn", "scipy", "tomotopy")

log = logging.getLogger("wenmai")

#: Parameters whose change only relabels or regroups finished outputs (see ``relabel``): the
#: runner then calls ``relabel`` on the outputs instead of refitting every model.
RELABEL = ("labels", "by")

_TOKENS_SCHEMA = pa.schema([("doc_id", pa.string()), ("para_id", pa.int32()),
                            ("tokens", pa.list_(pa.string()))])
_DOCS_SCHEMA = pa.schema([("doc_id", pa.string()), ("title", pa.string()),
                          ("year", pa.int32())])
_K_RANGE = re.compile(r"^(\d+)\.\.(\d+)(?::(\d+))?$")
BATCH = 65_536  # token rows read at a time
#: kept tokens from which the log points to ``--fit-on sample`` (about 200 MB of Chinese text)
LARGE_TOKENS = 20_000_000
_K_HINT = "write it like 2..8, 2..30:2 (with a step) or 3,5,8"


def parse_k(text: str) -> list[int]:
    """Parse a k specification into a sorted list of distinct topic counts (each at least 2).

    Args:
        text: ``"2..8"`` (inclusive range), ``"2..30:2"`` (range with step) or ``"3,5,8"``.

    Returns:
        The k values, ascending.

    Raises:
        BadParams: the text is not one of these forms, or a k is below 2.

    >>> parse_k("2..8:3"), parse_k("8, 3,5")
    ([2, 5, 8], [3, 5, 8])
    """
    spec = str(text).replace(" ", "")
    match = _K_RANGE.match(spec)
    if match:
        lo, hi, step = int(match[1]), int(match[2]), int(match[3] or 1)
        if step < 1 or hi < lo:
            raise BadParams(f"topics: k={text!r} is an empty range; {_K_HINT}")
        ks = list(range(lo, hi + 1, step))
    elif re.fullmatch(r"\d+(,\d+)*", spec):
        ks = sorted({int(v) for v in spec.split(",")})
    else:
        raise BadParams(f"topics: k={text!r} is not a topic count; {_K_HINT}")
    if ks[0] < 2:
        raise BadParams(f"topics: k={text!r} includes k={ks[0]}; a topic model needs k >= 2, "
                        f"{_K_HINT}")
    return ks


@dataclass(frozen=True)
class Params:
    """Parameters of the topics stage (``[topics]`` in wenmai.toml)."""

    method: str = param("lda", "Topic model: LDA or NMF on TF-IDF.", choices=("lda", "nmf"))
    backend: str = param("tomotopy", "LDA library: tomotopy (fast Gibbs) or gensim (reference).",
                         choices=("tomotopy", "gensim"))
    unit: str = param("document", "What one bag of words is: a document or a paragraph.",
                      choices=("document", "paragraph"))
    k: str = param("2..8", "Topic counts to try: 2..8, 2..30:2 (step) or 3,5,8.")
    seeds: int = param(3, "Number of seeds per k (seed, seed+1, ...); the choice of k weighs "
                       "stability across them (1 = coherence only).", min=1, max=50)
    seed: int = param(42, "First random seed.", min=0)
    iterations: int = param(200, "Gibbs sweeps (tomotopy), inference iterations (gensim) or "
                            "NMF max_iter.", min=1)
    passes: int = param(10, "Passes over the corpus (gensim LDA only).", min=1)
    holdout: float = param(0.1, "Share of units held out for perplexity when there are at least "
                           "20 units (0 = in-sample).", min=0.0, max=0.5)
    min_df: int = param(2, "Keep terms found in at least this many units.", min=1)
    max_df: float = param(0.5, "Keep terms found in at most this share of units.", min=0.0,
                          max=1.0)
    top_n_terms: int = param(10000, "Keep at most this many terms, most frequent first "
                             "(0 = no cap).", min=0)
    top_terms: int = param(20, "Terms listed per topic in topic_terms.", min=1, max=500)
    labels: str | None = param(None, "File of `topic<TAB>label` lines naming the topics of the "
                               "recommended k.", path=True)
    by: str | None = param(None, "Documents column to report topic shares by (topic_by_group, "
                           "topic_effects).")
    lang: str = param("all", "Model only Chinese tokens (zh: tokens with a Han character), only "
                      "the others (en), or all.", choices=("all", "zh", "en"))
    effects_df: int = param(5, "Spline basis functions of topic share by year in topic_effects.",
                            min=1, max=20)
    sample: int = param(0, "Choose k on a seeded random sample of this many units (documents "
                        "or paragraphs, per --unit); the final model of the chosen k is then "
                        "fitted on every unit (0 = choose on every unit).", min=0)
    fit_on: str = param("all", "Units the models are fitted on: all, or the --sample only (the "
                        "final model too; the other units' topic shares are then inferred by "
                        "it, for corpora too large to fit whole).", choices=("all", "sample"))
    where: str | None = param(None, "Model only the documents passing this filter over "
                              "documents columns, e.g. \"year >= 2013\" (docs/subsets.md).")
    stopwords: tuple[str, ...] = param((), "Extra stopword lists (one word per line) for this "
                                       "analysis only; segment/tokens keeps the words.",
                                       path=True)
    pos: tuple[str, ...] = param((), "Model only tokens whose POS tag starts with one of these "
                                 "(e.g. n,v,vn); empty models every token.")
    workers: int = param(0, "Processes fitting models in parallel (0 = every core).", min=0,
                         key=False)

    def __post_init__(self) -> None:
        parse_k(self.k)
        if self.where:
            parse(self.where)
        if self.fit_on == "sample" and not self.sample:
            raise BadParams("topics: --fit-on sample needs a sample size; add --sample N "
                            "(e.g. --sample 20000) or use --fit-on all")


def external_inputs(params: Params) -> list[Path]:
    """The labels file, when given, decides the label columns; the stopword lists the words."""
    return ([Path(params.labels)] if params.labels else []) + [Path(p) for p in params.stopwords]


def relabel(outputs: dict[str, Any], params: Params, *, tables: dict[str, Any] | None = None,
            previous: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The finished outputs with the labels of ``params.labels`` and, when ``by`` changed since
    the run that wrote them (``previous``: its recorded parameters), the group tables of the
    new ``by`` (:func:`~pipelines.topics.tables.regroup`, from ``doc_topics`` and the
    documents in ``tables``). None when the outputs cannot be regrouped (``unit=paragraph``
    or ``--fit-on sample``): the runner then runs the stage whole.

    Raises:
        BadParams: ``by`` is not a documents column.
    """
    if previous is not None and previous.get("by") != params.by:
        if params.unit != "document" or params.fit_on != "all" or tables is None:
            return None
        documents = tables["ingest/documents"]
        if params.by and params.by not in documents.column_names:
            raise BadParams(f"topics: by={params.by!r} is not a column of ingest/documents; "
                            "choose from " + ", ".join(documents.column_names))
        outputs = regroup(outputs, store.read_all(documents, columns=list(dict.fromkeys(
            ["doc_id", "year"] + ([params.by] if params.by else [])))), params)
    return relabel_tables(outputs, params)


def _keeps(lang: str):
    """Token filter of ``--lang``."""
    if lang == "zh":
        return has_han
    if lang == "en":
        return lambda w: not has_han(w)
    return lambda w: True


def compute(tables: dict[str, pa.Table | StoredTable], params: Params
            ) -> dict[str, pa.Table | bytes | str]:
    """Fit every (k, seed), score the models, recommend a k and build the output tables.

    Args:
        tables: ``segment/tokens`` (a table or a :class:`StoredTable`, read a batch at a
            time) and ``ingest/documents`` (a table or a :class:`StoredTable`).
        params: The resolved parameters.

    Returns:
        The tables named in ``OUTPUTS`` plus the model and LDAvis files of the recommended k.

    Raises:
        BadParams: bad k, k too large for the corpus, no term passes the df bounds, or ``by``
            is not a documents column.
        EmptyCorpus: fewer than 3 units have a kept term.
    """
    tables = narrow(tables, NAME, Narrowing(params.where, params.stopwords, params.pos))
    tokens, documents = tables["segment/tokens"], tables["ingest/documents"]
    check_schema(tokens, _TOKENS_SCHEMA, name="segment/tokens")
    check_schema(documents, _DOCS_SCHEMA, name="ingest/documents")
    if params.by:
        check_column(documents, params.by, stage="topics")
    # only the columns the tables use (never the documents' text)
    documents = store.read_all(documents, columns=list(dict.fromkeys(
        ["doc_id", "title", "year"] + ([params.by] if params.by else []))))
    ks = parse_k(params.k)
    if params.fit_on == "sample":
        return _fit_on_sample(tokens, documents, ks, params)
    corpus, units = _corpus(_batches(tokens), params)
    noun = "documents" if params.unit == "document" else "paragraphs"
    total = len(units.doc_ids)
    sample = _sample(total, params)
    chosen_n = total if sample is None else len(sample)
    if ks[-1] >= chosen_n:
        what = f"the {total} {noun}" if sample is None else f"a sample of {chosen_n} {noun}"
        raise BadParams(f"topics: k={ks[-1]} is larger than {what} allow; use --k "
                        f"2..{chosen_n - 1}" + ("" if sample is None else " or a larger --sample"))
    log.info("topics: %d %s, %d terms, k=%s, %d seed(s)%s", total, noun, len(corpus.vocab),
             ",".join(map(str, ks)), params.seeds,
             "" if sample is None else f"; k chosen on a seeded sample of {chosen_n}")
    if len(corpus.bags.ids) >= LARGE_TOKENS:
        log.info("topics: %d kept tokens; with --fit-on all a fit's memory grows with them "
                 "(measured: 2.9 GB for 104 M); --fit-on sample --sample N bounds it "
                 "(docs/topics.md)", len(corpus.bags.ids))
    selection = corpus if sample is None else corpus.subset(sample)
    seeds = [params.seed + i for i in range(params.seeds)]
    # with a sample, the final model is fitted on every unit after the choice: keep none here
    tasks = [(k, s, s == seeds[0] and sample is None) for k in ks for s in seeds]
    fits = _fit_all(tasks, selection, params.workers)
    if sample is None:
        return build_tables(fits, corpus, units, documents, params)
    return build_tables(fits, corpus, units, documents, params,
                        sampled=Sampled(selection, chosen_n, lambda k: fit_task(
                            (k, seeds[0], True), corpus)))


def _fit_all(tasks: list[tuple[int, int, bool]], corpus: Corpus, workers: int) -> list[Fit]:
    n = min(resolve_workers(workers), len(tasks))
    if n > 1 and can_fork():
        # forked workers inherit the corpus built once here; nothing is pickled per fit
        return map_forked(lambda i, _in_worker: fit_task(tasks[i], corpus), len(tasks), n,
                          label="topics", unit="model")
    return map_partitions(fit_task, tasks, corpus, workers=n, label="topics", unit="model")


def _batches(tokens: pa.Table | StoredTable) -> Iterator[pa.RecordBatch]:
    """The token table a batch at a time (only the columns the corpus needs)."""
    yield from store.iter_batches(tokens, columns=["doc_id", "para_id", "tokens"], rows=BATCH)


def _fit_on_sample(tokens: pa.Table | StoredTable, documents: pa.Table, ks: list[int],
                   params: Params) -> dict[str, pa.Table | bytes | str]:
    """``--fit-on sample``: vocabulary, every fit and the final model on the seeded sample; the
    other units' shares inferred by the model (three passes over the tokens, see
    ``stream.py``)."""
    scan = scan_units(_batches(tokens), params.unit, _keeps(params.lang))
    candidates = np.flatnonzero(scan.tokens > 0)
    noun = "documents" if params.unit == "document" else "paragraphs"
    if len(candidates) < 3:
        extra = "" if params.lang == "all" else f" in language {params.lang}"
        raise EmptyCorpus(f"topics: only {len(candidates)} {noun} of segment/tokens have "
                          f"tokens{extra}; a topic model needs at least 3")
    n = min(params.sample, len(candidates))
    rng = np.random.default_rng(params.seed)
    picked = candidates[np.sort(rng.choice(len(candidates), size=n, replace=False))]
    keys = {(scan.doc_ids[i], scan.para_ids[i]) for i in picked.tolist()}
    del scan, candidates, picked
    if ks[-1] >= n:  # before reading the tokens again
        raise BadParams(f"topics: k={ks[-1]} is larger than a sample of {n} {noun} allow; use "
                        f"--k 2..{n - 1} or a larger --sample")
    try:
        corpus, units = _corpus(only_units(_batches(tokens), params.unit, keys), params)
    except BadParams as err:  # the bounds apply to the sample, which may be the cause
        raise BadParams(f"{err}, or use a larger --sample (the vocabulary is that of the "
                        f"{n} sampled {noun})") from None
    del keys
    if ks[-1] >= len(units.doc_ids):
        raise BadParams(f"topics: k={ks[-1]} is larger than a sample of {len(units.doc_ids)} "
                        f"{noun} allow; use --k 2..{len(units.doc_ids) - 1} or a larger --sample")
    log.info("topics: --fit-on sample: %d sampled %s, %d terms, k=%s, %d seed(s)",
             len(units.doc_ids), noun, len(corpus.vocab), ",".join(map(str, ks)), params.seeds)
    seeds = [params.seed + i for i in range(params.seeds)]
    fits = _fit_all([(k, s, s == seeds[0]) for k in ks for s in seeds], corpus, params.workers)
    fitted = {key: i for i, key in enumerate(zip(units.doc_ids, units.para_ids, strict=True))}

    def describe(best: Fit, labels: list[str]) -> Described:
        infer = Inferrer(best.model, params.method, params.backend, corpus.vocab,
                         params.iterations)
        bags = unit_bags(_batches(tokens), params.unit, corpus.vocab)
        return describe_units(bags, best, fitted, infer, params.method, labels, params.workers)

    return build_tables(fits, corpus, units, documents, params, describe=describe)


def _corpus(batches: Iterable[pa.RecordBatch], params: Params) -> tuple[Corpus, Units]:
    """The topic corpus and its units, built batch by batch (see ``build.py``).

    Raises:
        EmptyCorpus: no token passes the language filter, or fewer than 3 units keep a term.
        BadParams: no term passes the df bounds.
    """
    encoded = encode_batches(batches, params.unit, _keeps(params.lang))
    if not len(encoded.bags.ids):
        extra = "" if params.lang == "all" else f" in language {params.lang}"
        raise EmptyCorpus(f"topics: segment/tokens has no tokens{extra}; check `wenmai segment` "
                          "output" + ("" if params.lang == "all" else " or use --lang all"))
    vocab, column = vocabulary(encoded, params.min_df, params.max_df, params.top_n_terms)
    # word numbers -> vocabulary columns in place, a chunk at a time (no second int32 per token)
    ids = encoded.bags.ids
    for lo in range(0, len(ids), CHUNK):
        ids[lo:lo + CHUNK] = column[ids[lo:lo + CHUNK]]
    texts = Bags(ids, encoded.bags.offsets)
    del encoded.bags, ids
    inside = texts.ids < len(vocab)
    per_unit = np.zeros(len(texts), dtype=np.int64)  # kept tokens of each unit
    full = np.flatnonzero(texts.lengths() > 0)
    if len(full):
        per_unit[full] = np.add.reduceat(inside, texts.offsets[full], dtype=np.int64)
    keep = np.flatnonzero(per_unit > 0)
    noun = "documents" if params.unit == "document" else "paragraphs"
    if len(keep) < 3:
        raise EmptyCorpus(f"topics: only {len(keep)} {noun} keep a term after the vocabulary "
                          "filters; a topic model needs at least 3")
    bags = Bags(texts.ids[inside], np.concatenate([[0], np.cumsum(per_unit[keep])]))
    if len(keep) < len(texts):
        texts = texts.take(keep)
    units = Units([encoded.doc_ids[i] for i in keep], [encoded.para_ids[i] for i in keep])
    return (Corpus(vocab, bags, params.method, params.backend, params.iterations, params.passes,
                   params.holdout, texts), units)


def _sample(total: int, params: Params) -> np.ndarray | None:
    """The units model selection runs on: ``sample`` of them drawn by ``seed``, in corpus
    order; None (every unit) without ``--sample`` or when the sample would hold every unit."""
    if not params.sample or params.sample >= total:
        if params.sample:
            log.info("topics: --sample %d >= the %d units; k is chosen on every unit",
                     params.sample, total)
        return None
    rng = np.random.default_rng(params.seed)
    return np.sort(rng.choice(total, size=params.sample, replace=False))
