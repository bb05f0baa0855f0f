"""A human coding as *the* coding: a REFI-QDA project (``[code] coding_from``) read into the
code stage's codebook and coding units, so every table, figure and the report run on it.

- **Codebook.** The project's code tree becomes the codebook: a code of depth 3 or more keeps
  its top ancestor as group and its parent as category (the tree wenmai exports, group >
  category > code, reads back unchanged); a code of depth 2 has its root as group and
  category; a root code is its own group and category. The codes are the leaves and every
  node a selection is coded with. A name that two nodes of one level share is qualified with
  its path (``a / b``). Imported codes have no rule; their memo is the project's description.
- **Documents.** A text source matches the document whose text is the same once Unicode
  compatibility forms (NFKC: full-width digits and letters) are folded and white space,
  byte-order marks and zero-width characters are dropped; selection positions are carried
  from the source's text to the document's through that alignment (a source exported with
  ``\\r\\n`` line ends codes the same words in the document ingest normalised).
- **Units.** A selection codes every unit it overlaps by at least one character (as the
  agreement import does); a unit coded twice with one code is one coding.
- **Coder.** ``coder`` is ``human:<user name>`` of the coding's ``creatingUser`` (several
  names joined by ``,``), ``rules`` for the codings a wenmai export wrote under its own user,
  and ``model`` for the units :mod:`pipelines.code.classify` codes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.code.codebook import Category, Code, Codebook, Group
from pipelines.code.refi import Imported, guid, read_qdpx
from pipelines.code.rules import Or
from pipelines.core.store import StoredTable, iter_batches

__all__ = ["ImportedCoding", "tree_codebook", "match_key", "align", "load_coding",
           "code_partition", "unit_tokens"]

log = logging.getLogger("wenmai")

_DROP = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\u00ad]+")
#: The user a wenmai export writes its codings under (see pipelines.code.project).
_WENMAI_USER = guid("user", "wenmai")
_MODEL_USER = guid("user", "wenmai model")  # ... and the codings of its model


def match_key(text: str) -> str:
    """The text as sources and documents are matched: NFKC, no white space or invisible marks.

    >>> match_key("２０２３年　ＡＩ，\\r\\n教育")
    '2023年AI,教育'
    """
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def _key_index(text: str) -> tuple[str, np.ndarray]:
    """:func:`match_key` built a character at a time, with the text position of each key
    character (each distinct character is folded once)."""
    fold = {ch: _DROP.sub("", unicodedata.normalize("NFKC", ch)) for ch in set(text)}
    parts = list(map(fold.__getitem__, text))
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    return "".join(parts), np.repeat(np.arange(len(text), dtype=np.int64), lengths)


def align(source: str, document: str, spans: list[tuple[int, int]]
          ) -> list[tuple[int, int] | None]:
    """Carry ``(start, end)`` spans of ``source`` to ``document`` (same :func:`match_key`).

    A span keeps the key characters it covers: it starts at the first and ends after the last
    of them in the document; a span of white space only gives ``None``.

    >>> align("a\\r\\nbc d", "a\\nbc d", [(3, 5), (5, 6)])
    [(2, 4), None]
    """
    if source == document:
        return [(s, e) if e > s else None for s, e in spans]
    src_key, src_at = _key_index(source)
    doc_key, doc_at = _key_index(document)
    if src_key != doc_key:  # the whole-text keys matched; a character at a time they do not
        raise ValueError("texts differ once compared a character at a time")
    out: list[tuple[int, int] | None] = []
    for start, end in spans:
        lo, hi = np.searchsorted(src_at, [start, end], side="left")
        out.append((int(doc_at[lo]), int(doc_at[hi - 1]) + 1) if hi > lo else None)
    return out


def _path(imported: Imported, node: str) -> list[str]:
    chain = [node]
    while (parent := imported.parents.get(chain[-1])) is not None and parent not in chain:
        chain.append(parent)
    return chain[::-1]


def _qualified(ids: dict[str, list[str]], imported: Imported) -> dict[str, str]:
    """A name per node id; names two nodes share become their paths."""
    by_name: dict[str, int] = {}
    for node in ids:
        by_name[imported.codes[node]] = by_name.get(imported.codes[node], 0) + 1
    return {node: imported.codes[node] if by_name[imported.codes[node]] == 1
            else " / ".join(imported.codes[g] for g in path) for node, path in ids.items()}


def tree_codebook(imported: Imported, path: str) -> tuple[Codebook, dict[str, str]]:
    """The project's code tree as a codebook, and each code node's code name (by guid)."""
    used = {s["code_guid"] for s in imported.selections}
    children = {p for p in imported.parents.values() if p is not None}
    nodes = [g for g in imported.codes if g not in children or g in used]
    paths = {g: _path(imported, g) for g in nodes}
    group_of = {g: p[0] for g, p in paths.items()}
    cat_of = {g: p[-2] if len(p) >= 3 else p[0] for g, p in paths.items()}
    group_names = _qualified({r: _path(imported, r) for r in dict.fromkeys(group_of.values())},
                             imported)
    cat_names = _qualified({c: _path(imported, c) for c in dict.fromkeys(cat_of.values())},
                           imported)
    code_names = _qualified(paths, imported)
    codes = tuple(Code(code_names[g], group_names[group_of[g]], cat_names[cat_of[g]],
                       imported.descriptions.get(g, ""), "", Or(()), 0) for g in nodes)
    categories, groups = [], []
    for c in dict.fromkeys(cat_of.values()):
        members = tuple(code_names[g] for g in nodes if cat_of[g] == c)
        group = group_names[group_of[next(g for g in nodes if cat_of[g] == c)]]
        categories.append(Category(cat_names[c], group, imported.descriptions.get(c, ""),
                                   members))
    for r in dict.fromkeys(group_of.values()):
        cats = tuple(dict.fromkeys(cat_names[cat_of[g]] for g in nodes if group_of[g] == r))
        groups.append(Group(group_names[r], imported.descriptions.get(r, ""), cats))
    book = Codebook(f"coding of {path}", "", path, path, tuple(groups), tuple(categories),
                    codes, tuple(c.name for c in codes))
    return book, code_names


@dataclass
class ImportedCoding:
    """A project's coding in document positions, ready to code partitions with.

    Attributes:
        book: The codebook of the project's code tree.
        selections: doc_id -> (start, end, code, coder) in the document's text.
        keep: The documents analysed (the project's sources), or None for every document.
        sample: The documents with at least one coded selection.
        model: Codes the documents outside ``sample`` (a :class:`pipelines.code.classify.Model`).
    """

    book: Codebook
    selections: dict[str, list[tuple[int, int, str, str]]]
    keep: set[str] | None
    sample: set[str] = field(default_factory=set)
    model: object | None = None


def _coder(imported: Imported, user: str) -> str:
    if user == _WENMAI_USER:
        return "rules"
    if user == _MODEL_USER:
        return "model"
    name = imported.users.get(user, "")
    return f"human:{name}" if name else "human"


def load_coding(path: str, documents: pa.Table | StoredTable) -> ImportedCoding:
    """Read the project at ``path`` and match its sources to ``documents``.

    Raises:
        BadInputFile: the project is missing or malformed, or none of its sources is a
            document of the corpus.
    """
    from pipelines.core.errors import BadInputFile

    imported = read_qdpx(path)
    book, code_names = tree_codebook(imported, str(path))
    wanted: dict[str, list[dict]] = {}
    for src in imported.sources:
        wanted.setdefault(match_key(src["text"]), []).append(src)
    matched: dict[str, tuple[str, str]] = {}  # source guid -> (doc_id, document text)
    for batch in iter_batches(documents, ["doc_id", "text"]):
        for doc_id, text in zip(*(batch.column(c).to_pylist() for c in ("doc_id", "text")),
                                strict=True):
            for src in wanted.get(match_key(text or ""), ()):
                matched.setdefault(src["guid"], (doc_id, text or ""))
    unmatched = [s["name"] for s in imported.sources if s["guid"] not in matched]
    if imported.sources and not matched:
        raise BadInputFile(f"code: none of the {len(imported.sources)} text sources of {path} "
                           "is a document of this corpus (texts compared without white space); "
                           "ingest the same documents the project holds")
    if unmatched:
        log.warning("code: %d source(s) of %s match no document and are left out: %s",
                    len(unmatched), path, ", ".join(unmatched[:10]))
    by_source: dict[str, list[dict]] = {}
    for sel in imported.selections:
        by_source.setdefault(sel["source"], []).append(sel)
    selections: dict[str, list[tuple[int, int, str, str]]] = {}
    for src in imported.sources:
        if src["guid"] not in matched:
            continue
        doc_id, text = matched[src["guid"]]
        sels = by_source.get(src["guid"], [])
        try:
            spans = align(src["text"], text, [(s["start"], s["end"]) for s in sels])
        except ValueError:
            log.warning("code: source %r of %s cannot be aligned with document %s; its "
                        "selections are left out", src["name"], path, doc_id)
            continue
        rows = selections.setdefault(doc_id, [])
        rows += [(span[0], span[1], code_names[s["code_guid"]], _coder(imported, s["user"]))
                 for s, span in zip(sels, spans, strict=True) if span is not None]
    sample = {d for d, rows in selections.items() if rows}
    log.info("code: %s: %d code(s), %d of %d source(s) matched, %d with coded selections",
             path, len(book.codes), len(matched), len(imported.sources), len(sample))
    return ImportedCoding(book, selections, {d for d, _ in matched.values()}, sample)


def unit_tokens(units, level: str) -> list[list[str]]:
    """The segmented tokens of each unit of ``level`` (a :class:`~pipelines.code.apply.Units`),
    in text order."""
    n = units.count(level)
    sent_unit = (units.token_sent if level == "sentence"
                 else units.parent("sentence", level)[units.token_sent])
    out: list[list[str]] = [[] for _ in range(n)]
    vocab = units.vocab
    for u, c in zip(sent_unit.tolist(), units.token_codes.tolist(), strict=True):
        out[u].append(vocab[c])
    return out


def code_partition(part: tuple[list[str], list[str], pa.Table], coding: ImportedCoding,
                   unit: str) -> dict[str, list]:
    """Code one partition with the imported selections (and, outside the human sample, with
    the model); the result has the shape of :func:`pipelines.code.apply.code_partition`'s."""
    from pipelines.code.apply import build_units

    doc_ids, texts, tokens = part
    units = build_units(doc_ids, texts, tokens)
    docs, paras, sents, starts, ends = units.spans(unit)
    book = coding.book
    index = {c.name: i for i, c in enumerate(book.codes)}
    bounds = np.searchsorted(docs, np.arange(len(doc_ids) + 1))
    coders: dict[tuple[int, int], set[str]] = {}
    for d, doc_id in enumerate(doc_ids):
        lo, hi = int(bounds[d]), int(bounds[d + 1])
        for start, end, code, coder in coding.selections.get(doc_id, ()):
            for u in np.flatnonzero((starts[lo:hi] < end) & (ends[lo:hi] > start)) + lo:
                coders.setdefault((index[code], int(u)), set()).add(coder)
    found = {key: (_joined(who), []) for key, who in coders.items()}
    if coding.model is not None:
        rest = np.flatnonzero(~np.isin(np.asarray(docs), [d for d, i in enumerate(doc_ids)
                                                          if i in coding.sample]))
        if rest.size:
            words = unit_tokens(units, unit)
            for code, hits, matched in coding.model.predict([words[u] for u in rest]):
                for k, why in zip(rest[hits].tolist(), matched, strict=True):
                    found[(index[code], k)] = ("model", why)
    rows: dict[str, list] = {k: [] for k in ("doc_id", "para_id", "sent_id", "group",
                                             "category", "code", "matched", "start", "end",
                                             "text", "_unit", "coder")}
    for c, u in sorted(found):
        code, (coder, matched) = book.codes[c], found[(c, u)]
        d = int(docs[u])
        rows["doc_id"].append(doc_ids[d])
        rows["para_id"].append(int(paras[u]) if paras[u] >= 0 else None)
        rows["sent_id"].append(int(sents[u]) if sents[u] >= 0 else None)
        rows["group"].append(code.group)
        rows["category"].append(code.category)
        rows["code"].append(code.name)
        rows["matched"].append(matched)
        rows["start"].append(int(starts[u]))
        rows["end"].append(int(ends[u]))
        rows["text"].append(texts[d][starts[u]:ends[u]])
        rows["_unit"].append(u)
        rows["coder"].append(coder)
    rows["unit_doc"] = np.asarray(docs, dtype=np.int32)
    rows["unit_start"] = np.asarray(starts, dtype=np.int64)
    rows["unit_end"] = np.asarray(ends, dtype=np.int64)
    rows["unseen"], rows["split"], rows["as_word"], rows["as_token"] = [], [], [], []
    return rows


def _joined(who: set[str]) -> str:
    """One coder value for a unit several coders coded with one code: the people's names
    when a person did, else ``human``, ``model`` or ``rules``, in that order.

    >>> _joined({"human:B", "human:A", "rules"}), _joined({"model", "rules"})
    ('human:A,B', 'model')
    """
    people = sorted({c.removeprefix("human:") for c in who if c.startswith("human:")})
    if people:
        return "human:" + ",".join(people)
    return next((c for c in ("human", "model") if c in who), "rules")
