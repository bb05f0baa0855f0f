"""Learn the codes from a hand-coded sample and code the rest (``[code] classifier``).

The documents of the human coding (``coding_from``) that hold at least one coded selection are
the sample. Each of their units is an example: its segmented tokens (the words ``segment``
kept) are the features, TF-IDF weighted (counted for ``naive_bayes``), and each code is a yes/no
label with a classifier of its own (the job of KH Coder's naive Bayes classifier and of NVivo's
coding by example):

- ``logistic``: ``LogisticRegression(class_weight="balanced")``, the linear baseline;
- ``complement_nb``: ``ComplementNB`` (Rennie et al. 2003), naive Bayes made for skewed classes;
- ``naive_bayes``: ``MultinomialNB`` on word counts (McCallum & Nigam 1998), the textbook naive
  Bayes text classifier, with the class priors ComplementNB leaves out.

Every method is cross-validated on the sample: the units are split into ``folds`` folds,
stratified by the code's label and seeded, with all units of one document in one fold
(``StratifiedGroupKFold``), so a score says how well the model codes documents it has not
seen. Per code and method, ``code_classifier`` gives the pooled precision, recall and F1 of
the out-of-fold predictions, beside those of the codebook's rules on the same units when a
codebook is set. The chosen method is then fitted on the whole sample and codes every unit
outside it (``coder = "model"``, ``matched`` = the unit's words with the largest weights for
the code). A code needs at least two sample documents with it (two folds) to be learnt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.code.codebook import Codebook
from pipelines.core.store import StoredTable, iter_batches

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from pipelines.code.imported import ImportedCoding

__all__ = ["METHODS", "CLASSIFIER_SCHEMA", "Sample", "make_model", "splitter", "cv_predict",
           "scores", "Model", "gather", "learn", "prepare"]

log = logging.getLogger("wenmai")

METHODS = ("logistic", "complement_nb", "naive_bayes")
#: Words of a unit shown in ``matched`` for a model coding.
MATCHED = 5

CLASSIFIER_SCHEMA = pa.schema([
    ("code", pa.string()), ("group", pa.string()), ("category", pa.string()),
    ("method", pa.string()), ("units", pa.int64()), ("documents", pa.int64()),
    ("positives", pa.int64()), ("predicted", pa.int64()), ("tp", pa.int64()),
    ("fp", pa.int64()), ("fn", pa.int64()), ("precision", pa.float64()),
    ("recall", pa.float64()), ("f1", pa.float64()), ("folds", pa.int64()),
    ("codes_rest", pa.bool_()),
])


def _words(unit: Sequence[str]) -> list[str]:
    """The analyser: a unit is already a list of tokens (lower-cased here)."""
    return [w.lower() for w in unit]


def make_model(method: str, seed: int) -> Pipeline:
    """TF-IDF (word counts for ``naive_bayes``) over a unit's tokens, then the classifier."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB, MultinomialNB
    from sklearn.pipeline import Pipeline

    if method == "naive_bayes":
        return Pipeline([("words", CountVectorizer(analyzer=_words)), ("clf", MultinomialNB())])
    clf = (LogisticRegression(class_weight="balanced", max_iter=1000, random_state=seed)
           if method == "logistic" else ComplementNB())
    return Pipeline([("words", TfidfVectorizer(analyzer=_words)), ("clf", clf)])


def splitter(folds: int, seed: int):
    """The cross-validation splits: stratified, seeded, a document's units in one fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    return StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)


def cv_predict(units: Sequence[Sequence[str]], y: np.ndarray, groups: np.ndarray, method: str,
               *, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold predictions: each unit predicted by the model fitted on the other folds.

    A training part that holds one label only predicts that label.
    """
    y = np.asarray(y, dtype=bool)
    pred = np.zeros(len(y), dtype=bool)
    for train, test in splitter(folds, seed).split(np.zeros(len(y)), y, groups):
        if y[train].all() or not y[train].any():
            pred[test] = bool(y[train][0])
            continue
        model = make_model(method, seed).fit([units[i] for i in train], y[train])
        pred[test] = model.predict([units[i] for i in test])
    return pred


def scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float | int]:
    """tp, fp, fn, precision, recall and F1 of predictions (NaN where undefined)."""
    y, pred = np.asarray(y, dtype=bool), np.asarray(pred, dtype=bool)
    tp, fp, fn = int((y & pred).sum()), int((~y & pred).sum()), int((y & ~pred).sum())
    nan = float("nan")
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else nan,
            "recall": tp / (tp + fn) if tp + fn else nan,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else nan}


@dataclass
class Sample:
    """The hand-coded units: tokens, document of each, human and rule labels."""

    units: list[list[str]]
    groups: np.ndarray  # document number of each unit
    human: np.ndarray  # units x codes of the imported codebook, bool
    rules: np.ndarray | None  # the same for the codebook's rules (codes absent: False)
    rule_codes: frozenset[str] = frozenset()  # the codes the codebook has rules for


@dataclass
class Model:
    """Fitted per-code pipelines of one method."""

    method: str
    pipelines: dict[str, Pipeline]

    def predict(self, units: Sequence[Sequence[str]]
                ) -> Iterator[tuple[str, np.ndarray, list[list[str]]]]:
        """Per code: which units the model codes, and each coded unit's top words."""
        for code, pipe in self.pipelines.items():
            hits = np.asarray(pipe.predict(units), dtype=bool)
            if not hits.any():
                continue
            yield code, hits, [_top_words(pipe, units[i]) for i in np.flatnonzero(hits)]


def _top_words(pipe: Pipeline, unit: Sequence[str]) -> list[str]:
    vocab = pipe.named_steps["words"].vocabulary_
    clf = pipe.named_steps["clf"]
    weights = (clf.coef_[0] if hasattr(clf, "coef_")
               else clf.feature_log_prob_[1] - clf.feature_log_prob_[0])
    seen = {w: weights[vocab[w]] for w in _words(unit) if w in vocab}
    ranked = sorted((w for w in seen if seen[w] > 0), key=lambda w: (-seen[w], w))
    return ranked[:MATCHED]


def _filtered(source: pa.Table | StoredTable, columns: list[str], ids: pa.Array) -> pa.Table:
    batches = [b.filter(pc.is_in(b.column("doc_id"), value_set=ids))
               for b in iter_batches(source, columns)]
    return (pa.Table.from_batches(batches) if batches
            else pa.schema([source.schema.field(c) for c in columns]).empty_table())


def gather(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
           coding: ImportedCoding, unit: str, rules: Codebook | None) -> Sample:
    """The sample's units, tokens and labels (the sample's documents are read into memory)."""
    from pipelines.code.apply import build_units, code_partition
    from pipelines.code.imported import code_partition as imported_partition
    from pipelines.code.imported import unit_tokens

    ids = pa.array(sorted(coding.sample), pa.string())
    docs = _filtered(documents, ["doc_id", "text"], ids)
    # the word lists build_units reads (``tokens``, or ``words`` where segment writes them)
    toks = _filtered(tokens, [c for c in ("doc_id", "sent_id", "tokens", "words")
                              if c in tokens.column_names], ids)
    part = (docs.column("doc_id").to_pylist(),
            [t or "" for t in docs.column("text").to_pylist()], toks)
    units = build_units(*part)
    words = unit_tokens(units, unit)
    human = _labels(imported_partition(part, coding, unit), coding.book, len(words))
    rule_labels, rule_codes = None, frozenset()
    if rules is not None:
        rule_labels = _labels(code_partition(part, rules, unit), coding.book, len(words))
        rule_codes = frozenset(c.name for c in rules.codes)
    return Sample(words, np.asarray(units.spans(unit)[0], dtype=np.int64), human, rule_labels,
                  rule_codes)


def _labels(result: dict, book: Codebook, n: int) -> np.ndarray:
    """Units x codes of ``book``: the coded (unit, code) pairs of a partition result."""
    index = {c.name: i for i, c in enumerate(book.codes)}
    out = np.zeros((n, len(book.codes)), dtype=bool)
    for u, code in zip(result["_unit"], result["code"], strict=True):
        if code in index:
            out[u, index[code]] = True
    return out


