"""Groups of documents for ``--by``: which group each counted document belongs to.

Only the ``doc_id`` and ``by`` columns of ``ingest/documents`` are read (one row per document,
never the text).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core import store
from pipelines.core.errors import BadParams

__all__ = ["Groups", "check_by", "document_groups"]


@dataclass
class Groups:
    """Groups in output order.

    Attributes:
        of_doc: Group of each counted document id (-1: no group).
        labels: The label of each group.
        n_docs: Documents of the documents table in each group's label (int64).
    """

    of_doc: Any
    labels: list[str]
    n_docs: Any


def check_by(documents: Any, by: str) -> None:
    """Raise BadParams unless ``by`` is a column of the documents table."""
    names = documents.schema.names if documents is not None else []
    if by not in names:
        known = ", ".join(c for c in names if c not in ("text", "doc_id"))
        raise BadParams(f"terms: --by {by!r} is not a column of ingest/documents; choose one "
                        f"of: {known}")


def _label(value: Any) -> str | None:
    """A group value as text; whole floats (years read as 2024.0) without the ``.0``."""
    if value is None or value != value:  # None or NaN
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def document_groups(documents: Any, by: str, docs: list[str]) -> Groups:
    """The group of each counted document (``docs``: doc_id by document id).

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
    index = {unit: i for i, unit in enumerate(units)}
    labels = [label for _, label in units]
    n_docs = Counter(label for _, label in unit_of.values())
    where = pc.index_in(pa.array(list(unit_of), pa.string()),
                        value_set=pa.array(docs, pa.string())).fill_null(-1).to_numpy()
    of_doc = np.full(len(docs), -1, dtype=np.int64)
    found = where >= 0  # documents without a token are in no counted row
    of_doc[where[found]] = np.array([index[u] for u in unit_of.values()], np.int64)[found]
    return Groups(of_doc=of_doc, labels=labels,
                  n_docs=np.array([n_docs[label] for label in labels], np.int64))
