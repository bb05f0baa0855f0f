"""Apply a codebook to one partition of documents: units, rule evaluation, coded segments.

Rules are evaluated as boolean arrays over all units of the partition at once. An atom (word,
phrase, regular expression, ``near``) is found per sentence, the smallest unit, and a unit
holds it when one of its sentences does; ``and``/``or``/``not`` then combine unit arrays, and a
scope evaluates its inner rule at the narrower level before lifting the result to the unit.
Sentences are cut with :func:`pipelines.core.sentences.split_sentences`, the splitter segment
numbers its ``sent_id`` with, so tokens and character offsets line up.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.code.codebook import Code, Codebook
from pipelines.code.rules import And, Near, Node, Not, Or, Phrase, Ref, Regex, Scope, Word, atoms
from pipelines.core.errors import WenmaiError
from pipelines.core.sentences import split_sentences

__all__ = ["LEVELS", "WORD_COLUMNS", "Units", "build_units", "Evaluator", "RuleTimeout",
           "code_partition"]

#: The columns of ``segment/tokens`` coding reads: rules see ``words``, every word of the text
#: as segmented (dictionary and synonyms applied), never the counting ``tokens``, so stopword
#: lists and POS filters do not change what a rule finds; ``tokens`` only tells which rule
#: words the counting filters drop (a warning of the report).
WORD_COLUMNS = ("doc_id", "sent_id", "words", "tokens")

LEVELS = ("sentence", "paragraph", "document")


class RuleTimeout(WenmaiError):
    """A rule ran longer than ``--rule-timeout`` on one batch of documents."""
_RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass
class Units:
    """The sentences, paragraphs and documents of one partition, with their words.

    Sentence arrays are aligned (one entry per non-blank sentence, in document order);
    ``para_of_sent``/``doc_of_sent``/``doc_of_para`` map each unit to the enclosing one.
    """

    doc_ids: list[str]
    texts: list[str]
    sent_text: list[str]
    sent_doc: np.ndarray
    sent_para: np.ndarray  # global paragraph index
    sent_id: np.ndarray
    sent_start: np.ndarray
    sent_end: np.ndarray
    para_doc: np.ndarray
    para_id: np.ndarray
    para_start: np.ndarray
    para_end: np.ndarray
    token_codes: np.ndarray  # vocabulary index of each token, in sentence order
    token_sent: np.ndarray  # sentence index of each token
    vocab: list[str]  # lower-cased

    def count(self, level: str) -> int:
        return {"sentence": len(self.sent_text), "paragraph": len(self.para_id),
                "document": len(self.doc_ids)}[level]

    def parent(self, level: str, to: str) -> np.ndarray:
        """Index of the enclosing ``to`` unit of each ``level`` unit."""
        if level == "sentence":
            return self.sent_para if to == "paragraph" else self.sent_doc
        return self.para_doc

    def spans(self, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                         np.ndarray]:
        """(doc index, para_id or -1, sent_id or -1, start, end) of every unit of a level."""
        if level == "sentence":
            return (self.sent_doc, self.para_id[self.sent_para], self.sent_id,
                    self.sent_start, self.sent_end)
        if level == "paragraph":
            return (self.para_doc, self.para_id, np.full(len(self.para_id), -1),
                    self.para_start, self.para_end)
        n = len(self.doc_ids)
        return (np.arange(n), np.full(n, -1), np.full(n, -1), np.zeros(n, dtype=np.int64),
                np.array([len(t) for t in self.texts], dtype=np.int64))

    def text(self, level: str, index: int) -> str:
        doc, _, _, start, end = (a[index] for a in self.spans(level))
        return self.texts[doc][start:end]


def build_units(doc_ids: list[str], texts: list[str], tokens: pa.Table) -> Units:
    """Cut the documents into sentences and paragraphs and attach the segmented words.

    Args:
        doc_ids: Document ids, in order.
        texts: Their texts (paragraphs separated by ``\\n``).
        tokens: ``segment/tokens`` rows of these documents (``doc_id``, ``sent_id``, ``words``).
    """
    sent_text, sent_doc, sent_para, sent_id, sent_start, sent_end = [], [], [], [], [], []
    para_doc, para_id, para_start, para_end = [], [], [], []
    key_of: dict[tuple[str, int], int] = {}
    for d, text in enumerate(texts):
        offsets, pos = [], 0
        lines = text.split("\n")
        for line in lines:
            offsets.append(pos)
            pos += len(line) + 1
        last_para = -1
        for s in split_sentences(text):
            if s.para_id != last_para:
                para_doc.append(d)
                para_id.append(s.para_id)
                line = lines[s.para_id]
                lead = len(line) - len(line.lstrip())
                para_start.append(offsets[s.para_id] + lead)
                para_end.append(offsets[s.para_id] + len(line.rstrip()))
                last_para = s.para_id
            key_of[(doc_ids[d], s.sent_id)] = len(sent_text)
            sent_text.append(s.text)
            sent_doc.append(d)
            sent_para.append(len(para_id) - 1)
            sent_id.append(s.sent_id)
            sent_start.append(offsets[s.para_id] + s.start)
            sent_end.append(offsets[s.para_id] + s.end)
    token_codes, token_sent, vocab = _tokens(tokens, key_of)
    as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return Units(list(doc_ids), list(texts), sent_text, as_int(sent_doc), as_int(sent_para),
                 as_int(sent_id), as_int(sent_start), as_int(sent_end), as_int(para_doc),
                 as_int(para_id), as_int(para_start), as_int(para_end), token_codes,
                 token_sent, vocab)


def _tokens(tokens: pa.Table, key_of: dict[tuple[str, int], int]
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Vocabulary codes of the lower-cased words and the sentence index of each."""
    if tokens.num_rows == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    rows = np.array([key_of.get(k, -1) for k in zip(
        tokens.column("doc_id").to_pylist(), tokens.column("sent_id").to_pylist(),
        strict=True)], dtype=np.int64)
    column = tokens.column("words").combine_chunks()
    flat = pc.utf8_lower(pc.list_flatten(column))
    parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
    token_sent = rows[parents]
    keep = token_sent >= 0  # a sentence the splitter does not know (stale tokens) is ignored
    encoded = pc.dictionary_encode(flat)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes[keep], token_sent[keep], encoded.dictionary.to_pylist()


