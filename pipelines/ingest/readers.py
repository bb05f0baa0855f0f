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
from typing import Any

from pipelines.ingest.decode import Rejected, decode_bytes
from pipelines.ingest.meta import clean_key

__all__ = ["Record", "ReadOptions", "READERS", "read_bytes", "table_records",
           "pick_text_column", "pick_title_column", "html_to_text", "flatten"]

_TEXT_NAMES = ("text", "content", "body", "abstract", "fulltext", "full_text", "正文", "内容",
               "全文", "摘要")
# Fields named like a title, in order of preference (a scraper's own names included); matched
# on the whole key, then on the last part of a dotted JSON key (video_detail.title).
_TITLE_NAMES = ("title", "videotitle", "headline", "articletitle", "newstitle", "标题", "题名",
                "题目", "新闻标题", "文章标题")
# A media label opening a scraped title: [视频]王沪宁出席… → 王沪宁出席…
_TITLE_LABEL = re.compile(r"^\s*[\[【](?:视频|图片|图文|组图|直播|音频|快讯)[\]】]\s*")
_DATE_NAMES = ("date", "pubdate", "publishdate", "publishtime", "pubtime", "published",
               "releasedate", "issuedate", "year", "日期", "发布日期", "发布时间", "发文日期",
               "成文日期", "时间", "年份")
_HTML_HINT = re.compile(r"<(?:p|br|div|span|a|img|strong|em|h[1-6]|table|tr|td|li|ul|section)"
                        r"\b[^>]*>", re.I)


@dataclass(slots=True)
class Record:
    """One raw document read from a file, before clean-up.

    ``date_kind`` says where ``date`` came from: ``record`` (a date or year field of the
    record itself), ``page_metadata`` (an HTML page's metadata) or ``file_metadata`` (when a
    PDF or DOCX file was made, the weakest evidence of a document's date).
    """

    part: int
    text: str
    title: str | None = None
    date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # str, or list[str] (authors, ...)
    split: bool = True  # may be split into articles by the split pattern
    date_kind: str = "record"


@dataclass(frozen=True)
class ReadOptions:
    """What the user told the readers: the text column(s) (comma-separated: the first
    non-empty one of each row), the JSON records path and the title column."""

    text_column: str | None = None
    records_path: str | None = None
    title_column: str | None = None


Result = tuple[list[Record], list[Rejected]]
Reader = Callable[[bytes, str, ReadOptions], Result]


_MARKDOWN_HINT = re.compile(r"(?m)^#{1,6} \S|</?(?:sup|sub|br|p|span|div)\b|^\*\*\S")


def _text(data: bytes, name: str, opts: ReadOptions) -> Result:
    from pipelines.ingest import biblio
    from pipelines.ingest.clean import strip_markdown

    text = decode_bytes(data, name=name)[0]
    first = text.lstrip("\ufeff\r\n ").split("\n", 1)[0]
    if re.match(r"^(?:FN\t|PT\tAU\t)", first):  # Web of Science tab-delimited export
        return _delimited(text, name, opts, "\t")
    kind = biblio.sniff(text)
    if kind is not None:
        return _bib_records(biblio.PARSERS[kind](text), name, kind)
    if _MARKDOWN_HINT.search(text):  # Markdown saved as .txt (PDF converters do this)
        text = strip_markdown(text)
    return [Record(0, text)], []


def _markdown(data: bytes, name: str, _opts: ReadOptions) -> Result:
    from pipelines.ingest.clean import strip_markdown

    return [Record(0, strip_markdown(decode_bytes(data, name=name)[0]))], []


