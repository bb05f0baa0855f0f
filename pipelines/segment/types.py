"""What the segment worker and its two passes share: settings, the partition result, the token
table, the keys of a text, and the decisions memoised per raw ``(word, tag)`` pair.

A module of its own so that the worker (:mod:`pipelines.segment.worker`) can call both passes
(:mod:`~pipelines.segment.vector`, :mod:`~pipelines.segment.loop`) and the passes can use these
types without importing the worker back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from pipelines.segment.lexicon import DictEntry, Synonym
from pipelines.segment.text import ASCII_LETTER, LATIN_WORD

__all__ = ["FILTERS", "TOKENS_SCHEMA", "Pair", "Settings", "PartitionResult", "ShortRuns",
           "split_latin", "token_table", "document_counts"]

FILTERS = ("punctuation", "number", "stopword", "short", "pos")
TOKENS_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("para_id", pa.int32()),
    ("sent_id", pa.int32()),
    ("tokens", pa.list_(pa.string())),
    ("pos", pa.list_(pa.string())),
    ("lang", pa.string()),
    # every word of the sentence as segmented (dictionary and synonyms applied), whatever the
    # counting filters drop: only punctuation and white space are left out. Codebook rules and
    # kwic read it; terms, topics and network count ``tokens``.
    ("words", pa.list_(pa.string())),
])
_ENG = "eng"
_UNKNOWN = "un"
# Tags of raw pairs that do not come from the backend (no backend gives a tag with a NUL).
_LATIN = "\0latin"  # an English word as written in the text
_PRESEG = "\0preseg"  # a white-space separated token of presegmented text
#: Runs between English words up to this length (", ", " of ") are segmented once per run.
_RUN_CACHE_LEN = 16

Pair = tuple[str, str]


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs, already loaded from files (picklable)."""

    backend: str = "rjieba"
    entries: tuple[DictEntry, ...] = ()
    stopwords: frozenset[str] = frozenset()
    synonyms: tuple[Synonym, ...] = ()
    keep_pos: tuple[str, ...] = ()
    min_length: int = 2
    keep_numbers: bool = False
    lemmatize: bool = True
    lowercase: bool = True
    presegmented: bool = False


@dataclass
class PartitionResult:
    """Token table of one partition plus the counts the report needs.

    ``words`` counts the backend's words (before synonyms and filters) when dictionary words
    are checked, and ``occurrences`` each checked word in the text itself; from the merged
    counts of all partitions, :func:`dictionary_counts` fills ``as_token`` and ``inside``
    (how often each checked word was a backend word, and how often inside a longer one).
    """

    table: pa.Table = field(default_factory=TOKENS_SCHEMA.empty_table)
    removed: Counter = field(default_factory=Counter)
    oov: Counter = field(default_factory=Counter)
    words: Counter = field(default_factory=Counter)
    occurrences: Counter = field(default_factory=Counter)
    as_token: Counter = field(default_factory=Counter)
    inside: Counter = field(default_factory=Counter)
    #: ``(doc_id, characters converted)`` of documents largely in traditional characters
    traditional: list[tuple[str, int]] = field(default_factory=list)
    #: kept term -> how many documents keep it (for the ``common`` rows and ``domain_unseen``)
    documents: Counter = field(default_factory=Counter)
    #: documents that keep at least one token
    docs_kept: int = 0
    #: rows written to the partition's part file (its ``table`` is then empty)
    written: int = 0

    @property
    def rows(self) -> list[tuple[str, int, int, list[str], list[str], str]]:
        """The rows that keep a token as ``(doc_id, para_id, sent_id, tokens, pos, lang)``."""
        cols = [self.table.column(name).to_pylist() for name in TOKENS_SCHEMA.names[:6]]
        return [row for row in zip(*cols, strict=True) if row[3]]

    @property
    def word_rows(self) -> list[tuple[str, int, list[str]]]:
        """Every row as ``(doc_id, sent_id, words)``."""
        cols = [self.table.column(name).to_pylist() for name in ("doc_id", "sent_id", "words")]
        return list(zip(*cols, strict=True))