class Evaluator:
    """Evaluate rules of one codebook on one partition's units, with caches.

    Every node is evaluated once per level and partition (a code used by many ``@``
    references, a sub-expression repeated across rules: one array each), so the cost is
    linear in units x codebook size. :meth:`start` arms the codebook's ``rule_timeout`` for
    one code; evaluation checks it between nodes and every few thousand sentences of a
    regular expression, and stops with :class:`RuleTimeout` naming the code.
    """

    def __init__(self, units: Units, book: Codebook) -> None:
        self.u = units
        self.book = book
        self._code: Code | None = None
        self._deadline = 0.0
        self._index = {term: i for i, term in enumerate(units.vocab)}
        order = np.argsort(units.token_codes, kind="stable")
        self._by_code = order
        self._code_start = np.searchsorted(units.token_codes[order],
                                           np.arange(len(units.vocab) + 1))
        self._joined: str | None = None
        self._offsets = np.zeros(0, dtype=np.int64)
        self._cache: dict[tuple[object, str], np.ndarray] = {}

    def start(self, code: Code) -> None:
        """Time ``code``'s rule from now (against the codebook's ``rule_timeout``)."""
        self._code = code
        limit = self.book.rule_timeout
        self._deadline = time.monotonic() + limit if limit > 0 else 0.0

    def _check(self) -> None:
        if self._deadline and time.monotonic() > self._deadline and self._code is not None:
            code = self._code
            raise RuleTimeout(f"code: {self.book.path}:{code.line}: the rule of code "
                              f"{code.name!r} ran longer than --rule-timeout "
                              f"{self.book.rule_timeout:g} s on one batch of "
                              f"{len(self.u.doc_ids)} documents; simplify it, or raise "
                              "--rule-timeout")

    # -- atoms, per sentence -------------------------------------------------------------
    def word_positions(self, word: Word) -> np.ndarray:
        """Token positions (indices into the flat token arrays) holding the word."""
        if word.prefix:
            codes = [i for t, i in self._index.items() if t.startswith(word.text)]
        else:
            code = self._index.get(word.text)
            codes = [] if code is None else [code]
        if not codes:
            return np.zeros(0, dtype=np.int64)
        parts = [self._by_code[self._code_start[c]:self._code_start[c + 1]] for c in codes]
        return np.sort(np.concatenate(parts))

    def _sentences(self, positions: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.u.count("sentence"), dtype=bool)
        mask[self.u.token_sent[positions]] = True
        return mask

    def _atom(self, node: Node) -> np.ndarray:
        if isinstance(node, Word):
            return self._sentences(self.word_positions(node))
        if isinstance(node, Phrase):
            # one search over all sentences joined by "\n" (a phrase holds no line break, so
            # no match crosses two sentences); faster than a search per sentence
            if self._joined is None:
                self._joined = "\n".join(self.u.sent_text)
                lengths = np.fromiter((len(t) + 1 for t in self.u.sent_text), dtype=np.int64,
                                      count=len(self.u.sent_text))
                self._offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            found = [m.start() for m in re.finditer(re.escape(node.text), self._joined,
                                                      re.IGNORECASE)]
            mask = np.zeros(self.u.count("sentence"), dtype=bool)
            if found:
                mask[np.searchsorted(self._offsets, found, side="right") - 1] = True
            return mask
        if isinstance(node, Regex):
            search = node.pattern.search
            mask = np.zeros(self.u.count("sentence"), dtype=bool)
            for i, text in enumerate(self.u.sent_text):
                mask[i] = search(text) is not None
                if not i % 4096:
                    self._check()
            return mask
        if isinstance(node, Near):
            return self._near(node)
        raise TypeError(node)

    def _near(self, node: Near) -> np.ndarray:
        """Sentences where an ``a`` token and a different ``b`` token are <= n tokens apart.

        For each ``a`` token only the nearest ``b`` token on either side can be the closest
        (tokens of a sentence are consecutive positions), so the cost is
        O((|a| + |b|) log |b|) whatever ``n`` is.
        """
        a, b = self.word_positions(node.a), self.word_positions(node.b)
        mask = np.zeros(self.u.count("sentence"), dtype=bool)
        if not a.size or not b.size:
            return mask
        sent = self.u.token_sent
        at = np.searchsorted(b, a)  # b[at - 1] < a <= b[at]
        for candidate in (at - 1, at, at + 1):  # at + 1: when b[at] is the a token itself
            inside = (candidate >= 0) & (candidate < b.size)
            near = b[np.clip(candidate, 0, b.size - 1)]
            hit = (inside & (near != a) & (np.abs(near - a) <= node.n)
                   & (sent[near] == sent[a]))
            mask[sent[a[hit]]] = True
        return mask

    # -- expressions, per level ----------------------------------------------------------
    def lift(self, mask: np.ndarray, level: str, to: str) -> np.ndarray:
        """Whether each ``to`` unit holds a true ``level`` unit."""
        if level == to:
            return mask
        out = np.zeros(self.u.count(to), dtype=bool)
        out[self.u.parent(level, to)[mask]] = True
        return out

    def evaluate(self, node: Node, level: str) -> np.ndarray:
        """A boolean array over the units of ``level``: where the rule holds."""
        key = (node, level)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        self._check()
        if isinstance(node, Word | Phrase | Regex | Near):
            result = self.lift(self._atom_cached(node), "sentence", level)
        elif isinstance(node, Not):
            result = ~self.evaluate(node.item, level)
        elif isinstance(node, And | Or):  # folded one item at a time: one array held, not n
            fold = np.logical_and if isinstance(node, And) else np.logical_or
            result = self.evaluate(node.items[0], level).copy()
            for item in node.items[1:]:
                fold(result, self.evaluate(item, level), out=result)
        elif isinstance(node, Scope):
            if _RANK[node.level] >= _RANK[level]:
                result = self.evaluate(node.item, level)
            else:
                result = self.lift(self.evaluate(node.item, node.level), node.level, level)
        elif isinstance(node, Ref):
            members = self.book.members(node.name)
            names = members if members is not None else (node.name,)
            result = np.zeros(self.u.count(level), dtype=bool)
            for n in names:
                result |= self.evaluate(self.book.code(n).rule, level)
        else:
            raise TypeError(node)
        self._cache[key] = result
        return result

    def _atom_cached(self, node: Node) -> np.ndarray:
        key = (node, "atom")
        if key not in self._cache:
            self._cache[key] = self._atom(node)
        return self._cache[key]

    def matched(self, node: Node, level: str, index: int) -> str:
        """What an atom matched in one unit: the word, the tokens a prefix matched, the
        phrase, or the regular expression's text."""
        if isinstance(node, Regex):
            found = node.pattern.search(self.u.text(level, index))
            if found is not None:
                return found.group(0)
        if isinstance(node, Word) and node.prefix:
            key = (node, level, "units")
            if key not in self._cache:
                positions = self.word_positions(node)
                sents = self.u.token_sent[positions]
                units = sents if level == "sentence" else self.u.parent("sentence", level)[sents]
                self._cache[key] = (positions, units)
            positions, units = self._cache[key]
            codes = self.u.token_codes[positions[units == index]]
            words = sorted({self.u.vocab[c] for c in codes})
            if words:
                return ",".join(words)
        return node.label()


