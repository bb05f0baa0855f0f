"""Join frequent English word pairs of the segment tokens into one token (gensim ``Phrases``).

Runs in the segment stage's process after every partition is written, since the pair counts
need the whole corpus; only when ``phrases`` is on: one pass over the parts of the tokens
dataset to learn, one to rewrite them (a part at a time in memory). The "sentences"
gensim learns from and rewrites are the runs of consecutive ``eng`` tokens of each row (after
lemmas, lower-casing, synonyms and filters, so ``education of teachers`` is the pair
``education teacher``); an English word never joins a Chinese one and a Chinese token is never
touched. A detected pair becomes ``first_second`` tagged ``eng``.

Scoring is gensim's default (Mikolov et al. 2013): a pair ``a b`` seen ``n_ab`` times joins when
``(n_ab - min_count) / (n_a * n_b) * V > threshold``, where ``n_a``, ``n_b`` count the words
and ``V`` is the number of distinct words *and* pairs gensim counted; with a threshold of 0 or
more a pair must be seen more than ``min_count`` times. Learning only counts, and the counts
are made in table order, so the result is the same on every run. A run is read left to
right and a word joins at most one pair (``a b c`` can give ``a_b c``, never ``a_b_c``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from pipelines.core.store import PartWriter, StoredTable
from pipelines.segment.types import document_counts

__all__ = ["ENG", "DELIMITER", "join_phrases", "learn_phrases", "apply_phrases",
           "join_phrases_in_parts"]

ENG = "eng"
#: gensim's default, and never part of an English token (see ``segment_text.LATIN_WORD``).
DELIMITER = "_"


def _eng_runs(tags: list[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of consecutive ``eng`` tags."""
    runs, start = [], None
    for i, tag in enumerate([*tags, ""]):
        if tag == ENG:
            if start is None:
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
    return runs


def _runs(table: pa.Table) -> tuple[list[list[str]], list[list[str]], list[tuple[int, int, int]]]:
    """The token and tag lists of a table's rows and its ``(row, start, end)`` eng runs."""
    tokens = table.column("tokens").to_pylist()
    tags = table.column("pos").to_pylist()
    runs = [(row, a, b) for row, row_tags in enumerate(tags) for a, b in _eng_runs(row_tags)]
    return tokens, tags, runs


def _sentences(tables: Iterable[pa.Table]) -> Iterator[list[str]]:
    """The eng runs of every row of the tables, in order: what gensim learns from."""
    for table in tables:
        tokens, _, runs = _runs(table)
        for row, a, b in runs:
            yield tokens[row][a:b]


def learn_phrases(tables: Iterable[pa.Table], *, min_count: int = 5, threshold: float = 10.0
                  ) -> Any:
    """gensim's frozen phrase model learnt from the eng runs of the tables (read once, in
    order, so one table at a time is in memory); None if there is no eng run."""
    sentences = _sentences(tables)
    first = next(sentences, None)
    if first is None:
        return None
    from gensim.models.phrases import Phrases

    return Phrases(itertools.chain([first], sentences), min_count=min_count,
                   threshold=threshold, delimiter=DELIMITER).freeze()


def apply_phrases(table: pa.Table, model: Any) -> tuple[pa.Table, Counter]:
    """Join the detected pairs of each eng run of the table's rows into one token (tag
    ``eng``); also how often each joined token was made. Rows without a pair are unchanged."""
    made: Counter = Counter()
    if model is None:
        return table, made
    tokens, tags, runs = _runs(table)
    changed = False
    # right to left, so the offsets of the runs still to do stay valid
    for row, a, b in reversed(runs):
        if b - a < 2:
            continue
        words = tokens[row][a:b]
        joined = list(model.analyze_sentence(words))
        if len(joined) == len(words):
            continue
        made.update(word for word, score in joined if score is not None)
        tokens[row][a:b] = [word for word, _ in joined]
        tags[row][a:b] = [ENG] * len(joined)
        changed = True
    if not changed:
        return table, made
    list_type = table.schema.field("tokens").type
    table = table.set_column(table.column_names.index("tokens"), table.schema.field("tokens"),
                             pa.array(tokens, list_type))
    table = table.set_column(table.column_names.index("pos"), table.schema.field("pos"),
                             pa.array(tags, list_type))
    return table, made


def join_phrases(table: pa.Table, *, min_count: int = 5, threshold: float = 10.0
                 ) -> tuple[pa.Table, Counter]:
    """Learn frequent English pairs from the table's ``eng`` runs and join them.

    Args:
        table: Token table with ``tokens`` and ``pos`` list columns (other columns are kept).
        min_count: Pairs seen fewer times are never joined.
        threshold: Score a pair must exceed (gensim's default scorer).

    Returns:
        The table with each detected pair as one token (tag ``eng``), and how often each
        joined token was made. Rows without a joined pair are unchanged.
    """
    model = learn_phrases([table], min_count=min_count, threshold=threshold)
    return apply_phrases(table, model)


def join_phrases_in_parts(tokens: StoredTable, writer: PartWriter, *, min_count: int = 5,
                          threshold: float = 10.0) -> tuple[Counter, Counter, int]:
    """:func:`join_phrases` over a dataset, one part at a time: learn from every part, then
    write each part with its pairs joined as the same part of ``writer``.

    Returns:
        How often each joined token was made, how many documents keep each term afterwards,
        and how many documents keep any (a document lies in one part).
    """
    def parts() -> Iterator[pa.Table]:
        for path in tokens.files:
            yield StoredTable([path], tokens.name, tokens.schema).read()

    model = learn_phrases(parts(), min_count=min_count, threshold=threshold)
    made: Counter = Counter()
    documents: Counter = Counter()
    kept = 0
    for i, part in enumerate(parts()):
        joined, counts = apply_phrases(part, model)
        made.update(counts)
        df, n = document_counts(joined)
        documents.update(df)
        kept += n
        writer.write(joined, i)
    return made, documents, kept
