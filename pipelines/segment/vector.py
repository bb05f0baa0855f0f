"""The vectorised pass of the segment stage: the default settings at full speed.

:meth:`Segmenter.run_per_token <pipelines.segment.worker.Segmenter.run_per_token>` walks every
token in Python; this pass gives the same table and counts with the per-token work done by
C loops and numpy:

1. The non-blank paragraphs of the partition are joined by new lines; one pass of the sentence
   regular expression over that text gives every piece end (``sentence_ends``).
2. The joined text goes to the backend in one call (English words cut out first, as in
   ``Segmenter._text_keys``) and each word becomes an integer *type* code: the word lengths
   cut the UTF-8 text into an Arrow string array, which Arrow dictionary-encodes in C, and
   only the distinct words go through the memo. With rjieba, whose tag of a word depends on
   the word alone (jieba-rs tags after cutting, by dictionary lookup), the text is only cut
   and the new words are tagged in one call; jieba's posseg tags by context, so there each
   paragraph goes through the memo of raw (word, tag) pairs.
3. The new types get the decision of ``Segmenter._decide`` (kept as token and tag, or dropped
   by a filter) in one batch (``Segmenter.decide_many``), once whatever their frequency.
4. The pieces are found by character offset: the cumulative lengths of the words (numpy) are
   searched for each piece end. If words do not line up with the piece ends (never seen on
   the shared corpora) the pass gives up and the caller runs the per-token loop.
5. Kept tokens, their rows and the report counts (removed per filter, out-of-dictionary
   words, dictionary words for the ``split`` rows, documents per term for the ``common`` rows)
   come from array operations on the codes (``bincount``, boolean masks, ``take``).

Used when there is no synonym table and the text is not presegmented (the per-token loop does
those); the tests compare both on tricky text for every setting they share.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.segment.lexicon import count_occurrences
from pipelines.segment.text import ASCII_LETTER, han_points, sentence_ends
from pipelines.segment.types import (
    _LATIN,
    FILTERS,
    Pair,
    PartitionResult,
    ShortRuns,
    split_latin,
    token_table,
)

if TYPE_CHECKING:
    from pipelines.segment.worker import Segmenter

__all__ = ["run_vectorised"]

Key = str | Pair
_WHITE = len(FILTERS) + 1  # worker.WHITE: the decision None (white space)
_PUNCTUATION = 1 + FILTERS.index("punctuation")  # worker.PUNCTUATION


class _Types(dict):
    """Raw key -> type code; each new key gets the next code and its raw ``(word, tag)`` pair.

    A key is a raw pair, or, where the backend tags a word by the word alone, just the word;
    its tag then comes from tagging the word alone, or, if that cuts it differently, from
    :meth:`resolve` with the raw pairs of the text it came from.
    """

    def __init__(self, word_tag: Callable[[str], str | None]) -> None:
        super().__init__()
        self.word_tag = word_tag
        self.pairs: list[Pair | None] = []  # per code: the raw pair (None: tag not known yet)
        self.lengths = array("q")  # per code: characters of the raw word
        self.latin = bytearray()  # per code: 1 for an English word
        self.pending: list[str] = []  # words whose tag is not known yet
        # per code, filled by :meth:`decide` after each partition (see worker.Decisions)
        self.reason = bytearray()
        self.tokens: list[str] = []  # the kept token ("" if dropped)
        self.tags: list[str] = []  # its tag ("" if dropped)
        self.oov = bytearray()
        self.split: list[str | None] = []
        self.arrays: tuple[pa.Array, pa.Array] | None = None  # tokens and tags, in Arrow
        self.every: pa.Array | None = None  # the normalised word of each code ("": none)
        self.term = array("i")  # index of the kept token in ``terms`` (-1 if dropped)
        self.terms: list[str] = []  # the distinct kept tokens
        self._term_of: dict[str, int] = {}

    def decide(self, segmenter: Segmenter) -> None:
        """Decide the codes added since the last call (every pair must have its tag)."""
        new = self.pairs[len(self.reason):]
        if not new:
            return
        d = segmenter.decide_many(new)  # type: ignore[arg-type]
        # the system allocator: these arrays outlive partitions, forked workers included
        pool = pa.system_memory_pool()
        tokens, tags = pa.array(d.tokens, pa.string(), memory_pool=pool), pa.array(
            d.tags, pa.string(), memory_pool=pool)
        if self.arrays is not None:
            tokens = pa.concat_arrays([self.arrays[0], tokens], memory_pool=pool)
            tags = pa.concat_arrays([self.arrays[1], tags], memory_pool=pool)
        self.arrays = tokens, tags
        every = pa.array(d.words, pa.string(), memory_pool=pool)
        self.every = every if self.every is None else pa.concat_arrays([self.every, every],
                                                                       memory_pool=pool)
        self.reason += d.reason.tobytes()
        self.tokens += d.tokens
        self.tags += d.tags
        self.oov += d.oov.tobytes()
        self.split += d.split
        term_of, terms = self._term_of, self.terms
        for token, r in zip(d.tokens, d.reason.tolist(), strict=True):
            if r:
                self.term.append(-1)
                continue
            t = term_of.get(token)
            if t is None:
                t = term_of[token] = len(terms)
                terms.append(token)
            self.term.append(t)

    def __missing__(self, key: Key) -> int:
        return self.add(key, self.word_tag(key) if key.__class__ is str else None)

    def add(self, key: Key, tag: str | None) -> int:
        """A new code for ``key``; a word (str key) gets ``tag``, its tag alone (None: it
        is cut differently alone, and its tag comes from :meth:`resolve`)."""
        code = self[key] = len(self.pairs)
        if key.__class__ is str:
            if tag is None:
                self.pending.append(key)
            self.pairs.append(None if tag is None else (key, tag))
            self.lengths.append(len(key))
            self.latin.append(0)
        else:
            self.pairs.append(key)
            self.lengths.append(len(key[0]))
            self.latin.append(key[1] == _LATIN)
        return code

    def resolve(self, pairs: list[Pair]) -> bool:
        """Take the tags of pending words from ``pairs``; False if one is still pending."""
        tags = dict(pairs)
        still = []
        for word in self.pending:
            tag = tags.get(word)
            if tag is None:
                still.append(word)
            else:
                self.pairs[self[word]] = (word, tag)
        self.pending = still
        return not still

    def flags(self, name: str) -> np.ndarray:
        """A per-code bytearray as a numpy array (a copy)."""
        return np.frombuffer(bytes(getattr(self, name)), dtype=np.uint8)


def _key_function(segmenter: Segmenter) -> Callable[[str], list[Key]]:
    """The keys of a text: English words as ``(word, _LATIN)`` pairs, the runs between them
    as words (where the backend tags by the word) or raw pairs; they cover the text."""
    cut = segmenter.backend.cut_words
    if cut is None:
        return segmenter._text_keys
    run_words = ShortRuns(cut)
    return lambda text: split_latin(text, run_words)


class _Paragraphs:
    """The non-blank paragraphs of a partition joined by new lines, with their pieces."""

    def __init__(self, docs: list[tuple[str, str]]) -> None:
        self.text: list[str] = []
        doc: list[int] = []  # index of the document
        para_id: list[int] = []  # index of the line in the document
        for d, (_, text) in enumerate(docs):
            if not text:
                continue
            for p, para in enumerate(text.split("\n")):
                if para and not para.isspace():
                    self.text.append(para)
                    doc.append(d)
                    para_id.append(p)
        self.doc = np.asarray(doc, dtype=np.int64)
        self.para_id = np.asarray(para_id, dtype=np.int32)
        self.joined = "\n".join(self.text)
        self.length = np.fromiter(map(len, self.text), dtype=np.int64, count=len(self.text))
        self.start = np.cumsum(self.length + 1) - (self.length + 1)  # offset in ``joined``
        self.tokens: list[int] = []  # tokens up to the paragraph's end
        self._points: np.ndarray | None = None

    def points(self) -> np.ndarray:
        """The code points of ``joined`` (uint32)."""
        if self._points is None:
            self._points = np.frombuffer(self.joined.encode("utf-32-le", "surrogatepass"),
                                         dtype=np.uint32)
        return self._points

    def pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """How many pieces each paragraph is cut into, and the end offsets of all pieces (in
        the paragraph), paragraph by paragraph: ``sentence_ends`` of each paragraph.

        One pass over the joined text gives the same ends: no match of the sentence regex
        holds or looks across a new line, and its ``$`` (a paragraph's end) is a new line
        (``\\s``) in the joined text; each paragraph then gets its own length as last end.
        """
        found = np.asarray(sentence_ends(self.joined)[:-1], dtype=np.int64)
        para_of = np.searchsorted(self.start, found, side="right") - 1
        n = len(self.text)
        ends = np.concatenate([found, self.start + self.length])
        owner = np.concatenate([para_of, np.arange(n, dtype=np.int64)])
        # by position; a paragraph's own end after any match ending there
        order = np.lexsort((np.r_[np.zeros(len(found), np.int8), np.ones(n, np.int8)], ends))
        owner = owner[order]
        return np.bincount(owner, minlength=n), ends[order] - self.start[owner]


def run_vectorised(segmenter: Segmenter, docs: list[tuple[str, str]],
                   pool: pa.MemoryPool | None = None) -> PartitionResult | None:
    """Segment ``(doc_id, text)`` pairs like ``Segmenter.run_per_token``; None if words
    straddle a sentence end somewhere (the caller then takes the per-token loop).

    Args:
        segmenter: A segmenter without synonyms and not presegmented.
        docs: The documents, in order.
        pool: Arrow memory pool for the token table.
    """
    types = segmenter.vector_types
    if types is None:  # kept by the segmenter: its partitions share the type codes
        types = segmenter.vector_types = _Types(segmenter.backend.word_tag)
    paras = _Paragraphs(docs)
    with _collector_paused():  # millions of words, no cycles: nothing for it to find
        if segmenter.backend.cut_words is None:
            code_arr = _codes_by_key(segmenter, types, paras)
        else:
            code_arr = _codes_by_text(segmenter, types, paras)
    if code_arr is None:
        return None
    pieces = _Pieces.of(paras, np.frombuffer(types.lengths, dtype=np.int64)[code_arr])
    if pieces is None:
        return None
    types.decide(segmenter)
    result = _result(types, code_arr, pieces, paras, docs, pool)
    if segmenter.checked:
        result.occurrences.update(count_occurrences(paras.points(), segmenter.checked))
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while (it would walk the growing word lists again
    at every collection), back on afterwards if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _codes_by_key(segmenter: Segmenter, types: _Types, paras: _Paragraphs
                  ) -> np.ndarray | None:
    """The type codes of every word, paragraph by paragraph through the memo (jieba, whose
    keys are raw pairs); None if a word's tag is not found (see :meth:`_Types.resolve`)."""
    code_of = types.__getitem__
    keys_of = _key_function(segmenter)
    codes = array("i")
    for para in paras.text:
        codes.extend(map(code_of, keys_of(para)))
        if types.pending and not types.resolve(segmenter._text_keys(para)):
            segmenter.vector_types = None  # it holds words without a tag
            return None
        paras.tokens.append(len(codes))
    return np.frombuffer(codes, dtype=np.int32) if codes else np.zeros(0, np.int32)


def _codes_by_text(segmenter: Segmenter, types: _Types, paras: _Paragraphs
                   ) -> np.ndarray | None:
    """The type codes of every word where the backend tags a word by the word alone (rjieba).

    The paragraphs of the partition, joined by new lines, go to the backend in one call
    (English words cut out first): it cuts text into blocks at white space and segments each
    block on its own, so each paragraph gets the words it gets alone, and each new line is a
    word of its own (checked; else the paragraphs are cut one by one). The word lengths cut
    the UTF-8 text into an Arrow string array, which Arrow dictionary-encodes in C; only the
    distinct words go through the memo. A word whose tag depends on its context takes it from
    tagging the paragraph it first occurs in, as in :func:`_codes_by_key`. None if the words
    do not cover the paragraphs exactly or such a tag is not found.
    """
    cut = getattr(segmenter, "_vector_cut", None)
    if cut is None:
        cut = segmenter._vector_cut = ShortRuns(segmenter.backend.cut_words)
    if not paras.text:
        return np.zeros(0, np.int32)
    joined = paras.joined
    if len(joined) >= 2**29:  # int32 offsets of the UTF-8 text
        return _codes_of_words(segmenter, types, _words_by_paragraph(paras, cut), paras)
    words = split_latin(joined, cut, keyed=False)
    encoded = _encode(paras, words)
    if encoded is None:
        words = _words_by_paragraph(paras, cut)
        encoded = _encode(paras, words)
        if encoded is None:
            return _codes_of_words(segmenter, types, words, paras)
    distinct, indices, tokens = encoded
    del words
    paras.tokens = tokens
    keys = list(map(_key_of_word, distinct))
    word_tags = getattr(segmenter.backend, "word_tags", None)
    if word_tags is not None:  # tag the new words in one call
        new = [k for k in keys if k.__class__ is str and k not in types]
        for word, tag in zip(new, word_tags(new), strict=True):
            types.add(word, tag)
    local = np.fromiter(map(types.__getitem__, keys), dtype=np.int32, count=len(keys))
    codes = local[indices]
    if types.pending and not _resolve_in_context(segmenter, types, codes, paras):
        return None
    return codes


def _words_by_paragraph(paras: _Paragraphs, cut: ShortRuns) -> list[str]:
    """The words of each paragraph, cut one by one, with a new line between paragraphs."""
    words: list[str] = []
    for i, para in enumerate(paras.text):
        if i:
            words.append("\n")
        words += split_latin(para, cut, keyed=False)
    return words


def _encode(paras: _Paragraphs, words: list[str]
            ) -> tuple[list[str], np.ndarray, list[int]] | None:
    """The distinct words, each word's index among them, and the words up to the end of each
    paragraph, the new lines between paragraphs left out; None unless the words spell
    ``paras.joined`` (by length) with each new line a word of its own.

    The word lengths cut the UTF-8 text into an Arrow string array (the backend's words are
    slices of the text), so no word is converted to UTF-8 on its own.
    """
    joined = paras.joined
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    char_end = np.cumsum(lengths)
    if not len(words) or char_end[-1] != len(joined):
        return None
    try:
        data = joined.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    points = paras.points()
    width = (1 + (points >= 0x80).astype(np.int32) + (points >= 0x800)
             + (points >= 0x10000))
    byte_at = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(width, out=byte_at[1:])
    offsets = np.concatenate([[0], byte_at[char_end]]).astype(np.int32)
    strings = pa.StringArray.from_buffers(len(words), pa.py_buffer(offsets), pa.py_buffer(data))
    encoded = strings.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    if len(paras.text) == 1:
        return distinct, indices, [len(indices)]
    newline = distinct.index("\n") if "\n" in distinct else -1
    sep = np.flatnonzero(indices == newline)
    if len(sep) != len(paras.text) - 1 or not np.array_equal((char_end - lengths)[sep],
                                                             paras.start[1:] - 1):
        return None
    keep = np.ones(len(indices), dtype=bool)
    keep[sep] = False
    tokens = (sep - np.arange(len(sep))).tolist() + [len(indices) - len(sep)]
    return distinct, indices[keep], tokens


def _key_of_word(word: str) -> Key:
    """The memo key of a word of :func:`_codes_by_text`: an English word (the only words with
    an ASCII letter, see ``split_latin``) is ``(word, _LATIN)``."""
    return (word, _LATIN) if ASCII_LETTER.search(word) else word


def _codes_of_words(segmenter: Segmenter, types: _Types, words: list[str],
                    paras: _Paragraphs) -> np.ndarray | None:
    """:func:`_codes_by_text` through the memo word by word (``words`` of the paragraphs
    cut one by one, new lines between; for text without a UTF-8 form)."""
    codes: list[int] = []
    tokens: list[int] = []
    code_of = types.__getitem__
    for word in words:
        if word == "\n":
            tokens.append(len(codes))
        else:
            codes.append(code_of(_key_of_word(word)))
    paras.tokens = tokens + [len(codes)]
    code_arr = np.asarray(codes, dtype=np.int32)
    if types.pending and not _resolve_in_context(segmenter, types, code_arr, paras):
        return None
    return code_arr


def _resolve_in_context(segmenter: Segmenter, types: _Types, codes: np.ndarray,
                        paras: _Paragraphs) -> bool:
    """Give each pending word the tag the backend gives it in the paragraph where it first
    occurs (its code is new, so that paragraph lies in this partition)."""
    pending = np.zeros(len(types.pairs), dtype=bool)
    pending[[types[w] for w in types.pending]] = True
    where = np.flatnonzero(pending[codes])
    _, first = np.unique(codes[where], return_index=True)
    para_of = np.searchsorted(np.asarray(paras.tokens), np.sort(where[first]), side="right")
    for p in dict.fromkeys(para_of.tolist()):
        if types.resolve(segmenter._text_keys(paras.text[p])):
            return True
    segmenter.vector_types = None  # it holds words without a tag
    return False


class _Pieces:
    """The pieces of every paragraph as arrays: where they lie in characters and in tokens."""

    def __init__(self, para: np.ndarray, start: np.ndarray, end: np.ndarray,
                 cuts: np.ndarray) -> None:
        self.para = para  # index of the paragraph of each piece
        self.start = start  # offsets of the piece in its paragraph
        self.end = end
        self.cuts = cuts  # tokens up to the end of each piece

    @classmethod
    def of(cls, paras: _Paragraphs, lengths: np.ndarray) -> _Pieces | None:
        """The pieces, from the word lengths; None unless every piece end falls between two
        words and each paragraph's words cover exactly that paragraph."""
        npieces, end = paras.pieces()
        para = np.repeat(np.arange(len(npieces)), npieces)
        if not len(end):
            return cls(para, end, end, end)
        base = paras.start - np.arange(len(paras.start))  # paragraph starts without new lines
        first = np.cumsum(npieces) - npieces  # index of each paragraph's first piece
        start = np.concatenate([[0], end[:-1]])
        start[first] = 0
        cum = np.cumsum(lengths)
        absolute = end + base[para]
        cuts = np.searchsorted(cum, absolute, side="right")
        if cuts.min() == 0 or not np.array_equal(cum[cuts - 1], absolute):
            return None
        if not np.array_equal(cuts[first + npieces - 1], np.asarray(paras.tokens)):
            return None
        return cls(para, start, end, cuts)


def _result(types: _Types, codes: np.ndarray, pieces: _Pieces, paras: _Paragraphs,
            docs: list[tuple[str, str]], pool: pa.MemoryPool | None) -> PartitionResult:
    """The token table and report counts from the type codes and the pieces.

    A piece is blank (it gets no sentence id) when all its words are white space, whose
    decision is None; a piece becomes a row when it has a word (a token kept or dropped by a
    counting filter: anything but punctuation and white space).
    """
    reason = types.flags("reason")
    kept_type = reason == 0
    word_type = (reason != _WHITE) & (reason != _PUNCTUATION)
    n = len(pieces.cuts)
    kept = kept_type[codes]
    is_word = word_type[codes]
    per_piece = _per_piece(is_word, pieces.cuts)
    kept_per_piece = _per_piece(kept, pieces.cuts)
    nonblank = (_per_piece((reason != _WHITE)[codes], pieces.cuts) > 0).astype(np.int64)
    doc = paras.doc[pieces.para]
    before = np.cumsum(nonblank) - nonblank  # non-blank pieces before each piece
    doc_first = np.flatnonzero(np.diff(doc, prepend=-1))
    sent_id = before - np.repeat(before[doc_first], np.diff(np.append(doc_first, n)))
    chosen = np.flatnonzero(per_piece)
    doc_ids = pc.take(pa.array([d for d, _ in docs], pa.string(), memory_pool=pool),
                      pa.array(doc[chosen]), memory_pool=pool)
    kept_codes = codes[kept]
    tokens, tags = types.arrays or (pa.array([], pa.string()),) * 2
    every = types.every if types.every is not None else pa.array([], pa.string())
    take = pa.array(kept_codes, memory_pool=pool)
    table = token_table(
        doc_ids, paras.para_id[pieces.para[chosen]], sent_id[chosen].astype(np.int32),
        np.concatenate([[0], np.cumsum(kept_per_piece[chosen])]).astype(np.int32),
        pc.take(tokens, take, memory_pool=pool), pc.take(tags, take, memory_pool=pool),
        _languages(paras, pieces, chosen, codes, types.flags("latin").astype(bool), pool),
        (np.concatenate([[0], np.cumsum(per_piece[chosen])]).astype(np.int32),
         pc.take(every, pa.array(codes[is_word], memory_pool=pool), memory_pool=pool)),
        pool)
    result = PartitionResult(table=table)
    _tally(result, types, codes, reason)
    # documents per kept term: distinct (document, term) pairs of the kept tokens
    token_doc = np.repeat(doc, np.diff(pieces.cuts, prepend=0))[kept]
    _document_counts(result, types, token_doc, kept_codes)
    return result


def _tally(result: PartitionResult, types: _Types, codes: np.ndarray, reason: np.ndarray
           ) -> None:
    """The report counts of the partition: tokens removed per filter, out-of-dictionary
    words, and the words the ``split`` rows need."""
    how_often = np.bincount(codes, minlength=len(reason))
    removed = np.bincount(reason, weights=how_often, minlength=len(FILTERS) + 2)
    for i, name in enumerate(FILTERS, 1):
        if removed[i]:
            result.removed[name] += int(removed[i])
    tokens = types.tokens
    oov = np.flatnonzero(types.flags("oov").astype(bool) & (how_often > 0))
    for i, n in zip(oov.tolist(), how_often[oov].tolist(), strict=True):
        result.oov[tokens[i]] += n
    split = types.split
    counted = np.flatnonzero(how_often)
    for i, n in zip(counted.tolist(), how_often[counted].tolist(), strict=True):
        word = split[i]
        if word is not None:
            result.words[word] += n


def _document_counts(result: PartitionResult, types: _Types, token_doc: np.ndarray,
                     kept_codes: np.ndarray) -> None:
    """``result.documents``: in how many documents of the partition each kept term occurs."""
    if not len(kept_codes):
        return
    term = np.frombuffer(types.term, dtype=np.int32)[kept_codes].astype(np.int64)
    width = len(types.terms)
    first_doc = int(token_doc[0])
    docs = int(token_doc[-1]) - first_doc + 1  # token_doc is in document order
    if docs * width <= max(1 << 22, 8 * len(term)):  # a cell per (document, term)
        cells = np.zeros(docs * width, dtype=bool)
        cells[(token_doc - first_doc) * width + term] = True
        df = cells.reshape(docs, width).sum(axis=0)
    else:  # the distinct (document, term) pairs, hashed
        pairs = pc.unique(pa.array(token_doc * width + term)).to_numpy()
        df = np.bincount(pairs % width, minlength=width)
    seen = np.flatnonzero(df)
    terms = types.terms
    result.documents.update(dict(zip([terms[i] for i in seen.tolist()], df[seen].tolist(),
                                     strict=True)))
    result.docs_kept += 1 + int(np.count_nonzero(np.diff(token_doc)))  # in document order


def _per_piece(flags: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """How many of each piece's tokens have their flag set (``cuts``: tokens up to the end
    of each piece), from one cumulative sum."""
    cum = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum(flags, out=cum[1:])
    at = cum[cuts]
    return np.diff(at, prepend=0)


def _languages(paras: _Paragraphs, pieces: _Pieces, chosen: np.ndarray, codes: np.ndarray,
               latin_type: np.ndarray, pool: pa.MemoryPool | None = None) -> pa.Array:
    """``sentence_lang`` of the chosen pieces, from counts: the Han characters of each piece
    (``HAN``'s ranges over the code points of the text) and the English words among its
    words (a piece's words are exactly its text, and English words are cut out by
    ``LATIN_WORD`` as ``sentence_lang`` finds them)."""
    if not len(chosen):
        return pa.array([], pa.string(), memory_pool=pool)
    points = paras.points()
    han = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(han_points(points), out=han[1:])
    base = paras.start[pieces.para[chosen]]
    han_count = han[base + pieces.end[chosen]] - han[base + pieces.start[chosen]]
    english = _per_piece(latin_type[codes], pieces.cuts)[chosen]
    return pc.if_else(pa.array(2 * english > han_count, memory_pool=pool), "en", "zh",
                      memory_pool=pool)

