"""The two Chinese word segmenters behind the segment stage: rjieba (default) and jieba.

Both use jieba's dictionary and precise mode with HMM new-word discovery, and both tag with
jieba's (ICTCLAS-style) tagset. Each call of :func:`build_backend` makes a fresh segmenter
instance with the user dictionaries loaded into it, so one run's words never leak into
another; ``jieba.cut`` is never touched, and rjieba's import-time instance serves only the
first segmenter of a process (see ``_fresh_rjieba``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from pipelines.core.errors import BadInputFile, BadParams
from pipelines.segment.lexicon import DictEntry

__all__ = ["BACKENDS", "Backend", "build_backend"]

BACKENDS = ("rjieba", "jieba")


class Backend(Protocol):
    """What the stage needs from a segmenter."""

    name: str

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Segment ``text`` into (word, POS tag) pairs."""

    def tag_raw(self, text: str) -> list[tuple[str, str]]:
        """(word, tag as the library gives it) pairs; :meth:`final_tag` turns it into the tag.

        The words cover ``text`` exactly (white space included), and text is cut into blocks
        at white space and punctuation that are segmented independently of each other.
        """

    def final_tag(self, word: str, tag: str) -> str:
        """The tag :meth:`tag` gives a pair of :meth:`tag_raw`."""

    def cut_plain(self, text: str) -> list[str]:
        """Segment by the dictionary alone (no HMM), to check that a word stays whole."""

    def has_word(self, word: str) -> bool:
        """True if ``word`` is in the dictionary (base or user)."""

    #: Segment ``text`` into the words of :meth:`tag_raw` without tags, where a word's tag
    #: depends on the word alone (then :meth:`word_tag` gives it); None otherwise.
    cut_words: Callable[[str], list[str]] | None

    def word_tag(self, word: str) -> str | None:
        """The raw tag of ``word`` if tagging it alone keeps it whole, else None."""


class _JiebaBackend:
    """jieba (pure Python), with its own ``Tokenizer`` and ``POSTokenizer``."""

    name = "jieba"
    #: posseg's HMM tags a word it found by the context it is in
    cut_words = None

    def __init__(self) -> None:
        import jieba
        import jieba.posseg

        # jieba prints "Building prefix dict ..." through its logger while it loads.
        jieba.setLogLevel(logging.WARNING)
        self._tok = jieba.Tokenizer()
        self._tok.initialize()
        self._pos = jieba.posseg.POSTokenizer(self._tok)
        _memoise_hmm(self._pos)

    def add_word(self, word: str, freq: int | None, tag: str) -> None:
        self._tok.add_word(word, freq, tag)
        # posseg keeps its own tag table, filled from the dictionary file when it was made
        self._pos.word_tag_tab[word] = tag

    def tag(self, text: str) -> list[tuple[str, str]]:
        return self.tag_raw(text)

    def tag_raw(self, text: str) -> list[tuple[str, str]]:
        return [(p.word, p.flag) for p in self._pos.cut(text, HMM=True)]

    def final_tag(self, word: str, tag: str) -> str:
        return tag

    def cut_plain(self, text: str) -> list[str]:
        return list(self._tok.cut(text, HMM=False))

    def has_word(self, word: str) -> bool:
        return self._tok.FREQ.get(word, 0) > 0

    def word_tag(self, word: str) -> str | None:
        return None


def _memoise_hmm(pos: object) -> None:
    """Memoise the POS-HMM of one ``POSTokenizer`` instance (two thirds of jieba's time).

    posseg hands each run of characters that the dictionary does not cover to the private
    ``__cut_detail``, which runs a Viterbi search whose result depends only on that string and
    on jieba's fixed HMM tables; such runs repeat a lot ("的", names, short phrases), so the
    instance's method is replaced by one that keeps each run's words. Nothing else changes,
    and other jieba versions without that method are left alone.
    """
    name = "_POSTokenizer__cut_detail"
    detail = getattr(pos, name, None)
    if detail is None:
        return
    memo: dict[str, list] = {}

    def cut_detail(text: str) -> list:
        words = memo.get(text)
        if words is None:
            words = memo[text] = list(detail(text))
        return words

    setattr(pos, name, cut_detail)


