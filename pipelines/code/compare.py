"""Take a human coding in: import a ``.qdpx``, match its sources to the documents by text, and
compare it with wenmai's coding unit by unit.

A source matches the document whose text is the same after white space is normalised (line
ends, surrounding and repeated blanks). A selection codes every unit it overlaps by at least
one character. Names are compared when the imported code has the name of a code, category or
group of the codebook; other imported codes and unmatched sources are reported in the log.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.code.agreement import agreement_table
from pipelines.code.codebook import Codebook
from pipelines.code.refi import read_qdpx
from pipelines.code.tables import level_units

__all__ = ["REFERENCE_SCHEMA", "compare", "normalise"]

log = logging.getLogger("wenmai")
REFERENCE_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("code", pa.string()), ("start", pa.int64()),
    ("end", pa.int64()), ("text", pa.string()), ("source", pa.string()),
])
_SPACE = re.compile(r"[ \t\u3000]+")


def normalise(text: str) -> str:
    """Text with unified line ends and collapsed blanks, for matching sources to documents."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_SPACE.sub(" ", line).strip() for line in lines).strip()


def compare(path: str, book: Codebook, documents: pa.Table, codings: pd.DataFrame,
            units: pd.DataFrame) -> tuple[pa.Table, pa.Table]:
    """(``reference_codings``, ``code_agreement``) for the reference project at ``path``."""
    imported = read_qdpx(path)
    texts = dict(zip(documents.column("doc_id").to_pylist(),
                     documents.column("text").to_pylist(), strict=True))
    by_text = {normalise(t or ""): d for d, t in texts.items()}
    source_doc, unmatched = {}, []
    for src in imported.sources:
        doc = by_text.get(normalise(src["text"]))
        if doc is None:
            unmatched.append(src["name"])
        elif texts[doc] != src["text"]:
            log.warning("code: source %r matches document %s only after normalising white "
                        "space; its selections are used as they are", src["name"], doc)
            source_doc[src["guid"]] = doc
        else:
            source_doc[src["guid"]] = doc
    if unmatched:
        log.warning("code: %d source(s) of %s match no document: %s", len(unmatched), path,
                    ", ".join(unmatched[:10]))
    rows = [{"doc_id": source_doc[s["source"]], "code": s["code"], "start": s["start"],
             "end": s["end"], "text": texts[source_doc[s["source"]]][s["start"]:s["end"]],
             "source": next(x["name"] for x in imported.sources if x["guid"] == s["source"])}
            for s in imported.selections if s["source"] in source_doc]
    reference = pa.Table.from_pylist(rows, schema=REFERENCE_SCHEMA)
    names = _names(book)
    known = [n for n in dict.fromkeys(r["code"] for r in rows) if n in names]
    other = sorted({r["code"] for r in rows} - set(names))
    if other:
        log.warning("code: imported codes not in the codebook are not compared: %s",
                    ", ".join(other[:20]))
    compared_docs = set(source_doc.values())
    keep = units["doc_id"].isin(compared_docs).to_numpy()
    a = _unit_sets(level_units(codings, book), len(units))
    b = _reference_units(rows, units)
    coded_a = {n: a.get(n, np.zeros(len(units), bool))[keep] for n in known}
    coded_b = {n: b.get(n, np.zeros(len(units), bool))[keep] for n in known}
    log.info("code: compared %d name(s) over %d units of %d matched document(s)", len(known),
             int(keep.sum()), len(compared_docs))
    return reference, agreement_table(coded_a, coded_b)


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


def _reference_units(rows: list[dict], units: pd.DataFrame) -> dict[str, np.ndarray]:
    """Name -> units overlapped by a selection coded with it."""
    out: dict[str, np.ndarray] = {}
    by_doc = {d: g for d, g in units.groupby("doc_id")}
    for r in rows:
        g = by_doc.get(r["doc_id"])
        if g is None:
            continue
        hit = g["unit"].to_numpy()[(g["start"].to_numpy() < r["end"])
                                   & (g["end"].to_numpy() > r["start"])]
        mask = out.setdefault(r["code"], np.zeros(len(units), dtype=bool))
        mask[hit] = True
    return out