def html_to_text(html: str) -> tuple[str, str | None, str | None]:
    """Text, title and date of an HTML page or fragment (trafilatura, tables kept)."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True,
                               favor_precision=True, deduplicate=False)
    if not text:
        text = trafilatura.html2txt(html) or ""
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta and meta.title else None
    date = meta.date if meta and meta.date else None
    return text, title, date


def _html(data: bytes, name: str, _opts: ReadOptions) -> Result:
    text, title, date = html_to_text(decode_bytes(data, name=name)[0])
    return [Record(0, text, title=title, date=date, date_kind="page_metadata")], []


def _is_structured(value: str) -> bool:
    """A cell holding a JSON object or list (never a text column)."""
    value = value.strip()
    if not value or value[0] not in "[{":
        return False
    try:
        return isinstance(json.loads(value), dict | list)
    except (ValueError, RecursionError):
        return False


def pick_text_column(columns: list[str], rows: list[dict[str, str]], wanted: str | None,
                     name: str) -> str:
    """The column holding the text: ``wanted``, a usual name, else the longest on average.

    ``wanted`` may name several columns apart by commas (``video_detail.content,brief``):
    each row takes the first of them that is not empty (:func:`table_records`); at least one
    must exist. A guessed column never holds JSON objects or lists (raw JSON is not a
    document).

    Raises:
        Rejected: ``no_text_column`` when ``wanted`` is absent or no column holds text.
    """
    if wanted:
        found = [c.strip() for c in wanted.split(",") if c.strip() in columns]
        if not found:
            raise Rejected("no_text_column", f"{name} has no column {wanted!r} (it has "
                           f"{', '.join(columns[:12])}); set text_column to one of them.")
        return ",".join(c.strip() for c in wanted.split(",") if c.strip())
    sample = rows[:200]

    def structured(col: str) -> bool:
        values = [r.get(col) or "" for r in sample if (r.get(col) or "").strip()]
        return bool(values) and sum(map(_is_structured, values)) * 2 > len(values)

    lowered = {c.strip().lower(): c for c in columns}
    for candidate in _TEXT_NAMES:
        if candidate in lowered and not structured(lowered[candidate]):
            return lowered[candidate]
    best, best_len = None, 0.0
    for col in columns:
        values = [r.get(col) or "" for r in sample]
        if not values or all(re.fullmatch(r"[\d\s.\-:/]*", v) for v in values):
            continue
        if structured(col):
            continue
        mean = sum(len(v) for v in values) / len(values)
        if mean > best_len:
            best, best_len = col, mean
    if best is None or best_len < 2:
        raise Rejected("no_text_column", f"{name} has no column of text (columns holding JSON "
                       "objects or lists are never guessed); set text_column to the column "
                       "or dotted JSON field to analyse.")
    return best


def pick_title_column(columns: list[str], wanted: str | None, name: str) -> str | None:
    """The column holding the title: ``wanted``, else the first usual title name
    (``title``, ``video_title``, ``标题``, …; a dotted JSON key by its last part), else None
    (the title is then guessed from the text).

    >>> pick_title_column(["id", "video_detail.title", "video_title"], None, "x.json")
    'video_title'
    >>> pick_title_column(["id", "video_detail.title"], None, "x.json")
    'video_detail.title'

    Raises:
        Rejected: ``no_title_column`` when ``wanted`` is not a column of the file.
    """
    if wanted:
        if wanted not in columns:
            raise Rejected("no_title_column", f"{name} has no column {wanted!r} (it has "
                           f"{', '.join(columns[:12])}); set title_column to one of them.")
        return wanted

    def norm(key: str) -> str:
        return key.strip().lower().replace("_", "").replace("-", "")

    whole = {norm(c): c for c in reversed(columns)}
    last = {norm(c.rsplit(".", 1)[-1]): c for c in reversed(columns) if "." in c}
    for names in (whole, last):
        for candidate in _TITLE_NAMES:
            if candidate in names:
                return names[candidate]
    return None


def table_records(columns: list[str], rows: list[dict[str, str]], text_column: str | None,
                  name: str, *, start: int = 0, title_column: str | None = None) -> Result:
    """One record per row: the text column as text, every other column as metadata.

    The title comes from ``title_column`` or a column named like a title (a media label
    such as ``[视频]`` dropped); columns named like a date or year fill the date; empty text
    rows are rejected; HTML in the text cell is turned into text like an .html file.
    """
    text_cols = pick_text_column(columns, rows, text_column, name).split(",")
    title_col = pick_title_column([c for c in columns if c not in text_cols], title_column,
                                  name)
    records, rejects = [], []
    for n in range(len(rows)):
        i, row = n + start, rows[n]
        rows[n] = None  # consumed: a million-row table is not held twice
        col = next((c for c in text_cols if (row.get(c) or "").strip()), text_cols[0])
        text = (row.get(col) or "").strip()
        if text and _HTML_HINT.search(text):
            page = (text if re.search(r"<html\b", text, re.I)
                    else f"<html><body>{text}</body></html>")
            text = html_to_text(page)[0].strip()
        if not text:
            rejects.append(Rejected("empty", f"{name} row {i} has an empty "
                                    f"{' or '.join(map(repr, text_cols))} cell.", i))
            continue
        meta = {}
        for key, value in row.items():
            if key in text_cols or value is None or str(value).strip() == "":
                continue
            meta[str(key).strip()] = str(value).strip()
        title = _TITLE_LABEL.sub("", meta.pop(title_col, "") or "").strip() or None
        lowered = {k.lower().replace("_", "").replace("-", ""): k for k in meta}
        date = None
        for key in _DATE_NAMES:
            if key in lowered and lowered[key] in meta:
                date = date or meta.pop(lowered[key])
        records.append(Record(i, text, title=title, date=date, meta=meta, split=False))
    return records, rejects


def _delimited(text: str, name: str, opts: ReadOptions, delimiter: str) -> Result:
    import csv

    from pipelines.ingest import biblio

    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # full texts exceed 128 KB
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [dict(r) for r in reader]
        columns = [c for c in (reader.fieldnames or []) if c is not None]
    except csv.Error as err:
        raise Rejected("parse_error", f"{name} is not valid CSV ({err}).") from None
    if not rows:
        raise Rejected("empty", f"{name} has a header but no rows.")
    rows = [{k: v for k, v in r.items() if k is not None and isinstance(v, str)} for r in rows]
    kind = biblio.table_kind(columns)
    if kind is not None and not opts.text_column:
        return _bib_records([biblio.map_row(kind, r) for r in rows], name, kind)
    return table_records(columns, rows, opts.text_column, name,
                         title_column=opts.title_column)


def _csv(data: bytes, name: str, opts: ReadOptions) -> Result:
    text = decode_bytes(data, name=name)[0]
    delimiter = "\t" if name.lower().endswith((".tsv", ".tab")) else ","
    return _delimited(text, name, opts, delimiter)


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON object as ``{dotted.key: text}``; lists stay JSON text under their key.

    >>> flatten({"id": 1, "video_detail": {"content": "x", "tags": ["a"]}, "n": None})
    {'id': '1', 'video_detail.content': 'x', 'video_detail.tags': '["a"]'}
    """
    out: dict[str, str] = {}
    for key, value in obj.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{full}."))
        elif value is None:
            continue
        elif isinstance(value, str):
            out[full] = value
        else:
            out[full] = json.dumps(value, ensure_ascii=False)
    return out