class _RjiebaBackend:
    """rjieba (Rust jieba-rs bindings), with its own ``rjieba.Jieba`` instance."""

    name = "rjieba"

    def __init__(self) -> None:
        self._jb = _fresh_rjieba()
        # jieba-rs tags after cutting, each word by the dictionary (else "eng", "m" or "x" by
        # its characters), so a word has one tag wherever it is
        self.cut_words = functools.partial(self._jb.cut, hmm=True)

        # rjieba keeps the base dictionary's tag when a user entry re-tags a known word
        self._user_tags: dict[str, str] = {}

    def add_word(self, word: str, freq: int | None, tag: str) -> None:
        self._jb.add_word(word, freq, tag)
        self._user_tags[word] = tag

    def tag(self, text: str) -> list[tuple[str, str]]:
        # rjieba tags an unknown word with "" where jieba says "x"
        tags = self._user_tags
        return [(w, tags.get(w) or t or "x") for w, t in self._jb.tag(text, hmm=True)]

    def tag_raw(self, text: str) -> list[tuple[str, str]]:
        return self._jb.tag(text, hmm=True)

    def final_tag(self, word: str, tag: str) -> str:
        return self._user_tags.get(word) or tag or "x"

    def cut_plain(self, text: str) -> list[str]:
        return list(self._jb.cut(text, hmm=False))

    def has_word(self, word: str) -> bool:
        return bool(self._jb.has_word(word))

    def word_tag(self, word: str) -> str | None:
        pairs = self._jb.tag(word, hmm=True)
        return pairs[0][1] if len(pairs) == 1 else None

    def word_tags(self, words: list[str]) -> list[str | None]:
        """:meth:`word_tag` of each word, the words of letters and digits (Han words) tagged
        in one call on them joined by new lines.

        jieba-rs cuts text into blocks at white space and segments and tags each block on its
        own, so such a word gives between two new lines what it gives alone; the words
        between the new lines are checked to spell each word, else each is tagged alone.
        """
        batch = [w for w in words if w.isalnum()]
        tags: dict[str, str | None] = {}
        if batch:
            pairs = self._jb.tag("\n".join(batch) + "\n", hmm=True)
            got: list[str] = []
            i = 0
            for word, tag in pairs:
                if word != "\n":
                    got.append(word)
                    last = tag
                    continue
                if i >= len(batch) or "".join(got) != batch[i]:
                    tags.clear()
                    break
                tags[batch[i]] = last if len(got) == 1 else None
                got.clear()
                i += 1
            if i != len(batch) or got:
                tags.clear()
        word_tag = self.word_tag
        return [tags[w] if w in tags else word_tag(w) for w in words]


#: Whether this process has handed out the instance ``import rjieba`` builds.
_RJIEBA_DEFAULT_TAKEN = False


def _fresh_rjieba() -> Any:
    """A ``rjieba.Jieba`` no other segmenter has used.

    ``import rjieba`` builds an instance for its module-level functions (0.08 s, a fifth of
    a run on 3 MB); the first segmenter of a process takes that one instead of building a
    second, later ones get new instances. wenmai never calls the module-level functions
    (``rjieba.cut``), which see the first segmenter's user words.
    """
    global _RJIEBA_DEFAULT_TAKEN
    import rjieba

    default = getattr(rjieba, "_DEFAULT_JIEBA", None)
    if not _RJIEBA_DEFAULT_TAKEN and isinstance(default, rjieba.Jieba):
        _RJIEBA_DEFAULT_TAKEN = True
        return default
    return rjieba.Jieba()


def build_backend(name: str, entries: Iterable[DictEntry], *, check: bool = True) -> Backend:
    """Make a segmenter and load the dictionary entries into it.

    Args:
        name: ``"rjieba"`` or ``"jieba"``.
        entries: User-dictionary words, loaded in order (a later entry overrides an earlier).
        check: After loading, segment each entry on its own and require it to stay whole.

    Returns:
        The segmenter.

    Raises:
        BadParams: unknown backend name.
        BadInputFile: an entry is still split (its frequency is too low); the message names
            the file and line.
    """
    if name == "jieba":
        backend: _JiebaBackend | _RjiebaBackend = _JiebaBackend()
    elif name == "rjieba":
        backend = _RjiebaBackend()
    else:
        raise BadParams(f"segment: backend={name!r} is not allowed; choose from "
                        + ", ".join(BACKENDS))
    entries = list(entries)
    for e in entries:
        backend.add_word(e.word, e.freq, e.tag)
    if check:
        final = {e.word: e for e in entries}
        for e in final.values():
            if e.freq == 0:  # freq 0 asks jieba to split the word: nothing to check
                continue
            parts = backend.cut_plain(e.word)
            if parts != [e.word]:
                raise BadInputFile(
                    f"{e.source}, line {e.line}: {name} still splits {e.word!r} into "
                    f"{' / '.join(parts)}; raise its frequency or leave the frequency out")
    return backend
