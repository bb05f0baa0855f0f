"""The audit sheet: a seeded sample of coded units per code, and of uncoded units, for a
person to judge (``code --audit N`` writes ``code/audit_sheet.xlsx``).

Every coded segment and every uncoded unit gets a key from a hash of the seed and its place
(code, document, start); a code's sample is its N segments with the smallest keys, and the
uncoded sample the N uncoded units with the smallest keys. That is a simple random sample
without replacement per stratum, drawn while the codings and documents stream past, the same
for any batch size or worker count.

The sheet ``audit`` has one row per sampled unit: ``audit_id``, ``kind`` (coded/uncoded),
the unit (``doc_id``, ``title``, ``para_id``, ``sent_id``, ``start``, ``end``), ``group``,
``category``, ``code``, ``description``, ``matched`` and ``text``, then the columns the reader
fills: ``judgement`` (yes / partly / no: is the code right for this unit? for an uncoded unit:
should it carry a code of the codebook?), ``missed_codes`` (for an uncoded unit: the codes it
should carry, comma-separated) and ``note``. The sheet ``about`` explains this and holds what
the read-back needs (:mod:`pipelines.code.precision`): the codebook's hash, the unit, the seed
and the population sizes of every stratum.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from pipelines.code.apply import build_units
from pipelines.code.codebook import Codebook
from pipelines.core.store import StoredTable, iter_batches

__all__ = ["SHEET_COLUMNS", "FILLED", "JUDGEMENTS", "draw_sample", "audit_workbook"]

#: Columns of the ``audit`` sheet; the reader fills the ``FILLED`` ones.
SHEET_COLUMNS = ("audit_id", "kind", "doc_id", "title", "para_id", "sent_id", "start", "end",
                 "group", "category", "code", "description", "matched", "text", "judgement",
                 "missed_codes", "note")
FILLED = ("judgement", "missed_codes", "note")
JUDGEMENTS = ("yes", "partly", "no")
_CODED_COLUMNS = ["doc_id", "para_id", "sent_id", "group", "category", "code", "matched",
                  "start", "end", "text"]


def _key(seed: int, *parts: object) -> int:
    """A reproducible pseudo-random 64-bit key of a sampled item."""
    text = "\x1f".join(map(str, (seed, *parts))).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


class _BottomK:
    """The ``k`` items with the smallest keys seen so far."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[int, int, dict]] = []  # (-key, tie, item): a max-heap
        self.seen = 0

    def offer(self, key: int, item: dict) -> None:
        self.seen += 1
        entry = (-key, self.seen, item)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, entry)
        elif -self.heap[0][0] > key:
            heapq.heapreplace(self.heap, entry)

    def items(self) -> list[dict]:
        """The kept items, smallest key first."""
        return [item for _, _, item in sorted(self.heap, key=lambda e: -e[0])]


