"""Pass 2 of the terms stage: the keywords of each document, and the counts of each group.

``Keywords.add`` takes the complete (document, term) counts of a few documents (from
``count.doc_rows`` or a block of the document x term matrix), scores them a block of
``block`` entries at a time (``score.pick``), keeps each document's top keywords and, with
groups, sums the counts of each (group, term). Only the picked keywords (at most
``top_keywords`` per document) and the (group, term) counts are held.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipelines.terms.count import KeyCounts, sum_by_key
from pipelines.terms.score import FIELDS, pick, spans

__all__ = ["DENSE", "Keywords"]

#: (group, term) cells counted in one dense array (32 MB) rather than as sparse partial sums
DENSE = 1 << 22


class Keywords:
    """Collects the keywords of documents handed over a few at a time."""

    def __init__(self, *, kept: Any, tf: Any, idf: Any | None, min_keyness: float, top: int,
                 term_rank: Any, of_doc: Any | None, n_groups: int = 0, block: int) -> None:
        """
        Args:
            kept: Whether each term id is counted (``df >= min_df``).
            tf: Occurrences of each term id (zero where not kept).
            idf: Idf by term id for TF-IDF, None for keyness.
            min_keyness: Smallest G2 of a keyword.
            top: Keywords kept per document.
            term_rank: Position of each term id in code-point order.
            of_doc: Group of each document id (-1: none), or None without groups.
            n_groups: The number of groups.
            block: Entries scored at a time.
        """
        self.kept, self.tf, self.idf, self.term_rank = kept, tf, idf, term_rank
        self.grand = float(tf[kept].sum())
        self.min_keyness, self.top, self.block = min_keyness, top, block
        self.of_doc = of_doc
        self.picked: list[dict[str, Any]] = []
        self.groups = KeyCounts(4 * block)
        cells = n_groups * len(kept)
        # few groups (years): one dense count per (group, term) cell, else sparse partial sums
        self.dense = np.zeros(cells, np.int64) if of_doc is not None and cells <= DENSE else None

    def add(self, doc: Any, term: Any, n: Any) -> None:
        """Score documents: ``doc`` ascending, each document's counts complete and here once."""
        on = self.kept[term]
        doc, term, n = doc[on], term[on], n[on].astype(np.int64)
        if not len(doc):
            return
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
        if self.of_doc is not None:
            self._add_groups(doc, term, n)

    def _add_groups(self, doc: Any, term: Any, n: Any) -> None:
        group = self.of_doc[doc]
        on = group >= 0
        keys, n = sum_by_key(group[on] * len(self.kept) + term[on], n[on])
        if self.dense is None:
            self.groups.add(keys, n)
        else:
            self.dense[keys] += n  # keys are distinct

    def group_counts(self) -> tuple[Any, Any]:
        """Keys ``group * terms + term`` (ascending) and their summed counts."""
        if self.dense is None:
            return self.groups.total()
        keys = np.flatnonzero(self.dense)
        return keys, self.dense[keys]

    def rows(self, doc_rank: Any) -> dict[str, Any]:
        """The picked keywords (``score.FIELDS``; unit = document id) in doc_id order.

        Hands the picked blocks over field by field, so about one copy of them is held.
        """
        picked, self.picked = self.picked, []
        if not picked:
            return {k: np.empty(0, np.int64) for k in FIELDS}
        order = np.argsort(doc_rank[np.concatenate([p["unit"] for p in picked])],
                           kind="stable")
        return {k: np.concatenate([p.pop(k) for p in picked])[order] for k in FIELDS}