def _json_rows(objects: list[tuple[int, Any]], name: str, opts: ReadOptions,
               rejects: list[Rejected]) -> Result:
    rows, parts = [], []
    for i, obj in objects:
        if not isinstance(obj, dict):
            rejects.append(Rejected("parse_error", f"{name} item {i} is not a JSON object.", i))
            continue
        rows.append(flatten(obj))
        parts.append(i)
    if not rows:
        if rejects:  # nothing usable: one row for the file, with the first fault's reason
            raise Rejected(rejects[0].reason, f"{name} has no valid JSON object (first fault: "
                           f"{rejects[0].detail})")
        raise Rejected("empty", f"{name} has no records.")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    records, row_rejects = table_records(columns, rows, opts.text_column, name,
                                         title_column=opts.title_column)
    for rec in records:
        rec.part = parts[rec.part]
    for rej in row_rejects:
        rej.part = parts[rej.part]
    return records, rejects + row_rejects


def _jsonl(data: bytes, name: str, opts: ReadOptions) -> Result:
    text = decode_bytes(data, name=name)[0]
    objects, rejects = [], []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            objects.append((i, json.loads(line)))
        except json.JSONDecodeError as err:
            rejects.append(Rejected("parse_error", f"{name} line {i + 1} is not JSON "
                                    f"({err.msg}).", i))
        except RecursionError:
            rejects.append(Rejected("too_deep", f"{name} line {i + 1} nests JSON too deeply "
                                    "to read.", i))
    return _json_rows(objects, name, opts, rejects)


