"""Turn documents into rows of filtered tokens: the per-partition work of the segment stage.

:func:`write_partition` segments one partition of documents and writes its rows as a part
file of the tokens dataset; :func:`segment_part` is its module-level form for fresh worker
processes and Dask workers (one :class:`Segmenter`, its own jieba/rjieba instance, per process).

Per sentence: English words are cut out by script and lemmatised with simplemma; the runs
between go to the Chinese backend; synonym variants are merged into their canonical word;
then filters drop, in this order, punctuation, numbers, stopwords, short tokens and tokens
whose POS is not kept. The first filter that drops a token is the one counted in the report.

Two passes give the same table and counts (the tests compare them):
``segment.vector`` (the default settings, per-token work in C loops and numpy) and
``segment.loop`` (synonyms, presegmented text, and the reference). Both memoise every
decision per raw ``(word, tag)`` pair from the backend: kept as (token, tag), dropped by a
filter, or white space. A dropped word that is or holds a dictionary word is a :class:`_Drop`
naming both the filter and the word, so the same counts say how often each dictionary word
was a word of the backend (for the ``split`` rows of the report). See
``docs/segmentation.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core.store import write_part
from pipelines.segment.backends import build_backend
from pipelines.segment.lexicon import (
    DEFAULT_USER_TAG,
    DictEntry,
    checked_words,
    count_inside,
    count_occurrences,
    holding,
)
from pipelines.segment.loop import run_per_token
from pipelines.segment.text import (
    LATIN_WORD,
    han_points,
    has_han,
    is_number,
    is_punctuation,
    normalise_latin,
    traditional_documents,
)
from pipelines.segment.types import (
    _ENG,
    _LATIN,
    _PRESEG,
    _UNKNOWN,
    FILTERS,
    TOKENS_SCHEMA,
    Pair,
    PartitionResult,
    Settings,
    ShortRuns,
    _Drop,
    _Memo,
    document_counts,
    split_latin,
)
from pipelines.segment.vector import run_vectorised

__all__ = ["Segmenter", "Decisions", "Part", "dictionary_counts", "segment_part",
           "write_partition"]

#: Codes of :attr:`Decisions.reason`: 0 kept, ``1 + FILTERS.index(name)`` dropped by that
#: filter, ``WHITE`` white space (the decision None).
KEPT = 0
WHITE = len(FILTERS) + 1
PUNCTUATION = 1 + FILTERS.index("punctuation")


@dataclass
class Decisions:
    """The decisions of many raw pairs as arrays (see :meth:`Segmenter.decide_many`).

    Attributes:
        reason: int8 per pair: ``KEPT``, ``1 + FILTERS.index(filter)`` or ``WHITE``.
        tokens: The kept token ("" if dropped).
        tags: Its tag ("" if dropped).
        oov: True for a kept token that is Chinese and not in the dictionary.
        split: The word the ``split`` report counts (the kept token, or the dropped word of a
            :class:`_Drop`), where it is or holds a checked dictionary word; else None.
        words: The normalised word, kept or dropped by a counting filter ("" for punctuation
            and white space): what the ``words`` column holds.
    """

    reason: np.ndarray
    tokens: list[str]
    tags: list[str]
    oov: np.ndarray
    split: list[str | None]
    words: list[str]

class Segmenter:
    """A configured segmenter: backend with user words, stopwords, synonyms and filters."""

    def __init__(self, settings: Settings) -> None:
        """Build the backend and compile the synonym table.

        Raises:
            BadInputFile: a dictionary entry is still split by the backend.
        """
        self.s = settings
        #: Call the backend sentence by sentence instead of once per paragraph: slower, same
        #: results (the tests compare the two).
        self.by_sentence = False
        #: Use the vectorised pass where it applies (``segment.vector``); False forces the
        #: per-token loop (the tests compare the two).
        self.vectorised = True
        #: The type codes of the vectorised pass, shared by the partitions this segmenter runs.
        self.vector_types: Any = None
        self._lemmas: dict[str, str] = {}
        # Chinese synonym words join the dictionary so the backend keeps them whole.
        known = {e.word for e in settings.entries}
        extra = []
        for syn in settings.synonyms:
            for word in (syn.variant, syn.canonical):
                if word not in known and has_han(word) and not any(c.isspace() for c in word):
                    extra.append(DictEntry(word, None, DEFAULT_USER_TAG, syn.source, syn.line))
                    known.add(word)
        self.backend = build_backend(settings.backend, settings.entries + tuple(extra))
        self._tag_raw = self.backend.tag_raw
        self._stop = frozenset(w.lower() for w in settings.stopwords)
        # backend pairs of a run of text without English words (the tests swap _tag_raw)
        self._run_keys = ShortRuns(lambda run: self._tag_raw(run))
        self._norm = _Memo(self._normalise)  # raw pair -> (token, tag), None for white space
        self._reason = _Memo(lambda pair: self._check(*pair))  # (token, tag) -> filter or None
        # raw pair -> (token, tag) if kept, else the filter that drops it (None: white space)
        self._info = _Memo(self._decide)
        self._oov = _Memo(lambda pair: self._is_oov(*pair))  # kept (token, tag) -> bool
        self._syn: dict[tuple[str, ...], str] = {}
        for syn in settings.synonyms:
            key = tuple(p[0] for p in self._pairs(self._text_keys(syn.variant)))
            if key:
                self._syn[key] = self._norm_canonical(syn.canonical)
        self._syn_max = max((len(k) for k in self._syn), default=0)
        self._syn_out = set(self._syn.values())
        #: dictionary words whose splits the report counts (none for presegmented text)
        self.checked = frozenset() if settings.presegmented else checked_words(settings.entries)

    def _norm_canonical(self, word: str) -> str:
        if LATIN_WORD.fullmatch(word):
            return self._latin(word)
        return word.lower() if self.s.lowercase else word

    def _latin(self, word: str) -> str:
        """``normalise_latin`` with this run's settings, memoised per segmenter."""
        cached = self._lemmas.get(word)
        if cached is not None:
            return cached
        out = normalise_latin(word, lemmatize=self.s.lemmatize, lowercase=self.s.lowercase)
        self._lemmas[word] = out
        return out

    def _text_keys(self, text: str) -> list[Pair]:
        """Raw pairs of a text before synonyms and filters, covering it in order.

        English words are ``(word as written, _LATIN)``, the runs between them are segmented
        by the backend (white space included); presegmented text is split on white space.
        The list may be shared with a memo: do not change it.
        """
        if self.s.presegmented:
            return [(t, _PRESEG) for t in text.split()]
        return split_latin(text, self._run_keys)

    def _normalise(self, key: Pair) -> Pair | None:
        """The token and tag of a raw pair before filters; None for white space."""
        word, tag = key
        if tag == _LATIN:
            return self._latin(word), _ENG
        if tag == _PRESEG:
            return self._preseg_token(word)
        if not word.strip():
            return None
        return word, self.backend.final_tag(word, tag)

    def _decide(self, key: Pair) -> Pair | str | _Drop | None:
        """Kept as (token, tag), dropped by a filter (its name, or a :class:`_Drop`), or
        None for white space; memoised through ``_info``."""
        return self._decided(self._norm[key], self._reason.__getitem__)

    def decide_type(self, key: Pair) -> Pair | str | _Drop | None:
        """:meth:`_decide` without filling the memos, for keys decided once anyway (the
        vectorised pass decides each type once)."""
        return self._decided(self._normalise(key), lambda pair: self._check(*pair))

    def decide_many(self, keys: list[Pair]) -> Decisions:
        """:meth:`decide_type` of many raw pairs at once, as arrays, with the out-of-dictionary
        check and the words the ``split`` report needs.

        Words of Han characters only (most of a Chinese text's types) are decided with array
        operations and C-level ``map`` calls, the rest one by one by :meth:`decide_type`; the
        tests compare both with :meth:`decide_type` pair by pair.
        """
        n = len(keys)
        reason = np.zeros(n, dtype=np.int8)
        tokens, tags = [""] * n, [""] * n
        oov = np.zeros(n, dtype=bool)
        split: list[str | None] = [None] * n
        if not n:
            return Decisions(reason, tokens, tags, oov, split, [])
        words = [k[0] for k in keys]
        plain = _han_words(words) if not self.s.presegmented else np.zeros(n, dtype=bool)
        fast = np.flatnonzero(plain).tolist()
        every = [""] * n
        for i in np.flatnonzero(~plain).tolist():
            self._decide_one(i, keys[i], reason, tokens, tags, oov, split)
            if reason[i] != WHITE and reason[i] != PUNCTUATION:
                every[i] = tokens[i] if reason[i] == KEPT else self._normalise(keys[i])[0]
        if fast:
            # a word of Han characters is never punctuation and is its own normal form
            self._decide_han(fast, keys, reason, tokens, tags, oov, split)
            for i in fast:
                every[i] = words[i]
        if not self.checked:
            split = [None] * n
        else:
            at = [i for i, w in enumerate(split) if w is not None]
            held = holding([split[i] for i in at], self.checked)
            for i, h in zip(at, held, strict=True):
                if not h:
                    split[i] = None
        return Decisions(reason, tokens, tags, oov, split, every)

    def _decide_one(self, i: int, key: Pair, reason: np.ndarray, tokens: list[str],
                    tags: list[str], oov: np.ndarray, split: list[str | None]) -> None:
        """Fill position ``i`` of the arrays of :meth:`decide_many` from :meth:`decide_type`."""
        d = self.decide_type(key)
        if d is None:
            reason[i] = WHITE
        elif d.__class__ is str:
            reason[i] = 1 + FILTERS.index(d)
        elif d.__class__ is _Drop:
            reason[i] = 1 + FILTERS.index(d.reason)
            split[i] = d.word
        else:
            tokens[i], tags[i] = d
            oov[i] = self._is_oov(*d)
            split[i] = d[0]

    def _decide_han(self, fast: list[int], keys: list[Pair], reason: np.ndarray,
                    tokens: list[str], tags: list[str], oov: np.ndarray,
                    split: list[str | None]) -> None:
        """:meth:`_decide_one` for words of Han characters only, with arrays.

        Such a word is no punctuation (every character is a letter), has a Han character, is
        its own lower case and is a number only as Chinese numerals tagged ``m``; so the
        filters reduce to a set lookup, the length, the tag, and :func:`is_number` for the
        words tagged ``m``.
        """
        words = [keys[i][0] for i in fast]
        final = list(map(self.backend.final_tag, words, [keys[i][1] for i in fast]))
        length = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        number = np.zeros(len(words), dtype=bool)
        for j, (w, t) in enumerate(zip(words, final, strict=True)):
            if t[:1] == "m" and is_number(w, t):
                number[j] = True
        stop = np.fromiter(map(self._stop.__contains__, words), dtype=bool, count=len(words))
        code = np.zeros(len(words), dtype=np.int8)
        if self.s.keep_pos:
            prefixes = tuple(self.s.keep_pos)
            other = np.fromiter((not t.startswith(prefixes) for t in final), dtype=bool,
                                count=len(words))
            code[other] = 1 + FILTERS.index("pos")
        code[~number & (length < self.s.min_length)] = 1 + FILTERS.index("short")
        code[stop] = 1 + FILTERS.index("stopword")
        if not self.s.keep_numbers:
            code[number] = 1 + FILTERS.index("number")
        reason[fast] = code
        checked = bool(self.checked)
        has_word = self.backend.has_word
        syn_out = self._syn_out
        for j, i in enumerate(fast):
            w = words[j]
            if code[j]:
                if checked and length[j] > 1:
                    split[i] = w
                continue
            t = final[j]
            tokens[i], tags[i] = w, t
            if checked:
                split[i] = w
            oov[i] = t != _UNKNOWN and w not in syn_out and not has_word(w)

    def _decided(self, pair: Pair | None, reason_of: Callable[[Pair], str | None]
                 ) -> Pair | str | _Drop | None:
        if pair is None:
            return None
        reason = reason_of(pair)
        if reason is None:
            return pair
        word = pair[0]
        if self.checked and len(word) > 1 and has_han(word):  # it may be or hold a checked word
            return _Drop(reason, word)
        return reason

    def _pairs(self, keys: list[Pair]) -> list[Pair]:
        """Normalised pairs of raw pairs, white space dropped."""
        return [p for p in map(self._norm.__getitem__, keys) if p is not None]

    def _preseg_token(self, token: str) -> Pair:
        if LATIN_WORD.fullmatch(token):
            return self._latin(token), _ENG
        if is_punctuation(token):
            return token, "x"
        if is_number(token, "m"):
            return token, "m"
        return token, _UNKNOWN

    def _check(self, tok: str, tag: str) -> str | None:
        """The first filter that drops the token, or None to keep it."""
        if is_punctuation(tok):
            return "punctuation"
        number = is_number(tok, tag)
        if number and not self.s.keep_numbers:
            return "number"
        if tok in self._stop or tok.lower() in self._stop:
            return "stopword"
        # English words need two characters (the regex already asks for one letter)
        if not number and len(tok) < (self.s.min_length if has_han(tok) else 2):
            return "short"
        if self.s.keep_pos and not any(tag.startswith(p) for p in self.s.keep_pos):
            return "pos"
        return None

    def _is_oov(self, tok: str, tag: str) -> bool:
        return (tag != _UNKNOWN and has_han(tok) and tok not in self._syn_out
                and not self.backend.has_word(tok))

    def tally(self, result: PartitionResult, decided: list[tuple[Any, int]],
              raw_decided: list[tuple[Any, int]] | None = None) -> None:
        """Add the report counts of ``(decision, how often)`` items to ``result``.

        ``raw_decided`` are the decisions of the backend's words before synonyms were merged
        (default: ``decided``); the ``split`` report needs those.
        """
        oov = self._oov
        for value, n in decided:
            if value.__class__ is str:
                result.removed[value] += n
            elif value.__class__ is _Drop:
                result.removed[value.reason] += n
            elif value is not None and oov[value]:
                result.oov[value[0]] += n
        if self.checked:
            counts: Counter = Counter()
            for value, n in decided if raw_decided is None else raw_decided:
                if value is not None and value.__class__ is not str:  # str: no checked word
                    counts[value.word if value.__class__ is _Drop else value[0]] += n
            # only the words that are or hold a checked word matter (dictionary_counts)
            found = list(counts)
            result.words.update({w: counts[w] for w, h in zip(found, holding(found, self.checked),
                                                                 strict=True) if h})

    def run(self, docs: list[tuple[str, str]], pool: pa.MemoryPool | None = None
            ) -> PartitionResult:
        """Segment documents given as ``(doc_id, text)`` pairs.

        Args:
            docs: The documents, in order.
            pool: Arrow memory pool for the token table (default: pyarrow's).

        Returns:
            The token table (rows in document order) and the report counts.
        """
        result = None
        if self.vectorised and not (self._syn or self.s.presegmented or self.by_sentence):
            result = run_vectorised(self, docs, pool)
        if result is None:
            result = self.run_per_token(docs, pool)
            result.documents, result.docs_kept = document_counts(result.table)
            if self.checked:
                result.occurrences.update(count_occurrences((t for _, t in docs), self.checked))
        if not self.s.presegmented:
            result.traditional = traditional_documents(docs)
        return result

    def run_per_token(self, docs: list[tuple[str, str]], pool: pa.MemoryPool | None = None
                      ) -> PartitionResult:
        """:meth:`run` token by token in Python (``segment.loop``): synonyms, presegmented
        text, and words that straddle a sentence end."""
        return run_per_token(self, docs, pool)


