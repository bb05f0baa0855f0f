"""``--fit-on sample``: every unit described by the sample's model, a batch of units at a time.

:func:`describe_units` reads the units of pass 3 (:func:`pipelines.topics.stream.unit_bags`) in
table order. A unit of the fit keeps its fitted shares (``inferred`` false); every other unit
with a term of the vocabulary gets shares inferred by the model (``inferred`` true); a unit
without one gets no row (as with ``--fit-on all``). Each batch of ``UNITS`` units becomes one
part of ``doc_topics``, and updates what the other tables need: per-document shares (trends,
group shares, effects), the top units of each topic (representative units) and the
token-weighted topic prevalence (alignment). Nothing per token, and nothing per unit but the
per-document shares, is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.core import store
from pipelines.core.engine import map_stream
from pipelines.topics.corpus import Fit
from pipelines.topics.stream import Inferrer, Key
from pipelines.topics.tables import REPRESENTATIVE, SCHEMAS

__all__ = ["UNITS", "DOC_TOPICS", "Described", "describe_units", "infer_batch"]

#: units per inference batch and per part of ``doc_topics``
UNITS = 4096
#: ``doc_topics`` with ``--fit-on sample``: the usual columns plus ``inferred``
DOC_TOPICS = SCHEMAS["doc_topics"].append(pa.field("inferred", pa.bool_()))


@dataclass
class Described:
    """What the tables need from every unit.

    Attributes:
        doc_topics: The ``doc_topics`` dataset (schema :data:`DOC_TOPICS`).
        units: Units with a row (M: fitted plus inferred).
        inferred: Units whose shares were inferred (M − N).
        weights: Per document (in order of first sight), its topic shares (paragraphs averaged
            weighted by their kept tokens), as ``tables._doc_weights`` gives them.
        top: Per topic, the ``REPRESENTATIVE`` units with the largest share:
            (share, position, doc_id, para_id), ties by table order.
        prevalence: Topic shares of all kept tokens (Σ n_d θ_d / Σ n_d).
    """

    doc_topics: store.StoredTable
    units: int
    inferred: int
    weights: dict[str, np.ndarray]
    top: list[list[tuple[float, int, str, int | None]]]
    prevalence: np.ndarray


def describe_units(bags: Iterable[tuple[Key, np.ndarray]], best: Fit, fitted: dict[Key, int],
                   infer: Inferrer, method: str, labels: list[str], workers: int = 1
                   ) -> Described:
    """Run pass 3: shares of every unit, ``doc_topics`` parts and the running summaries.

    Args:
        bags: ``(key, vocabulary columns)`` per unit in table order.
        best: The sample's model of the chosen k (its ``doc_topic`` rows are the fitted units').
        fitted: Key -> row of ``best.doc_topic`` for the units of the fit.
        infer: Shares of unseen units under ``best``.
        method: ``lda`` or ``nmf`` (the ``method`` column).
        labels: Topic labels of ``best``.
        workers: Processes inferring batches in parallel (0 = every core); each unit is
            inferred on its own, so the result does not depend on them.
    """
    k = best.k
    writer = store.PartWriter(DOC_TOPICS, "topics/doc_topics")
    sums: dict[str, np.ndarray] = {}
    mass: dict[str, float] = {}
    top: list[list[tuple[float, int, str, int | None]]] = [[] for _ in range(k)]
    prevalence = np.zeros(k)
    counted = {"units": 0, "inferred": 0}

    def add(keys: list[Key], lengths: np.ndarray, unseen: np.ndarray, inferred: np.ndarray
            ) -> None:
        shares = np.zeros((len(keys), k))
        for i in np.flatnonzero(~unseen):
            shares[i] = best.doc_topic[fitted[keys[i]]]
        shares[unseen] = inferred
        start = counted["units"]
        counted["units"] += len(keys)
        counted["inferred"] += int(unseen.sum())
        writer.write(_part(keys, shares, unseen, method, k, labels))
        prevalence[:] += lengths @ shares
        for (doc, _), n, row in zip(keys, lengths.tolist(), shares, strict=True):
            sums[doc] = sums.get(doc, 0.0) + row * n
            mass[doc] = mass.get(doc, 0.0) + n
        for t in range(k):
            order = np.argsort(-shares[:, t], kind="stable")[:REPRESENTATIVE]
            top[t] = sorted(top[t] + [(float(shares[i, t]), start + int(i), keys[i][0],
                                       keys[i][1]) for i in order],
                            key=lambda c: (-c[0], c[1]))[:REPRESENTATIVE]

    def batches() -> Iterable[tuple[list[Key], list[np.ndarray], np.ndarray]]:
        batch: list[tuple[Key, np.ndarray]] = []
        for key, ids in bags:
            if not len(ids):
                continue  # no term of the vocabulary: no row, as with --fit-on all
            batch.append((key, ids))
            if len(batch) == UNITS:
                yield _item(batch, fitted)
                batch = []
        if batch:
            yield _item(batch, fitted)

    for result in map_stream(infer_batch, batches(), infer, workers=workers,
                             label="topics: inferring", unit="batch",
                             forked=lambda item, _in_worker: infer_batch(item, infer)):
        add(*result)
    total = prevalence.sum()
    return Described(writer.finish(), counted["units"], counted["inferred"],
                     {d: sums[d] / mass[d] for d in sums}, top,
                     prevalence / total if total else prevalence)


def _item(batch: list[tuple[Key, np.ndarray]], fitted: dict[Key, int]
          ) -> tuple[list[Key], list[np.ndarray], np.ndarray]:
    keys = [key for key, _ in batch]
    return keys, [ids for _, ids in batch], np.array([key not in fitted for key in keys],
                                                     dtype=bool)


def infer_batch(item: tuple[list[Key], list[np.ndarray], np.ndarray], infer: Inferrer
                ) -> tuple[list[Key], np.ndarray, np.ndarray, np.ndarray]:
    """One batch of units: (keys, kept tokens, unseen mask, inferred shares of the unseen)."""
    keys, bags, unseen = item
    lengths = np.array([len(ids) for ids in bags], dtype=np.float64)
    todo = [bags[i] for i in np.flatnonzero(unseen)]
    return keys, lengths, unseen, (infer(todo) if todo else np.zeros((0, infer.k)))


def _part(keys: list[Key], shares: np.ndarray, unseen: np.ndarray, method: str, k: int,
          labels: list[str]) -> pa.Table:
    """Rows of a batch of units, in the column order of ``doc_topics`` (plus ``inferred``)."""
    n = len(keys)
    return pa.table({
        "method": pa.array([method] * (n * k), pa.string()),
        "k": pa.array(np.full(n * k, k, dtype=np.int32)),
        "doc_id": pa.array(np.repeat(np.array([d for d, _ in keys], dtype=object), k),
                           pa.string()),
        "para_id": pa.array(np.repeat(np.array([p for _, p in keys], dtype=object), k),
                            pa.int32()),
        "topic": pa.array(np.tile(np.arange(k, dtype=np.int32), n)),
        "weight": pa.array(shares.astype(np.float64).ravel()),
        "label": pa.array(labels * n, pa.string()),
        "inferred": pa.array(np.repeat(unseen, k)),
    }, schema=DOC_TOPICS)


#: what build_tables calls: (best fit, its labels) -> Described
Describe = Callable[[Fit, list[str]], Described]