class _Drop:
    """The decision "dropped by filter ``reason``" for a word the split report needs."""

    __slots__ = ("reason", "word")

    def __init__(self, reason: str, word: str) -> None:
        self.reason = reason
        self.word = word


class _Memo(dict):
    """A dict that computes a missing value with ``fn(key)`` and keeps it."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: Hashable) -> Any:
        value = self[key] = self.fn(key)
        return value


class ShortRuns:
    """``fn(run)``, memoised for runs up to ``_RUN_CACHE_LEN`` characters (", ", " of "),
    which repeat between English words."""

    def __init__(self, fn: Callable[[str], list[Any]]) -> None:
        self.fn = fn
        self.memo: dict[str, list[Any]] = {}

    def __call__(self, run: str) -> list[Any]:
        if len(run) > _RUN_CACHE_LEN:
            return self.fn(run)
        out = self.memo.get(run)
        if out is None:
            out = self.memo[run] = self.fn(run)
        return out


def split_latin(text: str, run_keys: Callable[[str], list[Any]], *, keyed: bool = True
                ) -> list[Any]:
    """Keys of a text in order: each English word as ``(word as written, _LATIN)`` (as the
    word alone unless ``keyed``), the runs between them as ``run_keys(run)`` gives them.
    Without an English letter (an English word has one, and every ASCII letter of the text
    is in an English word) that is ``run_keys(text)`` itself: do not change the list."""
    if ASCII_LETTER.search(text) is None:
        return run_keys(text)
    keys: list[Any] = []
    pos = 0
    for m in LATIN_WORD.finditer(text):
        start = m.start()
        if start > pos:
            keys += run_keys(text[pos:start])
        keys.append((m.group(), _LATIN) if keyed else m.group())
        pos = m.end()
    if pos < len(text):
        keys += run_keys(text[pos:] if pos else text)
    return keys


def token_table(doc_ids: pa.Array, para_ids: Any, sent_ids: Any, offsets: Any,
                words: pa.Array, tags: pa.Array, langs: list[str] | pa.Array,
                every: tuple[Any, pa.Array], pool: pa.MemoryPool | None = None) -> pa.Table:
    """The tokens table from its columns; ``words`` and ``tags`` are flat, cut by ``offsets``;
    ``every`` is the ``words`` column as (offsets, flat words)."""
    offs = pa.array(offsets, pa.int32(), memory_pool=pool)
    list_type = TOKENS_SCHEMA.field("tokens").type
    every_offs = pa.array(every[0], pa.int32(), memory_pool=pool)
    return pa.Table.from_arrays([
        doc_ids,
        pa.array(para_ids, pa.int32(), memory_pool=pool),
        pa.array(sent_ids, pa.int32(), memory_pool=pool),
        pa.ListArray.from_arrays(offs, words, type=list_type, pool=pool),
        pa.ListArray.from_arrays(offs, tags, type=list_type, pool=pool),
        langs if isinstance(langs, pa.Array) else pa.array(langs, pa.string(), memory_pool=pool),
        pa.ListArray.from_arrays(every_offs, every[1], type=list_type, pool=pool),
    ], schema=TOKENS_SCHEMA)


def document_counts(table: pa.Table) -> tuple[Counter, int]:
    """How many documents keep each term, and how many documents keep any, from a token
    table (doc_id, tokens); document ids are unique."""
    import pyarrow.compute as pc

    if not table.num_rows:
        return Counter(), 0
    words = table.column("tokens").combine_chunks()
    pairs = pa.table({"doc_id": pc.take(table.column("doc_id"), pc.list_parent_indices(words)),
                      "term": pc.list_flatten(words)})
    df = pairs.group_by(["term", "doc_id"], use_threads=False).aggregate([]).group_by(
        "term", use_threads=False).aggregate([("doc_id", "count")])
    counts = Counter(dict(zip(df.column("term").to_pylist(),
                              df.column("doc_id_count").to_pylist(), strict=True)))
    return counts, len(pc.unique(table.column("doc_id")))
