"""Compact per-partition summaries of a coding, summed into the code tables.

The code stage codes documents a batch at a time; each partition's coded units are folded
into counts here and then dropped, so memory does not grow with the number of coded segments
or units. What is kept grows with the documents only, as numbers: per document the codes and
categories it holds (one boolean row each, for saturation), and per ``by`` column the id of its
value. Counts are distinct units per name, and a document lies in one partition, so the
per-partition counts add up to the counts over the whole corpus:

- per name (code, category, group; :func:`pipelines.code.tables.names` order): units coded,
  documents coded, characters of the units coded;
- per ``by`` column: units of each value, and units and documents coded per (name, value);
- per level (code, category): units coded with both of two names (``XᵀX`` of the unit x name
  incidence, summed over partitions).

For a comparison with a human coding, the spans of the units of the documents it needs and
their coded (unit, code) pairs are kept as integer arrays (``keep`` of :meth:`Summary.add`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from pipelines.code.codebook import Codebook
from pipelines.code.tables import names as book_names

__all__ = ["Summary", "value_string"]


def value_string(v: object) -> str:
    """A document column's value as the matrix shows it (``(none)`` for a missing value,
    whole floats without ``.0``)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(none)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class Summary:
    """The running sums of a coding; :meth:`add` one partition at a time, in document order."""

    def __init__(self, book: Codebook, by: Sequence[str]) -> None:
        self.book = book
        self.names = book_names(book)
        index = {(level, name): i for i, (level, name, _g, _c) in enumerate(self.names)}
        self.n_codes = len(book.codes)
        self.n_categories = len(book.categories)
        code_index = {c.name: i for i, c in enumerate(book.codes)}
        self.code_index = code_index
        # each code's name index at the three levels
        self._levels = np.array([[index[("code", c.name)], index[("category", c.category)],
                                  index[("group", c.group)]] for c in book.codes],
                                dtype=np.int64).reshape(-1, 3)
        n = len(self.names)
        self.units = np.zeros(n, dtype=np.int64)
        self.documents = np.zeros(n, dtype=np.int64)
        self.chars = np.zeros(n, dtype=np.int64)
        self.n_units = 0
        self.total_chars = 0
        self.n_codings = 0
        self.codes_used: set[int] = set()
        self.by = tuple(by)
        self.values: dict[str, dict[str, int]] = {c: {} for c in self.by}
        self.value_units: dict[str, Counter] = {c: Counter() for c in self.by}
        self.cells: dict[str, Counter] = {c: Counter() for c in self.by}  # (name, value) -> units
        self.cell_docs: dict[str, Counter] = {c: Counter() for c in self.by}
        self.pairs = {"code": np.zeros((self.n_codes, self.n_codes), dtype=np.int64),
                      "category": np.zeros((self.n_categories, self.n_categories),
                                           dtype=np.int64)}
        self._incidence: dict[str, list[np.ndarray]] = {"code": [], "category": []}
        self._n_kept = 0
        self._unit_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._coded_parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_docs = 0

    def add_documents(self, rows: Sequence[dict]) -> tuple[dict[str, np.ndarray], int]:
        """Register a batch of documents (their ``by`` columns); return each column's value ids
        of these documents and the index of the batch's first document."""
        ids = {}
        for column in self.by:
            known = self.values[column]
            ids[column] = np.array([known.setdefault(value_string(r[column]), len(known))
                                    for r in rows], dtype=np.int64)
        first = self.n_docs
        self.n_docs += len(rows)
        for level, width in (("code", self.n_codes), ("category", self.n_categories)):
            self._incidence[level].append(np.zeros((len(rows), width), dtype=bool))
        return ids, first

    def add(self, result: dict, doc_offset: int, doc_values: dict[str, np.ndarray],
            first_doc: int, keep: np.ndarray | None = None) -> None:
        """Fold one partition's result (:func:`pipelines.code.apply.code_partition`) in.

        Args:
            result: The partition's result: unit arrays and coded rows.
            doc_offset: Index of the partition's first document within its batch.
            doc_values: The batch's value ids per ``by`` column (:meth:`add_documents`).
            first_doc: Index of the batch's first document in the corpus.
            keep: Per document of the batch, whether to keep its units' spans and codings
                (:meth:`kept_units`, :meth:`kept_codings`).
        """
        unit_doc = np.asarray(result["unit_doc"], dtype=np.int64) + doc_offset  # in the batch
        chars = (np.asarray(result["unit_end"], dtype=np.int64)
                 - np.asarray(result["unit_start"], dtype=np.int64))
        n_units = len(unit_doc)
        coded_unit = np.asarray(result["_unit"], dtype=np.int64)
        coded_code = np.array([self.code_index[c] for c in result["code"]], dtype=np.int64)
        if keep is not None:  # the units of these documents, numbered from 0 across them
            kept = keep[unit_doc]
            number = np.cumsum(kept) - 1 + self._n_kept
            self._unit_parts.append((unit_doc[kept] + first_doc,
                                     np.asarray(result["unit_start"], dtype=np.int64)[kept],
                                     np.asarray(result["unit_end"], dtype=np.int64)[kept]))
            coded_kept = kept[coded_unit]
            self._coded_parts.append((number[coded_unit[coded_kept]], coded_code[coded_kept]))
            self._n_kept += int(kept.sum())
        self.n_codings += len(coded_code)
        self.codes_used.update(coded_code.tolist())
        for column in self.by:
            self.value_units[column].update(dict(zip(
                *np.unique(doc_values[column][unit_doc], return_counts=True), strict=True)))
        self.n_units += n_units
        self.total_chars += int(chars.sum())
        if not len(coded_code):
            return
        n = len(self.names)
        # distinct (unit, name) over the three levels
        key = np.unique((coded_unit[:, None] * n + self._levels[coded_code]).ravel())
        unit, name = key // n, key % n
        self.units += np.bincount(name, minlength=n)
        np.add.at(self.chars, name, chars[unit])
        doc = unit_doc[unit]
        doc_key = np.unique(doc * n + name)
        doc_name = doc_key % n
        self.documents += np.bincount(doc_name, minlength=n)
        for column in self.by:
            values = doc_values[column]
            cells, counts = np.unique(np.stack([name, values[doc]]), axis=1, return_counts=True)
            self.cells[column].update({(int(a), int(b)): int(c)
                                       for (a, b), c in zip(cells.T, counts, strict=True)})
            cells, counts = np.unique(np.stack([doc_name, values[doc_key // n]]), axis=1,
                                      return_counts=True)
            self.cell_docs[column].update({(int(a), int(b)): int(c)
                                           for (a, b), c in zip(cells.T, counts, strict=True)})
        self._cooccur("code", unit, name, 0, self.n_codes)
        self._cooccur("category", unit, name, self.n_codes, self.n_categories)
        for level, offset, width in (("code", 0, self.n_codes),
                                     ("category", self.n_codes, self.n_categories)):
            sel = (name >= offset) & (name < offset + width)
            self._incidence[level][-1][doc[sel], name[sel] - offset] = True

    def _cooccur(self, level: str, unit: np.ndarray, name: np.ndarray, offset: int,
                 width: int) -> None:
        from scipy import sparse

        sel = (name >= offset) & (name < offset + width)
        if not sel.any():
            return
        _, row = np.unique(unit[sel], return_inverse=True)
        x = sparse.csr_matrix((np.ones(int(sel.sum()), dtype=np.int64),
                               (row.ravel(), name[sel] - offset)),
                              shape=(int(row.max()) + 1, width))
        self.pairs[level] += (x.T @ x).toarray()

    def incidence(self, level: str) -> np.ndarray:
        """(documents, names of the level) booleans: which codes (categories) each holds."""
        width = self.n_codes if level == "code" else self.n_categories
        parts = self._incidence[level]
        return np.concatenate(parts) if parts else np.zeros((0, width), dtype=bool)

    def level_names(self, level: str) -> list[str]:
        return [name for lvl, name, _g, _c in self.names if lvl == level]

    def kept_units(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document index, start, end) of every kept unit, in corpus order."""
        if not self._unit_parts:
            return (np.zeros(0, np.int64),) * 3
        return tuple(np.concatenate(a) for a in zip(*self._unit_parts, strict=True))

    def kept_codings(self) -> tuple[np.ndarray, np.ndarray]:
        """(kept unit number, code index) of the kept units' coded segments."""
        if not self._coded_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return tuple(np.concatenate(a) for a in zip(*self._coded_parts, strict=True))