def _records_at(doc: Any, path: str | None, name: str) -> list[Any]:
    """The list of records in a JSON document: at ``path`` (dotted), the document itself when
    it is a list, or the one list of objects an object holds."""
    if path:
        node = doc
        for step in path.split("."):
            if isinstance(node, dict) and step in node:
                node = node[step]
            else:
                raise Rejected("no_records_path", f"{name} has no field {path!r}; set "
                               "records_path to the dotted path of its list of items.")
        if not isinstance(node, list):
            raise Rejected("no_records_path", f"{name}: {path!r} is not a list of items.")
        return node
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        lists = [k for k, v in doc.items()
                 if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return doc[lists[0]]
        if len(lists) > 1:
            raise Rejected("no_records_path", f"{name} holds several lists of items ("
                           f"{', '.join(lists[:6])}); set records_path to one of them.")
        return [doc]
    raise Rejected("parse_error", f"{name} holds a JSON {type(doc).__name__}, not records.")


def _json(data: bytes, name: str, opts: ReadOptions) -> Result:
    text = decode_bytes(data, name=name)[0]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines[:5]):
            return _jsonl(data, name, opts)  # JSON Lines saved as .json
        raise Rejected("parse_error", f"{name} is not JSON ({err.msg}, line {err.lineno})."
                       ) from None
    except RecursionError:
        raise Rejected("too_deep", f"{name} nests JSON too deeply to read.") from None
    items = _records_at(doc, opts.records_path, name)
    return _json_rows(list(enumerate(items)), name, opts, [])


def _xlsx(data: bytes, name: str, opts: ReadOptions) -> Result:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError) as err:
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
    return table_records(header, rows, opts.text_column, name, start=0,
                         title_column=opts.title_column)


def _docx(data: bytes, name: str, _opts: ReadOptions) -> Result:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError,
            SyntaxError) as err:  # lxml's XMLSyntaxError is a SyntaxError
        raise Rejected("parse_error", f"{name} is not a readable .docx ({err}).") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" ".join(c.text for c in row.cells))
    props = document.core_properties
    date = (props.created or props.modified)
    return [Record(0, "\n".join(paragraphs), title=props.title or None,
                   date=date.date().isoformat() if date else None,
                   date_kind="file_metadata")], []


def _pdf(data: bytes, name: str, _opts: ReadOptions) -> Result:
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (pypdf.errors.PyPdfError, NotImplementedError, ValueError) as err:
                raise Rejected("encrypted", f"{name} is encrypted and cannot be opened "
                               f"({type(err).__name__}); save an unprotected copy.") from None
            if not ok:
                raise Rejected("encrypted", f"{name} is password-protected; save an "
                               "unprotected copy.")
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
    return [Record(0, text, title=title, date=created.date().isoformat() if created else None,
                   date_kind="file_metadata")], []


def _bib_records(entries: list[dict[str, Any]], name: str, kind: str) -> Result:
    """Bibliographic records as documents: the abstract is the text; a date without a year
    (``Dec``) is completed by the record's year (:func:`records.merge_date`)."""
    from pipelines.ingest.records import merge_date

    if not entries:
        raise Rejected("parse_error", f"{name} holds no {kind} records.")
    records, rejects = [], []
    for i, fields in enumerate(entries):
        fields = {clean_key(k): v for k, v in fields.items()
                  if (v.strip() if isinstance(v, str) else v)}
        text = fields.pop("text", "")
        if not text.strip():
            rejects.append(Rejected("empty", f"{name} record {i} has no abstract.", i))
            continue
        title = fields.pop("title", None)
        date = merge_date(fields.pop("date", None), fields.pop("year", None))
        records.append(Record(i, text, title=title, date=date, meta=fields, split=False))
    return records, rejects


def _biblio(kind: str) -> Reader:
    def read(data: bytes, name: str, _opts: ReadOptions) -> Result:
        from pipelines.ingest import biblio as ingest_biblio

        text = decode_bytes(data, name=name)[0]
        try:
            used, entries = ingest_biblio.parse(kind, text)
        except (ValueError, SyntaxError) as err:  # ElementTree.ParseError is a SyntaxError
            raise Rejected("parse_error", f"{name} is not a readable {kind} export "
                           f"({err}).") from None
        return _bib_records(entries, name, used)

    return read


READERS: dict[str, Reader] = {
    ".txt": _text, ".text": _text, ".md": _markdown, ".markdown": _markdown,
    ".html": _html, ".htm": _html, ".xhtml": _html,
    ".csv": _csv, ".tsv": _csv, ".tab": _csv, ".jsonl": _jsonl, ".ndjson": _jsonl,
    ".json": _json, ".xlsx": _xlsx, ".docx": _docx, ".pdf": _pdf,
    ".net": _biblio("noteexpress"), ".ris": _biblio("ris"), ".bib": _biblio("bibtex"),
    ".enw": _biblio("endnote"), ".xml": _biblio("endnote_xml"), ".ciw": _biblio("wos"),
}
ZIP_CONTAINERS = (".docx", ".xlsx")


def read_bytes(data: bytes, name: str, opts: ReadOptions) -> Result:
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
    return reader(data, name, opts)
