"""Join frequent English word pairs of the segment tokens into one token (gensim ``Phrases``).

Runs in the segment stage's process after the partitions are merged, since the pair counts
need the whole corpus; only when ``phrases`` is on. Input: the token table. The "sentences"
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

from collections import Counter

import pyarrow as pa

__all__ = ["ENG", "DELIMITER", "join_phrases"]

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
    tokens = table.column("tokens").to_pylist()
    tags = table.column("pos").to_pylist()
    runs = [(row, a, b) for row, row_tags in enumerate(tags) for a, b in _eng_runs(row_tags)]
    made: Counter = Counter()
    if not runs:
        return table, made
    from gensim.models.phrases import Phrases

    sentences = [tokens[row][a:b] for row, a, b in runs]
    model = Phrases(sentences, min_count=min_count, threshold=threshold,
                    delimiter=DELIMITER).freeze()
    changed = set()
    # right to left, so the offsets of the runs still to do stay valid
    for (row, a, b), words in zip(reversed(runs), reversed(sentences), strict=True):
        if b - a < 2:
            continue
        joined = list(model.analyze_sentence(words))
        if len(joined) == len(words):
            continue
        made.update(word for word, score in joined if score is not None)
        tokens[row][a:b] = [word for word, _ in joined]
        tags[row][a:b] = [ENG] * len(joined)
        changed.add(row)
    if not changed:
        return table, made
    list_type = table.schema.field("tokens").type
    table = table.set_column(table.column_names.index("tokens"), table.schema.field("tokens"),
                             pa.array(tokens, list_type))
    table = table.set_column(table.column_names.index("pos"), table.schema.field("pos"),
                             pa.array(tags, list_type))
    return table, made