def code_partition(part: tuple[list[str], list[str], pa.Table], book: Codebook,
                   unit: str) -> dict[str, list]:
    """Code one partition of documents.

    Args:
        part: (doc_ids, texts, tokens of these documents).
        book: The codebook.
        unit: ``sentence``, ``paragraph`` or ``document``.

    Returns:
        Column lists of the coded segments (``doc_id``, ``para_id``, ``sent_id``, ``group``,
        ``category``, ``code``, ``matched``, ``start``, ``end``, ``text``, and ``_unit``, the
        index of the unit), integer arrays over every unit (``unit_doc``, the document's index
        in the partition; ``unit_start``, ``unit_end``) and the words of the codebook never
        seen as a token (``unseen``) or seen only in the raw text (``split``).
    """
    doc_ids, texts, tokens = part
    units = build_units(doc_ids, texts, tokens)
    ev = Evaluator(units, book)
    docs, paras, sents, starts, ends = units.spans(unit)
    rows: dict[str, list] = {k: [] for k in ("doc_id", "para_id", "sent_id", "group",
                                             "category", "code", "matched", "start", "end",
                                             "text", "_unit")}
    for code in book.codes:
        ev.start(code)
        mask = ev.evaluate(code.rule, unit)
        coded = np.flatnonzero(mask)
        if not coded.size:
            continue
        found = list(dict.fromkeys(atoms(code.rule)))
        for ref in _refs_deep(book, code.rule):
            found.extend(a for a in atoms(book.code(ref).rule) if a not in found)
        atom_masks = [ev.evaluate(a, unit) for a in found]
        for idx in coded:
            d = int(docs[idx])
            rows["doc_id"].append(units.doc_ids[d])
            rows["para_id"].append(int(paras[idx]) if paras[idx] >= 0 else None)
            rows["sent_id"].append(int(sents[idx]) if sents[idx] >= 0 else None)
            rows["group"].append(code.group)
            rows["category"].append(code.category)
            rows["code"].append(code.name)
            rows["matched"].append(list(dict.fromkeys(
                ev.matched(a, unit, idx) for a, m in zip(found, atom_masks, strict=True)
                if m[idx])))
            rows["start"].append(int(starts[idx]))
            rows["end"].append(int(ends[idx]))
            rows["text"].append(units.texts[d][starts[idx]:ends[idx]])
            rows["_unit"].append(int(idx))
    rows["unit_doc"] = np.asarray(docs, dtype=np.int32)
    rows["unit_start"] = np.asarray(starts, dtype=np.int64)
    rows["unit_end"] = np.asarray(ends, dtype=np.int64)
    words = {a for c in book.codes for a in atoms(c.rule) if isinstance(a, Word)}
    rows["unseen"] = sorted(w.text for w in words if not ev.word_positions(w).size)
    # words of the rules seen among the words and among the counting tokens (the counting
    # filters, stopword lists and POS, drop the others): the report warns about them
    words |= {w for c in book.codes for a in atoms(c.rule) if isinstance(a, Near)
              for w in (a.a, a.b)}
    rows["as_word"] = sorted(w.label() for w in words if ev.word_positions(w).size)
    rows["as_token"] = sorted(w.label() for w in words if _in_tokens(w, tokens))
    # words in the raw text that segmentation never cuts out as a token: rules miss them
    rows["split"] = sorted(w for w in rows["unseen"] if ev.evaluate(Phrase(w), "document").any())
    return rows


def _in_tokens(word: Word, tokens: pa.Table) -> bool:
    """Whether some counting token of the table is the word (starts with it, for a prefix)."""
    if "tokens" not in tokens.column_names or not tokens.num_rows:
        return False
    flat = pc.utf8_lower(pc.list_flatten(tokens.column("tokens")))
    found = (pc.starts_with(flat, word.text) if word.prefix else pc.equal(flat, word.text))
    return bool(pc.any(found).as_py())


def _refs_deep(book: Codebook, node: Node) -> list[str]:
    """Codes a rule reaches through ``@`` references, depth first, each once."""
    from pipelines.code.rules import references

    out: list[str] = []
    stack = sorted(references(node))
    while stack:
        name = stack.pop(0)
        members = book.members(name)
        for n in members if members is not None else (name,):
            if n not in out:
                out.append(n)
                stack.extend(sorted(references(book.code(n).rule)))
    return out