def draw_sample(codings: pa.Table | StoredTable, documents: pa.Table | StoredTable,
                book: Codebook, *, unit: str, n: int, seed: int
                ) -> tuple[list[dict], dict[str, Any]]:
    """Draw the audit sample.

    Args:
        codings: ``code/codings`` (one row per coded unit and code).
        documents: ``ingest/documents`` (doc_id, text, and title if there is one).
        book: The codebook the codings come from.
        unit: The coding unit (sentence, paragraph, document).
        n: Segments per code, and uncoded units, to draw.
        seed: Seed of the draw.

    Returns:
        The sheet rows (coded ones by codebook order of their code, then the uncoded ones)
        and the population sizes: ``codings`` per code, ``units``, ``uncoded`` units.
    """
    strata = {c.name: _BottomK(n) for c in book.codes}
    coded_units: set[tuple[str, int]] = set()
    for batch in iter_batches(codings, _CODED_COLUMNS):
        for row in batch.to_pylist():
            coded_units.add((row["doc_id"], row["start"]))
            strata[row["code"]].offer(_key(seed, "coded", row["code"], row["doc_id"],
                                           row["start"]), row)
    uncoded = _BottomK(n)
    titles: dict[str, str] = {}
    n_units = 0
    names = documents.schema.names
    columns = ["doc_id", "text"] + (["title"] if "title" in names else [])
    for batch in iter_batches(documents, columns, rows=1024):
        data = batch.to_pydict()
        texts = [t or "" for t in data["text"]]
        units = build_units(data["doc_id"], texts, pa.table({
            "doc_id": pa.array([], pa.string()), "sent_id": pa.array([], pa.int32()),
            "words": pa.array([], pa.list_(pa.string()))}))
        docs, paras, sents, starts, ends = units.spans(unit)
        n_units += len(docs)
        for i in range(len(docs)):
            doc_id = data["doc_id"][int(docs[i])]
            if (doc_id, int(starts[i])) in coded_units:
                continue
            uncoded.offer(_key(seed, "uncoded", doc_id, int(starts[i])), {
                "doc_id": doc_id, "para_id": int(paras[i]) if paras[i] >= 0 else None,
                "sent_id": int(sents[i]) if sents[i] >= 0 else None,
                "start": int(starts[i]), "end": int(ends[i]),
                "text": texts[int(docs[i])][int(starts[i]):int(ends[i])]})
        if "title" in data:
            titles.update(zip(data["doc_id"], (t or "" for t in data["title"]), strict=True))
    rows = []
    descriptions = {c.name: c.description for c in book.codes}
    for code in book.codes:
        for item in strata[code.name].items():
            rows.append({**item, "kind": "coded", "description": descriptions[code.name],
                         "matched": ", ".join(item["matched"] or [])})
    rows += [{**item, "kind": "uncoded"} for item in uncoded.items()]
    for i, row in enumerate(rows, 1):
        row["audit_id"] = i
        row["title"] = titles.get(row["doc_id"], "")
    population = {"codings": {c: s.seen for c, s in strata.items()}, "units": n_units,
                  "uncoded": uncoded.seen}
    return rows, population


def _about_lines(book: Codebook, meta: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("what", "An audit of a rule-based coding: judge each row, then run "
                 "`wenmai code --audit-results THIS_FILE`."),
        ("judgement", "coded rows: yes = the code is right for this unit, partly = right in "
                      "part (the unit touches the code's meaning but does not state it), no = "
                      "wrong. uncoded rows: yes = the unit should carry a code of the "
                      "codebook (name it in missed_codes), no = it should not."),
        ("missed_codes", "uncoded rows only: the codes the unit should carry, separated by "
                         "commas (names as in the code column's codebook)."),
        ("note", "free text, kept with the results."),
        ("codebook", book.name),
        ("meta", json.dumps(meta, ensure_ascii=False, sort_keys=True)),
    ]


def audit_workbook(rows: Iterable[dict], book: Codebook, meta: dict[str, Any]) -> bytes:
    """The audit sheet as an xlsx file (openpyxl): sheets ``audit`` and ``about``.

    ``meta`` (codebook hash, unit, seed, n, population sizes) goes into the ``about`` sheet
    as JSON for the read-back.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "audit"
    ws.append(list(SHEET_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    count = 0
    for row in rows:
        ws.append([row.get(c) for c in SHEET_COLUMNS])
        count += 1
    judge_col = ws.cell(row=1, column=SHEET_COLUMNS.index("judgement") + 1).column_letter
    check = DataValidation(type="list", formula1='"yes,partly,no"', allow_blank=True)
    check.add(f"{judge_col}2:{judge_col}{max(count + 1, 2)}")
    ws.add_data_validation(check)
    text_col = ws.cell(row=1, column=SHEET_COLUMNS.index("text") + 1).column_letter
    ws.column_dimensions[text_col].width = 80
    for cell in ws[text_col][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    about = wb.create_sheet("about")
    for key, value in _about_lines(book, meta):
        about.append([key, value])
    about.column_dimensions["B"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return _fixed_times(out.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The xlsx with its time stamps fixed (the zip entries' times and the document's
    created/modified dates, which openpyxl sets to now), so a rerun gives the same bytes."""
    import re
    import zipfile

    from pipelines.code.refi import ZIP_TIME

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2000-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=ZIP_TIME), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()

