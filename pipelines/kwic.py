"""Keyword in context: every occurrence of a term with the original text on either side.

Used by ``wenmai kwic TERM``. The term is looked up among the words of ``segment/tokens``
(its ``words`` column: every word of the text as segmented, stopwords and words the POS filter
drops included, so a word the counting filters remove is still found; a word segmentation never
cuts out is not, e.g. 教育 inside 职业教育), then located
in the original sentence text of ``ingest/documents``; the context is taken from the
paragraph around it, so it may run into the neighbouring sentences.
"""

from __future__ import annotations

import re

import pyarrow as pa

from pipelines.core.errors import BadParams, SchemaError
from pipelines.core.store import StoredTable, iter_batches
from pipelines.segment.text import LATIN_WORD, has_han, normalise_latin, split_sentences

__all__ = ["KWIC_SCHEMA", "kwic"]

KWIC_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("title", pa.string()),
    ("year", pa.int32()),
    ("sent_id", pa.int32()),
    ("left", pa.string()),
    ("keyword", pa.string()),
    ("right", pa.string()),
])


def kwic(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable, term: str, *,
         width: int = 20, limit: int | None = None) -> pa.Table:
    """Concordance lines of ``term``; both tables are read a batch at a time.

    Args:
        documents: ``ingest/documents`` (doc_id, title, text).
        tokens: ``segment/tokens`` (doc_id, sent_id, words).
        term: A word as it appears in the words column; English in any case and any
            inflection (``Policy``, ``policies`` and ``policy`` find "Policies").
        width: Characters of context on each side.
        limit: Stop after this many lines (None: all).

    Returns:
        Columns doc_id, title, year, sent_id, left, keyword, right; in document and sentence
        order, one row per literal occurrence in a sentence where ``term`` is a word (an
        occurrence inside a longer word of that same sentence is shown too). ``keyword`` is
        the text as written ("Policies"). A token made by a synonym
        table (职业教育 for "vocational education") has no surface form and is not shown.

    Raises:
        BadParams: empty term or width below 0.
    """
    term = term.strip()
    if not term:
        raise BadParams("kwic: the term is empty; give the word to look for")
    if width < 0:
        raise BadParams(f"kwic: width={width} is below 0")
    forms = _forms(term)
    wanted: dict[str, set[int]] = {}
    if "words" not in tokens.schema.names:
        raise SchemaError("kwic: segment/tokens lacks column words (every word of the text); "
                          "rerun `wenmai segment --force`")
    for batch in iter_batches(tokens, ["doc_id", "sent_id", "words"]):
        for doc_id, sent_id, toks in zip(batch.column(0).to_pylist(),
                                         batch.column(1).to_pylist(),
                                         batch.column(2).to_pylist(), strict=True):
            if not forms.isdisjoint(toks or ()):
                wanted.setdefault(doc_id, set()).add(sent_id)

    names = documents.schema.names
    columns = ["doc_id", "text"] + [c for c in ("title", "year") if c in names]
    rows: list[dict[str, object]] = []
    # English terms are matched word by word on their normalised form, Chinese literally
    latin = None if has_han(term) else LATIN_WORD
    for batch in iter_batches(documents, columns, rows=4096):
        data = batch.to_pydict()
        for i, doc_id in enumerate(data["doc_id"]):
            sent_ids = wanted.get(doc_id)
            if not sent_ids:
                continue
            text = data["text"][i] or ""
            title = data["title"][i] if "title" in data else None
            year = data["year"][i] if "year" in data else None
            paragraphs = text.split("\n")
            for sent in split_sentences(text):
                if sent.sent_id not in sent_ids:
                    continue
                para = paragraphs[sent.para_id]
                for start, end in _occurrences(sent.text, term, latin, forms):
                    s, e = sent.start + start, sent.start + end
                    rows.append({"doc_id": doc_id, "title": title, "sent_id": sent.sent_id,
                                 "year": int(year) if year is not None else None,
                                 "left": para[max(0, s - width):s], "keyword": para[s:e],
                                 "right": para[e:e + width]})
                    if limit is not None and len(rows) >= limit:
                        return pa.Table.from_pylist(rows, schema=KWIC_SCHEMA)
    return pa.Table.from_pylist(rows, schema=KWIC_SCHEMA)


def _forms(term: str) -> set[str]:
    """The token forms ``term`` may take in the tokens table: itself, and for English its
    lower-cased and lemmatised forms (segment lower-cases and lemmatises by default)."""
    if has_han(term):
        return {term}
    low = term.lower()
    return {term, low, normalise_latin(term), normalise_latin(low),
            normalise_latin(term, lemmatize=False)}


def _occurrences(sentence: str, term: str, latin: re.Pattern[str] | None,
                 forms: set[str]) -> list[tuple[int, int]]:
    """Spans of ``term`` in ``sentence``: literal for Chinese, by word form for English
    (case-insensitive)."""
    if latin is None:
        return [(m.start(), m.end()) for m in re.finditer(re.escape(term), sentence)]
    spans = []
    wanted = {f.lower() for f in forms}
    for m in latin.finditer(sentence):
        word = m.group()
        low = word.lower()
        if not wanted.isdisjoint((low, normalise_latin(word), normalise_latin(low),
                                  normalise_latin(word, lemmatize=False))):
            spans.append((m.start(), m.end()))
    return spans
