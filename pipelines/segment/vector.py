"""The vectorised pass of the segment stage: the default settings at full speed.

:meth:`Segmenter.run_per_token <pipelines.segment.worker.Segmenter.run_per_token>` walks every
token in Python; this pass gives the same table and counts with the per-token work done by
C loops and numpy:

1. Each paragraph goes to the backend once (English words cut out first, as in
   ``Segmenter._text_keys``), and each word becomes an integer *type* code through a memo,
   with one C-level ``map`` per paragraph into an ``array``. With rjieba, whose tag of a word
   depends on the word alone (jieba-rs tags after cutting, by dictionary lookup), the text is
   only cut and each new word is tagged once; jieba's posseg tags by context, so there the
   key is the (word, tag) pair.
2. Each type gets the decision of ``Segmenter._decide`` (kept as token and tag, or dropped
   by a filter) once, whatever its frequency.
3. The sentence pieces of each paragraph (``sentence_ends``) are found by character offset:
   the cumulative lengths of the words (numpy) are searched for each piece end. If words do
   not line up with the piece ends (never seen on the shared corpora) the pass gives up and
   the caller runs the per-token loop, which handles them.
4. Kept tokens, their rows and the report counts come from array operations on the codes
   (``bincount``, boolean masks, ``take``).

Used when there is no synonym table and the text is not presegmented (the per-token loop does
those); the tests compare both on tricky text for every setting they share.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.segment.text import ASCII_LETTER, sentence_ends
from pipelines.segment.types import (
    _LATIN,
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
        self.lengths: list[int] = []  # per code: characters of the raw word
        self.latin = bytearray()  # per code: 1 for an English word
        self.pending: list[str] = []  # words whose tag is not known yet
        # per code, filled by :meth:`decide` after each partition
        self.decisions: list[Any] = []  # Segmenter._decide of the pair
        self.tokens: list[str] = []  # the kept token ("" if dropped)
        self.tags: list[str] = []  # its tag ("" if dropped)
        self.kept = bytearray()  # 1 if kept
        self.word = bytearray()  # 1 unless white space (decision None)

    def decide(self, info: Callable[[Pair], Any]) -> None:
        """Decide the codes added since the last call (every pair must have its tag)."""
        new = list(map(info, self.pairs[len(self.decisions):]))
        self.decisions += new
        for d in new:
            kept = d.__class__ is tuple
            self.tokens.append(d[0] if kept else "")
            self.tags.append(d[1] if kept else "")
            self.kept.append(kept)
            self.word.append(d is not None)

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


def _key_function(segmenter: Segmenter) -> Callable[[str], list[Key]]:
    """The keys of a text: English words as ``(word, _LATIN)`` pairs, the runs between them
    as words (where the backend tags by the word) or raw pairs; they cover the text."""
    cut = segmenter.backend.cut_words
    if cut is None:
        return segmenter._text_keys
    run_words = ShortRuns(cut)
    return lambda text: split_latin(text, run_words)


class _Paragraphs:
    """The non-blank paragraphs of a partition, column by column, with their pieces."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.doc: list[int] = []  # index of the document
        self.para_id: list[int] = []  # index of the line in the document
        self.tokens: list[int] = []  # tokens up to the paragraph's end
        self.pieces: list[int] = []  # how many pieces (``sentence_ends``) it is cut into
        self.piece_ends: list[int] = []  # the end offsets of all pieces, paragraph by paragraph


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
    paras = _Paragraphs()
    with _collector_paused():  # millions of words, no cycles: nothing for it to find
        if segmenter.backend.cut_words is None:
            code_arr = _codes_by_key(segmenter, types, docs, paras)
        else:
            code_arr = _codes_by_text(segmenter, types, docs, paras)
    if code_arr is None:
        return None
    pieces = _Pieces.of(paras, np.asarray(types.lengths, dtype=np.int64)[code_arr])
    if pieces is None:
        return None
    types.decide(segmenter.decide_type)
    return _result(segmenter, types, code_arr, pieces, paras, docs, pool)


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


def _add_paragraph(paras: _Paragraphs, para: str, doc: int, para_id: int, tokens: int) -> None:
    ends = sentence_ends(para)
    paras.text.append(para)
    paras.doc.append(doc)
    paras.para_id.append(para_id)
    paras.tokens.append(tokens)
    paras.pieces.append(len(ends))
    paras.piece_ends.extend(ends)