def _han_words(words: list[str]) -> np.ndarray:
    """True for each word made of Han characters only (``HAN``'s ranges), all letters."""
    n = len(words)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=n)
    points = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    han = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(han_points(points), out=han[1:])
    ends = np.cumsum(lengths)
    all_han = (han[ends] - han[ends - lengths] == lengths) & (lengths > 0)
    return all_han & np.fromiter(map(str.isalnum, words), dtype=bool, count=n)


def dictionary_counts(result: PartitionResult, checked: frozenset[str]) -> None:
    """Fill ``as_token`` and ``inside`` of a (merged) result from its ``words``."""
    words = result.words
    result.as_token.update({w: words[w] for w in checked if w in words})
    result.inside.update(count_inside(words, checked))


#: One partition: its index (its place in the tokens table), its ``(doc_id, text)`` pairs, and
#: the path of the part file it is written to.
Part = tuple[int, list[tuple[str, str]], str]


def write_partition(segmenter: Segmenter, docs: list[tuple[str, str]], path: str,
                    pool: pa.MemoryPool | None = None) -> PartitionResult:
    """Segment one partition and write its token rows as a part file at ``path``.

    Returns:
        The report counts (the table itself stays on disk: ``table`` is empty, ``written`` says
        how many rows the part holds).
    """
    result = segmenter.run(docs, pool)
    result.written = write_part(path, result.table)
    result.table = TOKENS_SCHEMA.empty_table()
    return result


_SEGMENTERS: dict[Settings, Segmenter] = {}


def segment_part(part: Part, settings: Settings) -> PartitionResult:
    """:func:`write_partition` in a fresh worker process or a Dask worker, with one
    :class:`Segmenter` per process and settings (the dictionary loads once per worker)."""
    segmenter = _SEGMENTERS.get(settings)
    if segmenter is None:
        _SEGMENTERS.clear()
        segmenter = _SEGMENTERS[settings] = Segmenter(settings)
    _, docs, path = part
    return write_partition(segmenter, docs, path)
