"""Take a human coding in: import a ``.qdpx``, match its sources to the documents by text, and
compare it with wenmai's coding unit by unit.

A source matches the document whose text is the same after white space is normalised (line
ends, surrounding and repeated blanks). A selection codes every unit it overlaps by at least
one character. Every name of the imported codebook that is also a code, category or group of
wenmai's codebook is compared (a code the human coder had but never applied counts as "not
coded" everywhere); other imported codes and unmatched sources are reported in the log. Two
human codings are compared on every name of either codebook.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from pipelines.code.agreement import agreement_table
from pipelines.code.codebook import Codebook
from pipelines.code.refi import read_qdpx
from pipelines.code.tables import level_units

if TYPE_CHECKING:  # pandas costs 0.25 s and 50 MB at import: loaded where it is used
    import pandas as pd

__all__ = ["REFERENCE_SCHEMA", "wanted_texts", "compare", "normalise"]

log = logging.getLogger("wenmai")
REFERENCE_SCHEMA = pa.schema([
    ("coder", pa.string()), ("doc_id", pa.string()), ("code", pa.string()), ("start", pa.int64()),
    ("end", pa.int64()), ("text", pa.string()), ("source", pa.string()),
])
_SPACE = re.compile(r"[ \t\u3000]+")


def normalise(text: str) -> str:
    """Text with unified line ends and collapsed blanks, for matching sources to documents."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_SPACE.sub(" ", line).strip() for line in lines).strip()


def wanted_texts(*paths: str) -> set[str]:
    """The normalised texts of the sources of the projects at ``paths``: the documents with one
    of these texts are the ones a comparison needs (see :func:`compare`).

    Raises:
        BadInputFile: a project is missing or malformed.
    """
    return {normalise(src["text"]) for path in paths for src in read_qdpx(path).sources}


def compare(path: str, book: Codebook, texts: dict[str, str], codings: pd.DataFrame,
            units: pd.DataFrame, *, second: str | None = None) -> tuple[pa.Table, pa.Table]:
    """(``reference_codings``, ``code_agreement``) for the reference project at ``path``.

    Coder A is wenmai's coding and coder B the reference; with ``second``, coder A is the
    reference and coder B the second project (two human coders), and every name either of them
    used is compared.

    Args:
        path: The reference project (.qdpx).
        book: wenmai's codebook.
        texts: doc_id -> text, in corpus order, of (at least) every document whose normalised
            text is that of a source of the projects (:func:`wanted_texts`); a source matches
            the last such document.
        codings: wenmai's coded segments of these documents (``doc_id``, ``group``,
            ``category``, ``code``, ``unit``).
        units: Their units (``doc_id``, ``start``, ``end``, ``unit`` numbered from 0).
        second: A second human coding (.qdpx).
    """
    rows, compared_docs, ref_names, up = _import(path, texts, "reference")
    n = len(units)
    if second is None:
        names = _names(book)
        known = [x for x in names if x in ref_names]
        other = sorted(ref_names - set(names))
        if other:
            log.warning("code: imported codes not in the codebook are not compared: %s",
                        ", ".join(other[:20]))
        a = _unit_sets(level_units(codings, book), n)
        b = _reference_units(rows, units, up)
    else:
        rows_b, docs_b, names_b, up_b = _import(second, texts, "reference_b")
        known = sorted(ref_names | names_b)
        compared_docs &= docs_b
        a, b = _reference_units(rows, units, up), _reference_units(rows_b, units, up_b)
        rows = rows + rows_b
    keep = units["doc_id"].isin(compared_docs).to_numpy()
    coded_a = {x: a.get(x, np.zeros(n, bool))[keep] for x in known}
    coded_b = {x: b.get(x, np.zeros(n, bool))[keep] for x in known}
    log.info("code: compared %d name(s) over %d units of %d matched document(s)", len(known),
             int(keep.sum()), len(compared_docs))
    return (pa.Table.from_pylist(rows, schema=REFERENCE_SCHEMA),
            agreement_table(coded_a, coded_b))


def _source_docs(path: str, texts: dict[str, str]) -> tuple[dict[str, str], list, list[str]]:
    """(source guid -> doc_id, the project's sources, names of unmatched sources)."""
    imported = read_qdpx(path)
    by_text = {normalise(t or ""): d for d, t in texts.items()}
    source_doc, unmatched = {}, []
    for src in imported.sources:
        doc = by_text.get(normalise(src["text"]))
        if doc is None:
            unmatched.append(src["name"])
            continue
        if texts[doc] != src["text"]:
            log.warning("code: source %r matches document %s only after normalising white "
                        "space; its selections are used as they are", src["name"], doc)
        source_doc[src["guid"]] = doc
    return source_doc, imported, unmatched


def _import(path: str, texts: dict[str, str], coder: str
            ) -> tuple[list[dict], set[str], set[str], dict[str, list[str]]]:
    """The selections of a project as rows matched to documents, the matched documents, the
    names of the project's codebook and each name's ancestors in its code tree."""
    source_doc, imported, unmatched = _source_docs(path, texts)
    if unmatched:
        log.warning("code: %d source(s) of %s match no document: %s", len(unmatched), path,
                    ", ".join(unmatched[:10]))
    names = {s["guid"]: s["name"] for s in imported.sources}
    rows = [{"coder": coder, "doc_id": source_doc[s["source"]], "code": s["code"],
             "start": s["start"], "end": s["end"],
             "text": texts[source_doc[s["source"]]][s["start"]:s["end"]],
             "source": names[s["source"]]}
            for s in imported.selections if s["source"] in source_doc]
    ancestors: dict[str, list[str]] = {}
    for guid, name in imported.codes.items():
        chain, parent = [], imported.parents.get(guid)
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = imported.parents.get(parent)
        ancestors[name] = [imported.codes[g] for g in chain]
    return rows, set(source_doc.values()), set(imported.codes.values()), ancestors


def _names(book: Codebook) -> list[str]:
    return ([c.name for c in book.codes] + [c.name for c in book.categories]
            + [g.name for g in book.groups])


def _unit_sets(levels: pd.DataFrame, n_units: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, grp in levels.groupby("name"):
        mask = np.zeros(n_units, dtype=bool)
        mask[grp["unit"].to_numpy()] = True
        out[str(name)] = mask
    return out


def _reference_units(rows: list[dict], units: pd.DataFrame, ancestors: dict[str, list[str]]
                     ) -> dict[str, np.ndarray]:
    """Name -> units overlapped by a selection coded with it or with a code below it (a
    category or group holds its codes, as in wenmai's own coding)."""
    out: dict[str, np.ndarray] = {}
    by_doc = {d: g for d, g in units.groupby("doc_id")}
    for r in rows:
        g = by_doc.get(r["doc_id"])
        if g is None:
            continue
        hit = g["unit"].to_numpy()[(g["start"].to_numpy() < r["end"])
                                   & (g["end"].to_numpy() > r["start"])]
        for name in [r["code"], *ancestors.get(r["code"], [])]:
            out.setdefault(name, np.zeros(len(units), dtype=bool))[hit] = True
    return out