def _codes_by_key(segmenter: Segmenter, types: _Types, docs: list[tuple[str, str]],
                  paras: _Paragraphs) -> np.ndarray | None:
    """The type codes of every word, paragraph by paragraph through the memo (jieba, whose
    keys are raw pairs); None if a word's tag is not found (see :meth:`_Types.resolve`)."""
    code_of = types.__getitem__
    keys_of = _key_function(segmenter)
    codes = array("i")
    for doc, (_, text) in enumerate(docs):
        for para_id, para in enumerate((text or "").split("\n")):
            if not para or para.isspace():
                continue
            codes.extend(map(code_of, keys_of(para)))
            if types.pending and not types.resolve(segmenter._text_keys(para)):
                segmenter.vector_types = None  # it holds words without a tag
                return None
            _add_paragraph(paras, para, doc, para_id, len(codes))
    return np.frombuffer(codes, dtype=np.int32) if codes else np.zeros(0, np.int32)


def _codes_by_text(segmenter: Segmenter, types: _Types, docs: list[tuple[str, str]],
                   paras: _Paragraphs) -> np.ndarray | None:
    """The type codes of every word where the backend tags a word by the word alone (rjieba).

    The paragraphs of the partition, joined by new lines, go to the backend in one call
    (English words cut out first): it cuts text into blocks at white space and segments each
    block on its own, so each paragraph gets the words it gets alone, and each new line is a
    word of its own (checked; else the paragraphs are cut one by one). The word lengths cut
    the UTF-8 text into an Arrow string array, which Arrow dictionary-encodes in C; only the
    distinct words go through the memo. A word whose tag
    depends on its context takes it from tagging the paragraph it first occurs in, as in
    :func:`_codes_by_key`. None if the words do not cover the paragraphs exactly or such a
    tag is not found.
    """
    cut = getattr(segmenter, "_vector_cut", None)
    if cut is None:
        cut = segmenter._vector_cut = ShortRuns(segmenter.backend.cut_words)
    for doc, (_, text) in enumerate(docs):
        for para_id, para in enumerate((text or "").split("\n")):
            if para and not para.isspace():
                _add_paragraph(paras, para, doc, para_id, 0)
    if not paras.text:
        return np.zeros(0, np.int32)
    joined = "\n".join(paras.text)
    if len(joined) >= 2**29:  # int32 offsets of the UTF-8 text
        return _codes_of_words(segmenter, types, _words_by_paragraph(paras, cut), paras)
    words = split_latin(joined, cut, keyed=False)
    encoded = _encode(joined, words, paras.text)
    if encoded is None:
        words = _words_by_paragraph(paras, cut)
        encoded = _encode(joined, words, paras.text)
        if encoded is None:
            return _codes_of_words(segmenter, types, words, paras)
    distinct, indices, tokens = encoded
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


def _encode(joined: str, words: list[str], paras: list[str]
            ) -> tuple[list[str], np.ndarray, list[int]] | None:
    """The distinct words, each word's index among them, and the words up to the end of each
    paragraph, the new lines between paragraphs left out; None unless the words spell
    ``joined`` (by length) with each new line a word of its own.

    The word lengths cut the UTF-8 text into an Arrow string array (the backend's words are
    slices of the text), so no word is converted to UTF-8 on its own.
    """
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    char_end = np.cumsum(lengths)
    if not len(words) or char_end[-1] != len(joined):
        return None
    try:
        data = joined.encode("utf-8")
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates
        return None
    width = (1 + (points >= 0x80).astype(np.int32) + (points >= 0x800)
             + (points >= 0x10000))
    byte_at = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(width, out=byte_at[1:])
    offsets = np.concatenate([[0], byte_at[char_end]]).astype(np.int32)
    strings = pa.StringArray.from_buffers(len(words), pa.py_buffer(offsets), pa.py_buffer(data))
    encoded = strings.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    if len(paras) == 1:
        return distinct, indices, [len(indices)]
    newline = distinct.index("\n") if "\n" in distinct else -1
    sep = np.flatnonzero(indices == newline)
    if len(sep) != len(paras) - 1 or not np.array_equal((char_end - lengths)[sep],
                                                        np.flatnonzero(points == 0x0A)):
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
    pending = np.asarray([types[w] for w in types.pending], dtype=np.int32)
    where = np.flatnonzero(np.isin(codes, pending))
    firsts: dict[int, int] = {}
    for pos, code in zip(where.tolist(), codes[where].tolist(), strict=True):
        firsts.setdefault(code, pos)
    para_of = np.searchsorted(np.asarray(paras.tokens), np.asarray(sorted(firsts.values())),
                              side="right")
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
        npieces = np.asarray(paras.pieces, dtype=np.int64)
        para = np.repeat(np.arange(len(npieces)), npieces)
        end = np.asarray(paras.piece_ends, dtype=np.int64)
        if not len(end):
            return cls(para, end, end, end)
        para_len = np.fromiter(map(len, paras.text), dtype=np.int64, count=len(paras.text))
        base = np.cumsum(para_len) - para_len  # where each paragraph starts
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


