"""Groups of documents for ``--by``: which group each counted document belongs to.

Only the ``doc_id`` and ``by`` columns of ``ingest/documents`` are read (one row per document,
never the text).
"""

from __future__ import annotations

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
    import pandas as pd

    check_by(documents, by)
    table = store.read_all(documents, columns=["doc_id", by])
    values = table.column(by).to_pylist()
    order = {v: i for i, v in enumerate(sorted({v for v in values if _label(v)},
                                               key=lambda v: (isinstance(v, str), v)))}
    frame = pd.DataFrame({"doc_id": table.column("doc_id").to_pylist(),
                          "group": [_label(v) for v in values],
                          "order": [order.get(v, -1) for v in values]})
    frame = frame[frame["group"].notna()].drop_duplicates("doc_id")
    n_docs = frame.groupby("group")["doc_id"].nunique()
    units = frame[["order", "group"]].drop_duplicates().sort_values(["order", "group"])
    unit = pd.Series(np.arange(len(units)), index=pd.MultiIndex.from_frame(units))
    frame["unit"] = unit.reindex(pd.MultiIndex.from_frame(frame[["order", "group"]])).to_numpy()
    where = pc.index_in(pa.array(frame["doc_id"].to_numpy(), pa.string()),
                        value_set=pa.array(docs, pa.string())).fill_null(-1).to_numpy()
    of_doc = np.full(len(docs), -1, dtype=np.int64)
    found = where >= 0  # documents without a token are in no counted row
    of_doc[where[found]] = frame["unit"].to_numpy()[found]
    labels = units["group"].tolist()
    return Groups(of_doc=of_doc, labels=labels,
                  n_docs=n_docs.reindex(labels).to_numpy().astype(np.int64))
