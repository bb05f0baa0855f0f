"""The per-token loop of the segment stage: synonyms, presegmented text, and the rare
paragraphs whose words straddle a sentence end.

The default settings take the vectorised pass (``segment.vector``), which gives the same
table; this loop is the reference it is tested against. Per paragraph, the backend is called
once per run between English words, not per sentence: both backends cut text into blocks at
white space and punctuation and segment each block on its own, and a sentence ends only after
an end mark or closing quote, or after a full stop followed by white space or an English word,
so the words are the same; the word lengths give each word's offset, and the words are handed
to the sentences they lie in. If a word ever straddled a sentence end, that paragraph is
segmented sentence by sentence instead (same results; ``Segmenter.by_sentence`` forces it).
Every decision is memoised per raw ``(word, tag)`` pair (see ``Segmenter._decide``); the
report counts come from one ``Counter`` of those decisions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from operator import itemgetter
from typing import TYPE_CHECKING

import pyarrow as pa

from pipelines.segment.text import ASCII_LETTER, has_han, sentence_ends, sentence_lang
from pipelines.segment.types import _ENG, Pair, PartitionResult, token_table

if TYPE_CHECKING:
    from pipelines.segment.worker import Segmenter

__all__ = ["run_per_token"]

_PUNCTUATION = "punctuation"  # the filter whose words are no words (FILTERS[0])
_first = itemgetter(0)
_second = itemgetter(1)


def run_per_token(seg: Segmenter, docs: list[tuple[str, str]], pool: pa.MemoryPool | None = None
                  ) -> PartitionResult:
    """``Segmenter.run`` token by token in Python: synonyms, presegmented text, and words that
    straddle a sentence end."""
    ids: list[str] = []
    para_ids: list[int] = []
    sent_ids: list[int] = []
    langs: list[str] = []
    flat: list[Pair] = []
    offsets = [0]
    every: list[str] = []  # the ``words`` column, flat
    every_offsets = [0]
    # decisions -> how often: kept pairs, filter names or _Drop (dropped), None (space)
    counts: Counter = Counter()
    info = seg._info.__getitem__
    synonyms = bool(seg._syn)
    # with synonyms, counts are of decisions after the merge; the backend's raw pairs are
    # counted apart for the split report
    raw: Counter | None = Counter() if synonyms and seg.checked else None
    for doc_id, text in docs:
        sent_id = 0
        for para_id, para in enumerate((text or "").split("\n")):
            if not para or para.isspace():
                continue
            ends = sentence_ends(para)
            keys, cuts = _paragraph(seg, para, ends)
            if not synonyms:
                raw_keys = keys
                keys = list(map(info, keys))
                counts.update(keys)
            elif raw is not None:
                raw.update(keys)
            latin = ASCII_LETTER.search(para) is not None
            start = i = 0
            for end, j in zip(ends, cuts, strict=True):
                piece = para[start:end]
                if piece and not piece.isspace():
                    if synonyms:
                        merged = _merge_synonyms(seg, seg._pairs(keys[i:j]))
                        decided = [seg._reason[p] or p for p in merged]
                        counts.update(decided)
                        kept = [p for p in decided if p.__class__ is tuple]
                        words = [p[0] for p, d in zip(merged, decided, strict=True)
                                 if d != _PUNCTUATION]
                    else:
                        kept = [p for p in keys[i:j] if p.__class__ is tuple]
                        words = _words(seg, raw_keys[i:j], keys[i:j])
                    if words:
                        flat += kept
                        offsets.append(len(flat))
                        every += words
                        every_offsets.append(len(every))
                        ids.append(doc_id)
                        para_ids.append(para_id)
                        sent_ids.append(sent_id)
                        langs.append(sentence_lang(piece) if latin else "zh")
                    sent_id += 1
                start, i = end, j
    result = PartitionResult()
    seg.tally(result, list(counts.items()),
               [(info(k), n) for k, n in raw.items()] if synonyms else None)
    result.table = token_table(
        pa.array(ids, pa.string(), memory_pool=pool), para_ids, sent_ids, offsets,
        pa.array(list(map(_first, flat)), pa.string(), memory_pool=pool),
        pa.array(list(map(_second, flat)), pa.string(), memory_pool=pool), langs,
        (every_offsets, pa.array(every, pa.string(), memory_pool=pool)), pool)
    return result


def _words(seg: Segmenter, raw_keys: list[Pair], decided: list) -> list[str]:
    """The normalised word of every raw pair that is neither white space nor punctuation,
    kept or dropped by a counting filter (``decided``: their decisions)."""
    out = []
    for key, d in zip(raw_keys, decided, strict=True):
        if d is None:
            continue
        if d.__class__ is tuple:
            out.append(d[0])
        elif (d if d.__class__ is str else d.reason) != _PUNCTUATION:
            out.append(seg._norm[key][0])
    return out


def _paragraph(seg: Segmenter, para: str, ends: list[int]) -> tuple[list[Pair], list[int]]:
    """Raw pairs of a paragraph and, for each piece (see ``sentence_ends``), the index
    after its last pair."""
    if not (seg.s.presegmented or seg.by_sentence):
        keys = seg._text_keys(para)
        cum = list(accumulate([len(w) for w, _ in keys]))
        if cum and cum[-1] == len(para):
            cuts = [bisect_right(cum, e) for e in ends]
            # the pair after each cut must start exactly at the piece end
            if all(j == len(cum) or (cum[j - 1] if j else 0) == e
                   for e, j in zip(ends, cuts, strict=True)):
                return keys, cuts
    # piece by piece: presegmented text, or words that do not line up with the pieces
    keys, cuts, start = [], [], 0
    for end in ends:
        keys += seg._text_keys(para[start:end].strip())
        cuts.append(len(keys))
        start = end
    return keys, cuts


def _merge_synonyms(seg: Segmenter, toks: list[Pair]) -> list[Pair]:
    """Replace the longest matching variant sequences by their canonical word."""
    out, i = [], 0
    words = [t for t, _ in toks]
    while i < len(toks):
        for n in range(min(seg._syn_max, len(toks) - i), 0, -1):
            canonical = seg._syn.get(tuple(words[i:i + n]))
            if canonical is not None:
                tag = "nz" if has_han(canonical) else _ENG
                out.append((canonical, tag))
                i += n
                break
        else:
            out.append(toks[i])
            i += 1
    return out
