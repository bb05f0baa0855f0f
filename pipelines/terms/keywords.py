"""Pass 2 of the terms stage: the keywords of each document, and the counts of each group.

``Keywords.add`` takes the complete (document, term) counts of a few documents (from
``count.doc_rows`` or a block of the document x term matrix), scores them a block of
``block`` entries at a time (``score.pick``) and keeps each document's top keywords until
``rows`` hands them over (the caller writes them as a part and goes on). ``GroupCounts`` sums
the counts of each (group, term) for ``--by``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipelines.terms.count import KeyCounts, sum_by_key
from pipelines.terms.score import FIELDS, pick, spans

__all__ = ["DENSE", "GroupCounts", "Keywords"]

#: (group, term) cells counted in one dense array (32 MB) rather than as sparse partial sums
DENSE = 1 << 22


class Keywords:
    """Collects the keywords of documents handed over a few at a time, in document order."""

    def __init__(self, *, kept: Any, tf: Any, idf: Any | None, min_keyness: float, top: int,
                 term_rank: Any, block: int, grand: float | None = None) -> None:
        """
        Args:
            kept: Whether each term id is counted (``df >= min_df``).
            tf: Occurrences of each term id in the whole corpus (zero where not kept).
            idf: Idf by term id for TF-IDF, None for keyness.
            min_keyness: Smallest G2 of a keyword.
            top: Keywords kept per document.
            term_rank: Position of each term id in code-point order (of the whole corpus).
            block: Entries scored at a time.
            grand: Occurrences of every kept term in the corpus (default: the sum of ``tf``;
                a part of the corpus gives the corpus's).
        """
        self.kept, self.tf, self.idf, self.term_rank = kept, tf, idf, term_rank
        self.grand = float(tf[kept].sum()) if grand is None else grand
        self.min_keyness, self.top, self.block = min_keyness, top, block
        self.picked: list[dict[str, Any]] = []
        self.held = 0

    def add(self, doc: Any, term: Any, n: Any) -> tuple[Any, Any, Any]:
        """Score documents: ``doc`` ascending, each document's counts complete and here once.

        Returns the counts of the kept terms (``doc``, ``term``, ``n`` as int64)."""
        on = self.kept[term]
        doc, term, n = doc[on], term[on], n[on].astype(np.int64)
        if not len(doc):
            return doc, term, n
        starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        bounds = np.r_[starts, len(doc)]
        for a, b in spans(np.diff(bounds), self.block):
            lo, hi = bounds[a], bounds[b]
            d, t, c = doc[lo:hi], term[lo:hi], n[lo:hi]
            unit = np.cumsum(np.r_[0, d[1:] != d[:-1]])
            got = pick(unit, t, c, n_units=b - a, tf=self.tf, grand=self.grand, idf=self.idf,
                       min_keyness=self.min_keyness, top=self.top, term_rank=self.term_rank)
            got["unit"] = d[starts[a:b] - lo][got["unit"]]
            self.picked.append(got)
            self.held += len(got["unit"])
        return doc, term, n

    def rows(self) -> dict[str, Any]:
        """The keywords picked since the last call (``score.FIELDS``; unit = document id), in
        the order their documents were added; they are no longer held here."""
        picked, self.picked, self.held = self.picked, [], 0
        if not picked:
            return {k: np.empty(0, np.int64) for k in FIELDS}
        return {k: np.concatenate([p.pop(k) for p in picked]) for k in FIELDS}


class GroupCounts:
    """Occurrences of each (group, term): keys ``group * n_terms + term``."""

    def __init__(self, n_groups: int, n_terms: int, *, floor: int, dense: bool = True) -> None:
        """``dense``: count in one array when there are at most ``DENSE`` cells (few groups,
        such as years), else (or when False) as sparse partial sums."""
        self.n_terms = n_terms
        cells = n_groups * n_terms
        self.dense = np.zeros(cells, np.int64) if dense and cells <= DENSE else None
        self.sparse = KeyCounts(floor)

    def add(self, group: Any, term: Any, n: Any) -> None:
        """Add counts ``n`` of ``term`` in ``group`` (-1: none, skipped)."""
        on = group >= 0
        self.add_keys(*sum_by_key(group[on] * self.n_terms + term[on], n[on]))

    def add_keys(self, keys: Any, n: Any) -> None:
        """Add summed counts by distinct key (as ``total`` returns them)."""
        if self.dense is None:
            self.sparse.add(keys, n)
        else:
            self.dense[keys] += n  # keys are distinct

    def total(self) -> tuple[Any, Any]:
        """Keys ``group * n_terms + term`` (ascending) and their summed counts."""
        if self.dense is None:
            return self.sparse.total()
        keys = np.flatnonzero(self.dense)
        return keys, self.dense[keys]
