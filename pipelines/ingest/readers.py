"""Readers that turn one file's bytes into raw records, one reader per format.

A reader returns ``(records, rejects)``: the records are raw documents (text not yet
normalised) and the rejects are rows of the file that could not become one. A reader raises
:class:`Rejected` when the whole file is unusable.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipelines.ingest.decode import Rejected, decode_bytes
from pipelines.ingest.meta import clean_key

__all__ = ["Record", "READERS", "read_bytes", "table_records", "pick_text_column"]

_TEXT_NAMES = ("text", "content", "body", "abstract", "fulltext", "full_text", "正文", "内容",
               "全文", "摘要")


@dataclass
class Record:
    """One raw document read from a file, before clean-up."""

    part: int
    text: str
    title: str | None = None
    date: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    split: bool = True  # may be split into articles by the split pattern


Result = tuple[list[Record], list[Rejected]]


_MARKDOWN_HINT = re.compile(r"(?m)^#{1,6} \S|</?(?:sup|sub|br|p|span|div)\b|^\*\*\S")


def _text(data: bytes, name: str, _col: str | None) -> Result:
    from pipelines.ingest.clean import strip_markdown

    text = decode_bytes(data, name=name)[0]
    if _MARKDOWN_HINT.search(text):  # Markdown saved as .txt (PDF converters do this)
        text = strip_markdown(text)
    return [Record(0, text)], []


def _markdown(data: bytes, name: str, _col: str | None) -> Result:
    from pipelines.ingest.clean import strip_markdown

    return [Record(0, strip_markdown(decode_bytes(data, name=name)[0]))], []


def _html(data: bytes, name: str, _col: str | None) -> Result:
    import trafilatura

    html = decode_bytes(data, name=name)[0]
    text = trafilatura.extract(html, include_comments=False, include_tables=True,
                               favor_precision=True, deduplicate=False)
    if not text:
        text = trafilatura.html2txt(html) or ""
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta and meta.title else None
    date = meta.date if meta and meta.date else None
    return [Record(0, text, title=title, date=date)], []


def pick_text_column(columns: list[str], rows: list[dict[str, str]], wanted: str | None,
                     name: str) -> str:
    """The column holding the text: ``wanted``, a usual name, else the longest on average.

    Raises:
        Rejected: ``no_text_column`` when ``wanted`` is absent or no column holds text.
    """
    if wanted:
        if wanted not in columns:
            raise Rejected("no_text_column", f"{name} has no column {wanted!r} (it has "
                           f"{', '.join(columns[:12])}); set text_column to one of them.")
        return wanted
    lowered = {c.strip().lower(): c for c in columns}
    for candidate in _TEXT_NAMES:
        if candidate in lowered:
            return lowered[candidate]
    best, best_len = None, 0.0
    for col in columns:
        values = [r.get(col) or "" for r in rows]
        if not values or all(re.fullmatch(r"[\d\s.\-:/]*", v) for v in values):
            continue
        mean = sum(len(v) for v in values) / len(values)
        if mean > best_len:
            best, best_len = col, mean
    if best is None or best_len < 2:
        raise Rejected("no_text_column", f"{name} has no column of text; set text_column "
                       "to the column to analyse.")
    return best


def table_records(columns: list[str], rows: list[dict[str, str]], text_column: str | None,
                  name: str, *, start: int = 0) -> Result:
    """One record per row: the text column as text, every other column as metadata.

    Columns named like title/date/year fill those fields; empty text rows are rejected.
    """
    col = pick_text_column(columns, rows, text_column, name)
    records, rejects = [], []
    for i, row in enumerate(rows, start):
        text = (row.get(col) or "").strip()
        if not text:
            rejects.append(Rejected("empty", f"{name} row {i} has an empty {col!r} cell.", i))
            continue
        meta = {}
        for key, value in row.items():
            if key == col or value is None or str(value).strip() == "":
                continue
            meta[str(key).strip()] = str(value).strip()
        lowered = {k.lower(): k for k in meta}
        title = meta.pop(lowered["title"]) if "title" in lowered else None
        date = None
        for key in ("date", "year"):
            if key in lowered and lowered[key] in meta:
                date = date or meta.pop(lowered[key])
        records.append(Record(i, text, title=title, date=date, meta=meta, split=False))
    return records, rejects


def _csv(data: bytes, name: str, col: str | None) -> Result:
    import csv

    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # full texts exceed 128 KB
    text = decode_bytes(data, name=name)[0]
    delimiter = "\t" if name.lower().endswith((".tsv", ".tab")) else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [dict(r) for r in reader]
        columns = [c for c in (reader.fieldnames or []) if c is not None]
    except csv.Error as err:
        raise Rejected("parse_error", f"{name} is not valid CSV ({err}).") from None
    if not rows:
        raise Rejected("empty", f"{name} has a header but no rows.")
    rows = [{k: v for k, v in r.items() if k is not None and isinstance(v, str)} for r in rows]
    return table_records(columns, rows, col, name)


def _jsonl(data: bytes, name: str, col: str | None) -> Result:
    text = decode_bytes(data, name=name)[0]
    rows, parts, rejects = [], [], []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            rejects.append(Rejected("parse_error", f"{name} line {i + 1} is not JSON "
                                    f"({err.msg}).", i))
            continue
        if not isinstance(obj, dict):
            rejects.append(Rejected("parse_error", f"{name} line {i + 1} is not a JSON "
                                    "object.", i))
            continue
        rows.append({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                     for k, v in obj.items() if v is not None})
        parts.append(i)
    if not rows:
        if rejects:
            raise Rejected("parse_error", f"{name} has no valid JSON line.")
        raise Rejected("empty", f"{name} has no records.")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    records, row_rejects = table_records(columns, rows, col, name)
    for rec in records:
        rec.part = parts[rec.part]
    for rej in row_rejects:
        rej.part = parts[rej.part]
    return records, rejects + row_rejects


def _xlsx(data: bytes, name: str, col: str | None) -> Result:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as err:
        raise Rejected("parse_error", f"{name} is not a readable .xlsx ({err}).") from None
    sheet = book.worksheets[0]
    values = [["" if v is None else str(v) for v in row]
              for row in sheet.iter_rows(values_only=True)]
    book.close()
    values = [r for r in values if any(v.strip() for v in r)]
    if len(values) < 2:
        raise Rejected("empty", f"{name} has no data rows in its first sheet.")
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(values[0])]
    rows = [dict(zip(header, r, strict=False)) for r in values[1:]]
    return table_records(header, rows, col, name, start=0)


def _docx(data: bytes, name: str, _col: str | None) -> Result:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise Rejected("parse_error", f"{name} is not a readable .docx ({err}).") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" ".join(c.text for c in row.cells))
    props = document.core_properties
    date = (props.created or props.modified)
    return [Record(0, "\n".join(paragraphs), title=props.title or None,
                   date=date.date().isoformat() if date else None)], []


def _pdf(data: bytes, name: str, _col: str | None) -> Result:
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (pypdf.errors.PyPdfError, ValueError, KeyError, OSError, TypeError) as err:
        raise Rejected("parse_error", f"{name} is not a readable PDF ({err}).") from None
    text = "\n".join(pages)
    if not text.strip():
        raise Rejected("no_text_layer", f"{name} has no text layer (a scan?); run OCR on it "
                       "first.")
    title = str(info.title) if info and info.title else None
    created = info.creation_date if info else None
    return [Record(0, text, title=title, date=created.date().isoformat() if created else None)], []


def _biblio(kind: str) -> Callable[[bytes, str, str | None], Result]:
    def read(data: bytes, name: str, _col: str | None) -> Result:
        from pipelines.ingest import biblio as ingest_biblio

        entries = ingest_biblio.PARSERS[kind](decode_bytes(data, name=name)[0])
        if not entries:
            raise Rejected("parse_error", f"{name} holds no {kind} records.")
        records, rejects = [], []
        for i, fields in enumerate(entries):
            fields = {clean_key(k): v for k, v in fields.items() if v.strip()}
            text = fields.pop("text", "")
            if not text.strip():
                rejects.append(Rejected("empty", f"{name} record {i} has no abstract.", i))
                continue
            title = fields.pop("title", None)
            date = fields.pop("date", None) or fields.pop("year", None)
            records.append(Record(i, text, title=title, date=date, meta=fields, split=False))
        return records, rejects

    return read


READERS: dict[str, Callable[[bytes, str, str | None], Result]] = {
    ".txt": _text, ".text": _text, ".md": _markdown, ".markdown": _markdown,
    ".html": _html, ".htm": _html, ".xhtml": _html,
    ".csv": _csv, ".tsv": _csv, ".tab": _csv, ".jsonl": _jsonl, ".ndjson": _jsonl,
    ".xlsx": _xlsx, ".docx": _docx, ".pdf": _pdf,
    ".net": _biblio("noteexpress"), ".ris": _biblio("ris"), ".bib": _biblio("bibtex"),
}


def read_bytes(data: bytes, name: str, text_column: str | None) -> Result:
    """Read one file's bytes with the reader for its extension.

    Raises:
        Rejected: ``empty``, ``unsupported_format`` or the reader's own reasons.
    """
    suffix = PurePosixPath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise Rejected("unsupported_format", f"{name}: {suffix or 'no extension'} files are "
                       "not read; supported: " + " ".join(sorted(READERS)) + " .zip.")
    if not data.strip():
        raise Rejected("empty", f"{name} is empty.")
    return reader(data, name, text_column)
