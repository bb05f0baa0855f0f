"""Where sentences begin and end: shared by segment (which numbers them as ``sent_id``) and by
every stage that must point back from a ``sent_id`` to its characters (code, kwic).

These are pure functions on strings, so a ``sent_id`` in the tokens table always names the same
piece of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "sentence_ends", "split_sentences"]

# A sentence ends after Chinese or ASCII end marks (with any closing quotes/brackets), after a
# full stop followed by white space or the end of the line, or after a full stop glued to the
# next capitalised word ("education.The focus", common in text extracted from PDFs).
# Written as one character class first, so the regex engine skips quickly to candidates:
#   [。！？!?；;…]+[”’"'」』）)》]*  |  \.+(?=\s|$)  |  (?<=[a-z])\.(?=[A-Z])
_SENT_END = re.compile(
    r"[。！？!?；;….]"
    r"(?:(?<=[^.])[。！？!?；;…]*[”’\"'」』）)》]*"
    r"|(?<=\.)\.*(?=\s|$)"
    r"|(?<=[a-z]\.)(?=[A-Z]))"
)


@dataclass(frozen=True)
class Sentence:
    """One sentence: where it sits in the document and its text."""

    para_id: int
    sent_id: int
    start: int  # offset of the first character inside the paragraph
    end: int  # offset after the last character inside the paragraph
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Split a document into sentences, paragraph by paragraph.

    Paragraphs are the ``\\n``-separated lines of ``text``; a sentence never crosses one.
    Blank sentences get no id, so ids count the non-blank sentences of the document.

    Args:
        text: The document text.

    Returns:
        The sentences in document order, stripped of surrounding white space.

    >>> [s.text for s in split_sentences("职业教育很重要。We agree. Yes!\\n第二段")]
    ['职业教育很重要。', 'We agree.', 'Yes!', '第二段']
    """
    out: list[Sentence] = []
    for para_id, para in enumerate(text.split("\n")):
        start = 0
        for end in sentence_ends(para):
            _add(out, para_id, para, start, end)
            start = end
    return out


def sentence_ends(para: str) -> list[int]:
    """End offsets of the pieces a paragraph is cut into; the last one is ``len(para)``.

    A piece runs from the previous end (or 0) to its end; :func:`split_sentences` strips each
    piece and skips the blank ones.

    >>> sentence_ends("好。 Yes! ok")
    [2, 7, 10]
    """
    ends = [m.end() for m in _SENT_END.finditer(para)]
    ends.append(len(para))
    return ends


def _add(out: list[Sentence], para_id: int, para: str, start: int, end: int) -> None:
    piece = para[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    out.append(Sentence(para_id, len(out), s, s + len(stripped), stripped))
