"""Turn sentences into filtered token lists: the per-partition work of the segment stage.

:func:`segment_partition` is module-level so ``engine.map_partitions`` can run it in worker
processes; each call builds its own :class:`Segmenter` (its own jieba/rjieba instance).

Per sentence: English words are cut out by script (``segment_text.split_scripts``) and
lemmatised with simplemma; the runs between go to the Chinese backend; synonym variants are
merged into their canonical word; then filters drop, in this order, punctuation, numbers,
stopwords, short tokens and tokens whose POS is not kept. The first filter that drops a
token is the one counted in the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipelines.segment_backends import build_backend
from pipelines.segment_lexicon import DEFAULT_USER_TAG, DictEntry, Synonym
from pipelines.segment_text import (
    LATIN_WORD,
    has_han,
    is_number,
    is_punctuation,
    normalise_latin,
    sentence_lang,
    split_scripts,
    split_sentences,
)

__all__ = ["FILTERS", "Settings", "PartitionResult", "Segmenter", "segment_partition"]

FILTERS = ("punctuation", "number", "stopword", "short", "pos")
_ENG = "eng"
_UNKNOWN = "un"


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
    """Token rows of one partition plus the counts the report needs."""

    rows: list[tuple[str, int, int, list[str], list[str], str]] = field(default_factory=list)
    removed: Counter = field(default_factory=Counter)
    oov: Counter = field(default_factory=Counter)


class Segmenter:
    """A configured segmenter: backend with user words, stopwords, synonyms and filters."""

    def __init__(self, settings: Settings) -> None:
        """Build the backend and compile the synonym table.

        Raises:
            BadInputFile: a dictionary entry is still split by the backend.
        """
        self.s = settings
        self._lemmas: dict[str, str] = {}
        self._reasons: dict[tuple[str, str], str | None] = {}
        # Chinese synonym words join the dictionary so the backend keeps them whole.
        known = {e.word for e in settings.entries}
        extra = []
        for syn in settings.synonyms:
            for word in (syn.variant, syn.canonical):
                if word not in known and has_han(word) and not any(c.isspace() for c in word):
                    extra.append(DictEntry(word, None, DEFAULT_USER_TAG, syn.source, syn.line))
                    known.add(word)
        self.backend = build_backend(settings.backend, settings.entries + tuple(extra))
        self._stop = frozenset(w.lower() for w in settings.stopwords)
        self._syn: dict[tuple[str, ...], str] = {}
        for syn in settings.synonyms:
            key = tuple(t for t, _ in self._raw(syn.variant))
            if key:
                self._syn[key] = self._norm_canonical(syn.canonical)
        self._syn_max = max((len(k) for k in self._syn), default=0)
        self._syn_out = set(self._syn.values())

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

    def _raw(self, text: str) -> list[tuple[str, str]]:
        """Tokens with tags before synonyms and filters (white space dropped)."""
        if self.s.presegmented:
            return [self._preseg_token(t) for t in text.split()]
        out = []
        for latin, piece in split_scripts(text):
            if latin:
                out.append((self._latin(piece), _ENG))
                continue
            for word, tag in self.backend.tag(piece):
                if word.strip():
                    out.append((word, tag))
        return out

    def _preseg_token(self, token: str) -> tuple[str, str]:
        if LATIN_WORD.fullmatch(token):
            return self._latin(token), _ENG
        if is_punctuation(token):
            return token, "x"
        if is_number(token, "m"):
            return token, "m"
        return token, _UNKNOWN

    def _merge_synonyms(self, toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Replace the longest matching variant sequences by their canonical word."""
        if not self._syn:
            return toks
        out, i = [], 0
        words = [t for t, _ in toks]
        while i < len(toks):
            for n in range(min(self._syn_max, len(toks) - i), 0, -1):
                canonical = self._syn.get(tuple(words[i:i + n]))
                if canonical is not None:
                    tag = "nz" if has_han(canonical) else _ENG
                    out.append((canonical, tag))
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return out

    def _drop_reason(self, tok: str, tag: str) -> str | None:
        """The first filter that drops the token, or None to keep it (memoised per run)."""
        key = (tok, tag)
        if key in self._reasons:
            return self._reasons[key]
        reason = self._check(tok, tag)
        self._reasons[key] = reason
        return reason

    def _check(self, tok: str, tag: str) -> str | None:
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

    def sentence(self, text: str, result: PartitionResult) -> tuple[list[str], list[str]]:
        """Segment and filter one sentence, adding its counts to ``result``.

        Returns:
            The kept tokens and their tags.
        """
        tokens, tags = [], []
        for tok, tag in self._merge_synonyms(self._raw(text)):
            reason = self._drop_reason(tok, tag)
            if reason is not None:
                result.removed[reason] += 1
                continue
            tokens.append(tok)
            tags.append(tag)
            if (tag != _UNKNOWN and has_han(tok) and tok not in self._syn_out
                    and not self.backend.has_word(tok)):
                result.oov[tok] += 1
        return tokens, tags

    def run(self, docs: list[tuple[str, str]]) -> PartitionResult:
        """Segment documents given as ``(doc_id, text)`` pairs."""
        result = PartitionResult()
        for doc_id, text in docs:
            for sent in split_sentences(text or ""):
                tokens, tags = self.sentence(sent.text, result)
                if tokens:
                    result.rows.append((doc_id, sent.para_id, sent.sent_id, tokens, tags,
                                        sentence_lang(sent.text)))
        return result


def segment_partition(docs: list[tuple[str, str]], settings: Settings) -> PartitionResult:
    """Segment one partition of documents with a fresh :class:`Segmenter`.

    Args:
        docs: ``(doc_id, text)`` pairs.
        settings: The loaded settings.

    Returns:
        The token rows (doc_id, para_id, sent_id, tokens, pos, lang) and report counts.
    """
    return Segmenter(settings).run(docs)
