"""The part-of-speech tags a token can carry, so ``keep_pos`` can refuse a tag that none has.

jieba tags Chinese words with the ICTCLAS/PKU tag set: the tags of its dictionary
(``jieba/dict.txt``) and of its HMM for unknown words (``jieba/posseg/char_state_tab.py``),
listed in jieba's README ("词性标注"). English words are tagged ``eng``, numbers ``m``,
punctuation and unknowns ``x``; a user dictionary may add tags of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.core.errors import BadParams

__all__ = ["JIEBA_TAGS", "check_keep_pos"]

#: Every tag in jieba 0.42's dict.txt and HMM states, and ``eng`` for English words.
JIEBA_TAGS = frozenset((
    "a", "ad", "ag", "an", "b", "bg", "c", "d", "df", "dg", "e", "eng", "f", "g", "h", "i", "in",
    "j", "jn", "k", "l", "ln", "m", "mg", "mq", "n", "ng", "nr", "nrfg", "nrt", "ns", "nt", "nz",
    "o", "p", "q", "qe", "qg", "r", "rg", "rr", "rz", "s", "t", "tg", "u", "ud", "ug", "uj", "ul",
    "uv", "uz", "v", "vd", "vg", "vi", "vn", "vq", "x", "y", "yg", "z", "zg",
))


def check_keep_pos(keep_pos: Iterable[str], user_tags: Iterable[str] = ()) -> None:
    """Raise BadParams for a ``keep_pos`` prefix that no tag starts with, listing the tags.

    Args:
        keep_pos: The prefixes to keep (``n`` keeps ``n``, ``nr``, ``ns`` ...).
        user_tags: Tags the loaded user dictionaries give their words.
    """
    known = JIEBA_TAGS | set(user_tags)
    bad = [p for p in keep_pos if not any(tag.startswith(p) for tag in known)]
    if bad:
        raise BadParams(f"segment: --keep-pos {','.join(bad)}: no token has a tag starting "
                        f"with {'it' if len(bad) == 1 else 'them'}; the tags are "
                        f"{' '.join(sorted(known))} (a tag keeps every tag it starts, n: nr, ns, "
                        "nz ...)")