def _result(segmenter: Segmenter, types: _Types, codes: np.ndarray, pieces: _Pieces,
            paras: _Paragraphs, docs: list[tuple[str, str]], pool: pa.MemoryPool | None
            ) -> PartitionResult:
    """The token table and report counts from the type codes and the pieces.

    A piece is blank (it gets no sentence id) when all its words are white space, whose
    decision is None; a piece becomes a row when it keeps a token.
    """
    decisions = types.decisions
    kept_type = np.frombuffer(bytes(types.kept), dtype=bool)
    word_type = np.frombuffer(bytes(types.word), dtype=bool)
    n = len(pieces.cuts)
    kept = kept_type[codes]
    per_piece = _per_piece(kept, pieces.cuts)
    nonblank = (_per_piece(word_type[codes], pieces.cuts) > 0).astype(np.int64)
    doc = np.asarray(paras.doc, dtype=np.int64)[pieces.para]
    before = np.cumsum(nonblank) - nonblank  # non-blank pieces before each piece
    doc_first = np.flatnonzero(np.diff(doc, prepend=-1))
    sent_id = before - np.repeat(before[doc_first], np.diff(np.append(doc_first, n)))
    chosen = np.flatnonzero(per_piece)
    doc_ids = pc.take(pa.array([d for d, _ in docs], pa.string(), memory_pool=pool),
                      pa.array(doc[chosen]), memory_pool=pool)
    tokens = pa.array(types.tokens, pa.string(), memory_pool=pool)
    tags = pa.array(types.tags, pa.string(), memory_pool=pool)
    take = pa.array(codes[kept], memory_pool=pool)
    table = token_table(
        doc_ids, np.asarray(paras.para_id, dtype=np.int32)[pieces.para[chosen]],
        sent_id[chosen].astype(np.int32),
        np.concatenate([[0], np.cumsum(per_piece[chosen])]).astype(np.int32),
        pc.take(tokens, take, memory_pool=pool), pc.take(tags, take, memory_pool=pool),
        _languages(paras.text, pieces, chosen, codes,
                   np.frombuffer(bytes(types.latin), dtype=bool), pool), pool)
    result = PartitionResult(table=table)
    how_often = np.bincount(codes, minlength=len(decisions))
    seen = np.flatnonzero(how_often).tolist()  # types of earlier partitions may not occur
    segmenter.tally(result, [(decisions[i], n) for i, n in zip(seen, how_often[seen].tolist(),
                                                               strict=True)])
    return result


def _per_piece(flags: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """How many of each piece's tokens have their flag set (``cuts``: tokens up to the end
    of each piece), from one cumulative sum."""
    cum = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum(flags, out=cum[1:])
    at = cum[cuts]
    return np.diff(at, prepend=0)


def _languages(texts: list[str], pieces: _Pieces, chosen: np.ndarray, codes: np.ndarray,
               latin_type: np.ndarray, pool: pa.MemoryPool | None = None) -> pa.Array:
    """``sentence_lang`` of the chosen pieces, from counts: the Han characters of each piece
    (``HAN``'s ranges over the code points of the text) and the English words among its
    words (a piece's words are exactly its text, and English words are cut out by
    ``LATIN_WORD`` as ``sentence_lang`` finds them)."""
    if not len(chosen):
        return pa.array([], pa.string(), memory_pool=pool)
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    han = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(((points >= 0x3400) & (points <= 0x4DBF)) | ((points >= 0x4E00) & (points <= 0x9FFF))
              | ((points >= 0xF900) & (points <= 0xFAFF)), out=han[1:])
    para_len = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    base = (np.cumsum(para_len) - para_len)[pieces.para[chosen]]
    han_count = han[base + pieces.end[chosen]] - han[base + pieces.start[chosen]]
    english = _per_piece(latin_type[codes], pieces.cuts)[chosen]
    return pc.if_else(pa.array(2 * english > han_count, memory_pool=pool), "en", "zh",
                      memory_pool=pool)
