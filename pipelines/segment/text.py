"""Text helpers of the segment stage: sentences, scripts, English words, token classes.

These are pure functions on strings; ``kwic`` uses :func:`split_sentences` too, so a
``sent_id`` in the tokens table always points back to the same piece of the original text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from pipelines.core.script import HAN, has_han
from pipelines.core.sentences import Sentence, sentence_ends, split_sentences

__all__ = [
    "Sentence",
    "sentence_ends",
    "split_sentences",
    "split_scripts",
    "LATIN_WORD",
    "ASCII_LETTER",
    "sentence_lang",
    "is_punctuation",
    "is_number",
    "has_han",
    "normalise_latin",
    "english_lemmatizer",
    "t2s_converter",
    "traditional_documents",
    "han_points",
]

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_HAN = HAN

#: An English word: letters and digits with at least one letter, joined by inner hyphens or
#: apostrophes, so ``vocational``, ``COVID-19``, ``e-commerce``, ``5G`` and ``don't`` are kept.
#: Same as ``[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*``, written with one
#: character first so the regex engine skips quickly to candidates.
LATIN_WORD = re.compile(r"[A-Za-z0-9](?:(?<=[A-Za-z])[A-Za-z0-9]*|[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*)"
                        r"(?:[-'’][A-Za-z0-9]+)*")
#: An ASCII letter: text without one holds no English word.
ASCII_LETTER = re.compile(r"[A-Za-z]")

_NUMBER = re.compile(r"[+\-－]?[\d０-９]+(?:[.,．，:：/][\d０-９]+)*[%％‰]?")
_CN_NUMERALS = set("〇○零一二三四五六七八九十百千万亿两几第半")
_DATE_UNITS = "年月日号"


def split_scripts(text: str) -> Iterator[tuple[bool, str]]:
    """Cut text into English words and the (Chinese, numeric, punctuation) runs between them.

    Args:
        text: One sentence.

    Yields:
        ``(True, word)`` for each English word and ``(False, run)`` for each run between.

    >>> list(split_scripts("发展e-commerce产业"))
    [(False, '发展'), (True, 'e-commerce'), (False, '产业')]
    """
    pos = 0
    for m in LATIN_WORD.finditer(text):
        if m.start() > pos:
            yield False, text[pos:m.start()]
        yield True, m.group()
        pos = m.end()
    if pos < len(text):
        yield False, text[pos:]


def sentence_lang(text: str) -> str:
    """``"zh"`` or ``"en"``: the majority script of a sentence.

    Each Han character counts one and each English word counts two (about the length of a
    Chinese word), so a Chinese sentence quoting an English term stays ``zh``; a tie is ``zh``.

    >>> sentence_lang("本文采用LDA模型"), sentence_lang("We use 职业教育 data here")
    ('zh', 'en')
    """
    han = len(_HAN.findall(text))
    words = sum(1 for _ in LATIN_WORD.finditer(text))
    return "en" if 2 * words > han else "zh"



def is_punctuation(token: str) -> bool:
    """True if the token has no letter, Han character or digit (punctuation, symbols, space):
    no character of a Unicode category L* or N*, which are exactly those ``[^\\W_]`` finds."""
    return _LETTER_OR_DIGIT.search(token) is None


def is_number(token: str, pos: str) -> bool:
    """True for numerals: digits (``2020``, ``3.5%``, ``１９８９``), or Chinese numerals tagged m.

    >>> is_number("3.5%", "m"), is_number("二十", "m"), is_number("十三五", "nz")
    (True, True, False)
    >>> is_number("一九五四年", "m"), is_number("2017年", "m"), is_number("年", "m")
    (True, True, False)
    """
    if _NUMBER.fullmatch(token):
        return True
    # a date written in numerals is a number too: 一九五四年, 2017年, 十月
    core = token.rstrip(_DATE_UNITS) if len(token) > 1 else token
    if core and core != token and _NUMBER.fullmatch(core):
        return True
    return bool(core) and pos.startswith("m") and all(c in _CN_NUMERALS for c in core)


def normalise_latin(word: str, *, lemmatize: bool = True, lowercase: bool = True) -> str:
    """Normalise an English word: drop a possessive 's, lemmatise, lower-case.

    Acronyms (``US``, ``LDA``) and words with hyphens or digits are kept as written; so are
    ``-ing`` forms, which in policy text are mostly nouns (training, funding) that simplemma,
    having no POS, would turn into verbs.

    >>> [normalise_latin(w) for w in ("Policies", "China's", "US", "training", "was")]
    ['policy', 'china', 'us', 'training', 'be']
    """
    out = word
    if out[-2:] in ("'s", "’s"):
        out = out[:-2]
    if (lemmatize and out.isalpha() and not (out.isupper() and len(out) > 1)
            and not out.lower().endswith("ing")):
        out = english_lemmatizer().lemmatize(out, lang="en")
    return out.lower() if lowercase else out


@functools.cache
def english_lemmatizer() -> Any:
    """simplemma's lemmatizer, its English data read from a cached trie where it can be.

    simplemma decodes its whole English dictionary on first use (about 0.3 s, every run);
    its trie factory does that once and keeps the result in the user cache folder
    (``~/.cache/simplemma``), which later runs open in about a millisecond. Both give the
    same lemmas; without ``marisa-trie`` the plain dictionary is used.
    """
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    try:
        from simplemma.strategies.dictionaries import TrieDictionaryFactory

        factory = TrieDictionaryFactory()
    except ImportError:  # marisa-trie or platformdirs missing
        return Lemmatizer()
    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))


#: A document is reported as traditional Chinese when at least this share of the Han
#: characters among its first ``TRADITIONAL_SAMPLE`` characters are ones OpenCC converts.
TRADITIONAL_SHARE = 0.02
TRADITIONAL_SAMPLE = 2000


def han_points(points: Any) -> Any:
    """A boolean numpy array: which code points (a uint32 array) lie in ``HAN``'s ranges."""
    return (((points >= 0x3400) & (points <= 0x4DBF)) | ((points >= 0x4E00) & (points <= 0x9FFF))
            | ((points >= 0xF900) & (points <= 0xFAFF)))


def _han_and_changed(before: str, after: str) -> tuple[int, int]:
    """Han characters of ``before``, and characters that differ in ``after`` at the same
    position (over the shorter length)."""
    import numpy as np

    a = np.frombuffer(before.encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer(after.encode("utf-32-le"), dtype=np.uint32)
    n = min(len(a), len(b))
    han = han_points(a)
    return int(np.count_nonzero(han)), int(np.count_nonzero(a[:n] != b[:n]))


@functools.cache
def t2s_converter() -> Any:
    """OpenCC's traditional-to-simplified converter, loaded once."""
    import opencc

    return opencc.OpenCC("t2s")


def traditional_documents(docs: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Documents written largely in traditional characters, which the (simplified) dictionaries
    cut poorly and jieba's POS-HMM slowly (40 times slower per character).

    Returns:
        ``(doc_id, characters converted)`` for each document whose first
        ``TRADITIONAL_SAMPLE`` characters OpenCC's t2s changes in at least
        ``TRADITIONAL_SHARE`` of its Han characters; about 10 ms per 250 documents.
    """
    t2s = t2s_converter()
    out = []
    for doc_id, text in docs:
        sample = (text or "")[:TRADITIONAL_SAMPLE]
        han, changed = _han_and_changed(sample, t2s.convert(sample))
        if han and changed >= TRADITIONAL_SHARE * han:
            out.append((doc_id, changed))
    return out
