"""Groups of documents for ``--by``: which group each document belongs to.

Only the ``doc_id`` and ``by`` columns of ``ingest/documents`` are read (one row per document,
never the text); what is kept is each labelled document's group (a dict by doc_id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.core import store
from pipelines.core.columns import check_column

__all__ = ["Groups", "check_by", "document_groups"]


@dataclass
class Groups:
    """Groups in output order.

    Attributes:
        index: The group of each document that has a label, by doc_id.
        labels: The label of each group.
        n_docs: Documents of the documents table in each group's label (int64).
    """

    index: dict[str, int]
    labels: list[str]
    n_docs: Any

    def of(self, doc_ids: list[str]) -> Any:
        """The group of each of ``doc_ids`` (int64; -1: no group)."""
        get = self.index.get
        return np.fromiter((get(d, -1) for d in doc_ids), dtype=np.int64, count=len(doc_ids))


def check_by(documents: Any, by: str) -> None:
    """Raise BadParams unless ``by`` is a column of the documents table."""
    check_column(documents, by, stage="terms")


def _label(value: Any) -> str | None:
    """A group value as text; whole floats (years read as 2024.0) without the ``.0``."""
    if value is None or value != value:  # None or NaN
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def document_groups(documents: Any, by: str) -> Groups:
    """The groups of the documents by their ``by`` value.

    Groups are ordered by value (numbers before text), a document listed twice keeps its
    first row, and documents without a value belong to no group.
    """
    check_by(documents, by)
    table = store.read_all(documents, columns=["doc_id", by])
    values = table.column(by).to_pylist()
    order = {v: i for i, v in enumerate(sorted({v for v in values if _label(v)},
                                               key=lambda v: (isinstance(v, str), v)))}
    unit_of: dict[str, tuple[int, str]] = {}  # doc_id -> (order, label) of its first row
    for doc_id, value in zip(table.column("doc_id").to_pylist(), values, strict=True):
        label = _label(value)
        if label is not None and doc_id not in unit_of:
            unit_of[doc_id] = (order.get(value, -1), label)
    units = sorted(set(unit_of.values()))
    place = {unit: i for i, unit in enumerate(units)}
    labels = [label for _, label in units]
    n_docs = Counter(label for _, label in unit_of.values())
    return Groups(index={d: place[u] for d, u in unit_of.items()}, labels=labels,
                  n_docs=np.array([n_docs[label] for label in labels], np.int64))