def learn(sample: Sample, book: Codebook, *, method: str, folds: int, seed: int
          ) -> tuple[pa.Table, Model]:
    """Cross-validate every method per code, fit ``method`` on the whole sample.

    Returns:
        (``code_classifier``, the fitted model of ``method``).
    """
    rows, fitted = [], {}
    n_docs = len(np.unique(sample.groups))
    for j, code in enumerate(book.codes):
        y = sample.human[:, j]
        k = min(folds, len(np.unique(sample.groups[y])), len(np.unique(sample.groups[~y])))
        base = {"code": code.name, "group": code.group, "category": code.category,
                "units": len(y), "documents": n_docs, "positives": int(y.sum())}
        if sample.rules is not None and code.name in sample.rule_codes:
            rows.append({**base, "method": "rules", "predicted": int(sample.rules[:, j].sum()),
                         **scores(y, sample.rules[:, j]), "folds": None, "codes_rest": False})
        for m in METHODS:
            if k < 2:
                rows.append({**base, "method": m, "folds": k, "codes_rest": False})
                continue
            pred = cv_predict(sample.units, y, sample.groups, m, folds=k, seed=seed)
            rows.append({**base, "method": m, "predicted": int(pred.sum()), **scores(y, pred),
                         "folds": k, "codes_rest": m == method})
        if k >= 2:
            fitted[code.name] = make_model(method, seed).fit(sample.units, y)
        else:
            log.warning("code: %s is in %d sample document(s); a code needs two to be learnt "
                        "and cross-validated, so the model does not code it", code.name,
                        len(np.unique(sample.groups[y])))
    return _with_pooled(rows), Model(method, fitted)


def _with_pooled(rows: list[dict]) -> pa.Table:
    """The rows, then per method one pooled row over the codes the classifiers learnt."""
    learnt = {r["code"] for r in rows if r["method"] in METHODS and r.get("folds", 0) >= 2}
    pooled = []
    for m in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == m and r["code"] in learnt]
        if not mine:
            continue
        tp, fp, fn = (sum(r[k] for r in mine) for k in ("tp", "fp", "fn"))
        y = np.r_[np.ones(tp + fn, bool), np.zeros(fp, bool)]
        pred = np.r_[np.ones(tp, bool), np.zeros(fn, bool), np.ones(fp, bool)]
        pooled.append({"code": "(all learnt, pooled)", "method": m,
                       "units": sum(r["units"] for r in mine),
                       "documents": mine[0]["documents"],
                       "positives": sum(r["positives"] for r in mine),
                       "predicted": sum(r["predicted"] for r in mine), **scores(y, pred),
                       "folds": None, "codes_rest": False})
    return pa.Table.from_pylist(rows + pooled, schema=CLASSIFIER_SCHEMA)


def prepare(params, documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
            rules: Codebook | None) -> tuple[ImportedCoding, dict[str, pa.Table]]:
    """The imported coding of ``params.coding_from`` and, with ``params.classifier``, the model
    learnt from it (in the coding) and its ``code_classifier`` table.

    Args:
        params: The code stage's parameters.
        documents: ``ingest/documents``.
        tokens: ``segment/tokens``.
        rules: The codebook, whose rules are scored beside the model; None without one.
    """
    from pipelines.code.imported import load_coding

    coding = load_coding(params.coding_from, documents)
    if params.classifier == "none":
        return coding, {}
    if not coding.sample:
        from pipelines.core.errors import BadInputFile

        raise BadInputFile(f"code: {params.coding_from} codes no unit of a document of this "
                           "corpus, so the classifier has nothing to learn from; code a sample "
                           "of the documents in your QDA program and export the project again")
    sample = gather(documents, tokens, coding, params.unit, rules)
    table, coding.model = learn(sample, coding.book, method=params.classifier,
                                folds=params.folds, seed=params.seed)
    coding.keep = None  # the model codes every document outside the sample
    return coding, {"code_classifier": table}
