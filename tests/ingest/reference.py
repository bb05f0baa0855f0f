"""Reference parses of the real exports in tests/fixtures/ingest/real, written apart from
wenmai's readers (no import of pipelines.ingest) to check them: a record count taken from
the file's own record marks, and per record its title, authors (list), year, journal,
keywords (list) and abstract.

The tagged formats are cut into records by their record marks with one regular expression
and then into fields; Scopus BibTeX goes through ``bibtexparser`` and EndNote XML through
``lxml`` XPath, libraries wenmai does not use. What a field *should* hold follows each
format's documentation (cited in pipelines/ingest/biblio.py) and the export's own quirks,
listed in tests/fixtures/ingest/real/SOURCE.md.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

REAL = Path(__file__).parents[1] / "fixtures" / "ingest" / "real"
SHARED_NE = Path(__file__).parents[3] / "shared" / "corpora" / "cnki-noteexpress-samples"
FIELDS = ("title", "authors", "year", "journal", "keywords", "abstract")
Ref = dict[str, Any]


def _items(values: list[str], sep: str = r"[;；]") -> list[str]:
    return [x.strip() for v in values for x in re.split(sep, v) if x.strip()]


def _one(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _year(*values: str | None) -> int | None:
    for value in values:
        m = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", value or "")
        if m:
            return int(m.group(1))
    return None


def _abstract(text: str | None) -> str | None:
    if not text:
        return None
    text = re.sub(r"^(?:Abstract)?\(#br\)", "", text.strip())
    text = re.sub(r"^[<‹]正>", "", text).replace("(#br)", " ")
    return _one(text) or None


def _record(title: str | None, authors: list[str], year: int | None, journal: str | None,
            keywords: list[str], abstract: str | None) -> Ref:
    return {"title": _one(title) if title else None, "authors": authors, "year": year,
            "journal": _one(journal) if journal else None, "keywords": keywords,
            "abstract": _abstract(abstract)}


def _fields(block: str, tag: str) -> dict[str, list[list[str]]]:
    """``{tag: [[first line, continuation lines...], ...]}`` of a tagged record."""
    out: dict[str, list[list[str]]] = {}
    last: list[str] | None = None
    for line in block.split("\n"):
        m = re.match(tag, line)
        if m:
            last = [(m.group(2) or "").strip()]
            out.setdefault(m.group(1).upper(), []).append(last)
        elif last is not None:
            last.append(line.strip())
    return out


def _first(fields: dict[str, list[list[str]]], *tags: str, sep: str = " ") -> str | None:
    for tag in tags:
        for lines in fields.get(tag, []):
            value = sep.join(x for x in lines if x)
            if value.strip():
                return value
    return None


def _all(fields: dict[str, list[list[str]]], *tags: str) -> list[str]:
    return [x for tag in tags for lines in fields.get(tag, []) for x in lines if x]


def ris(text: str) -> tuple[int, list[Ref]]:
    """RIS: records end at ``ER  -``; continuation lines of KW/AU are one item each."""
    count = len(re.findall(r"(?m)^ER {1,2}-", text))
    blocks = re.split(r"(?m)^ER {1,2}-.*$", text.replace("\r\n", "\n"))[:count]
    refs = []
    for block in blocks:
        f = _fields(block, r"^\ufeff?([A-Z][A-Z0-9]) {1,2}-(?: (.*)|())$")
        refs.append(_record(_first(f, "TI", "T1"), _items(_all(f, "AU", "A1")),
                            _year(_first(f, "PY"), _first(f, "Y1"), _first(f, "DA")),
                            _first(f, "JF", "T2", "JO", "JA", "J2"), _items(_all(f, "KW")),
                            _first(f, "AB", "N2")))
    return count, refs


def wos(text: str) -> tuple[int, list[Ref]]:
    """Web of Science plain text: ``PT`` ... ``ER``, continuations indented by 3 spaces."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    count = len(re.findall(r"(?m)^ER\s*$", text))
    blocks = re.findall(r"(?ms)^PT .*?^ER\s*$", text)
    refs = []
    for block in blocks:
        f = _fields(block, r"^([A-Z][A-Z0-9])(?: (.*)|())$")
        refs.append(_record(_first(f, "TI"), _all(f, "AU"), _year(_first(f, "PY")),
                            _first(f, "SO"), _items([_first(f, "DE") or ""]),
                            _first(f, "AB")))
    return count, refs


def endnote(text: str) -> tuple[int, list[Ref]]:
    """EndNote tagged (CNKI's EndNote export): records start at ``%0``; an abstract may
    follow an empty ``%X`` line as paragraphs apart by blank lines."""
    text = text.replace("\r\n", "\n")
    count = len(re.findall(r"(?m)^%0 ", text))
    blocks = re.split(r"(?m)^(?=%0 )", text)[1:]
    refs = []
    for block in blocks:
        f = _fields(block, r"^%(\S) ?(.*)()$")
        refs.append(_record(_first(f, "T"), _items(_all(f, "A")),
                            _year(_first(f, "D"), _first(f, "8")), _first(f, "J", "B"),
                            _items(_all(f, "K")), _first(f, "X")))
    return count, refs


def refworks(text: str) -> tuple[int, list[Ref]]:
    """RefWorks tagged: records start at ``RT``; CNKI writes ``A1林行众`` and ``vo 49``."""
    text = text.replace("\r\n", "\n")
    count = len(re.findall(r"(?m)^RT ", text))
    blocks = re.split(r"(?m)^(?=RT )", text)[1:]
    refs = []
    for block in blocks:
        f = _fields(block, r"^(RT|SR|ID|A[1-6]|T[1-3]|J[FOA]|YR|FD|VO|vo|IS|SP|OP|K1|AB|NO|PB"
                           r"|PP|ED|SN|AD|AN|LA|CL|DS|DO|LK|UL|URL|DB|CN|IP|RD|U[1-5])"
                           r"(?: |(?=[^\x00-\x7f])|$)(.*)()$")
        refs.append(_record(_first(f, "T1"), _items(_all(f, "A1")), _year(_first(f, "YR"),
                                                                          _first(f, "FD")),
                            _first(f, "JF", "JO"), _items(_all(f, "K1")), _first(f, "AB")))
    return count, refs


def estudy(text: str) -> tuple[int, list[Ref]]:
    """CNKI E-Study: each record opens with ``DataType: n``; ``Key-中文名: value`` fields."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    count = len(re.findall(r"(?m)^DataType\s*:", text))
    blocks = re.split(r"(?m)^DataType\s*:.*$", text)[1:]
    refs = []
    for block in blocks:
        f = _fields(block, r"^([A-Za-z]+)-[^:：\s]*\s*[:：] ?(.*)()$")
        refs.append(_record(_first(f, "TITLE"), _items(_all(f, "AUTHOR")),
                            _year(_first(f, "YEAR"), _first(f, "PUBTIME")), _first(f, "SOURCE"),
                            _items(_all(f, "KEYWORD")), _first(f, "SUMMARY", sep="")))
    return count, refs


def noteexpress(text: str) -> tuple[int, list[Ref]]:
    """NoteExpress ``{Field}: value``: records start at ``{Reference Type}``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    count = len(re.findall(r"(?m)^\{Reference Type\}", text))
    blocks = re.split(r"(?m)^(?=\{Reference Type\})", text)[1:]
    refs = []
    for block in blocks:
        f = _fields(block, r"^\{([^}]+)\}\s*[:：] ?(.*)()$")
        refs.append(_record(_first(f, "TITLE"), _items(_all(f, "AUTHOR")),
                            _year(_first(f, "YEAR"), _first(f, "DATE")),
                            _first(f, "JOURNAL"), _items(_all(f, "KEYWORDS")),
                            _first(f, "ABSTRACT", sep="")))
    return count, refs


def scopus_csv(text: str) -> tuple[int, list[Ref]]:
    """Scopus CSV via the csv module. Before 2020 Scopus joined authors with commas
    (``Little A.R., Mike Conner L.``): they are cut after each initial's full stop, and the
    count checked against the ``Author(s) ID`` column (one id per author)."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    refs = []
    for row in rows:
        cell = (row.get("Authors") or "").strip()
        if ";" in cell:
            authors = _items([cell])
        elif cell and not cell.startswith("[No author"):
            authors = []  # cut after an initial's full stop; a suffix (III, Jr.) stays
            for name in re.split(r"(?<=\.),\s*", cell):
                suffix = re.match(r"^(Jr\.?|Sr\.?|I{2,3}|IV),\s*(.*)$", name)
                if suffix and authors:
                    authors[-1] += f", {suffix.group(1)}"
                    name = suffix.group(2)
                if name.strip():
                    authors.append(name.strip())
            ids = [i for i in (row.get("Author Ids") or row.get("Author(s) ID") or "").split(";")
                   if i.strip()]
            assert not ids or len(ids) == len(authors), (cell, ids)
        else:
            authors = []
        abstract = row.get("Abstract")
        refs.append(_record(row.get("Title"), authors, _year(row.get("Year")),
                            row.get("Source title"), _items([row.get("Author Keywords") or ""]),
                            None if abstract == "[No abstract available]" else abstract))
    return len(rows), refs


def scopus_bib(text: str) -> tuple[int, list[Ref]]:
    """Scopus BibTeX via ``bibtexparser``: author keywords are ``author_keywords``."""
    import bibtexparser

    count = len(re.findall(r"(?m)^@\w+\{", text))
    library = bibtexparser.parse_string(text)

    def get(entry: Any, key: str) -> str | None:
        field = entry.fields_dict.get(key)
        return re.sub(r"[{}]", "", field.value) if field else None

    refs = []  # an entry with a field twice (funding_details) is a "failed block" to keep
    entries = [getattr(b, "ignore_error_block", b) for b in library.blocks
               if hasattr(b, "fields_dict") or hasattr(b, "ignore_error_block")]
    for entry in entries:
        authors = [a.strip() for a in re.split(r"\s+and\s+", get(entry, "author") or "")
                   if a.strip()]
        refs.append(_record(get(entry, "title"), authors, _year(get(entry, "year")),
                            get(entry, "journal"), _items([get(entry, "author_keywords") or ""]),
                            get(entry, "abstract")))
    return count, refs


def endnote_xml(data: bytes) -> tuple[int, list[Ref]]:
    """EndNote XML via ``lxml`` XPath; one ``<keyword>`` or ``<author>`` is one item."""
    from lxml import etree

    count = len(re.findall(rb"<record>", data))
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))

    def text(rec: Any, path: str) -> str | None:
        found = rec.xpath(path)
        return "".join(found[0].itertext()) if found else None

    refs = []
    for rec in root.iter("record"):
        refs.append(_record(
            text(rec, "titles/title"),
            [_one("".join(a.itertext())) for a in rec.xpath("contributors/authors/author")],
            _year(text(rec, "dates/year")),
            text(rec, "periodical/full-title") or text(rec, "titles/secondary-title"),
            [_one("".join(k.itertext())) for k in rec.xpath("keywords/keyword")
             if "".join(k.itertext()).strip()],
            text(rec, "abstract")))
    return count, refs


#: folder under tests/fixtures/ingest/real → its reference parser
PARSERS = {"ris": ris, "wos_plain": wos, "cnki_endnote": endnote, "cnki_refworks": refworks,
           "refworks": refworks, "cnki_estudy": estudy, "noteexpress": noteexpress,
           "scopus_csv": scopus_csv, "scopus_bib": scopus_bib, "endnote_xml": endnote_xml}


def reference(path: Path, folder: str) -> tuple[int, list[Ref]]:
    """The record count and reference records of one real export file."""
    data = path.read_bytes()
    if folder == "endnote_xml":
        return endnote_xml(data)
    return PARSERS[folder](data.decode("utf-8-sig"))


def files() -> list[tuple[str, Path]]:
    """Every real export: (format folder, path), the shared CNKI NoteExpress set included
    when ../shared is present."""
    out = [(p.parent.name, p) for p in sorted(REAL.glob("*/*"))
           if p.name != "SOURCE.md" and p.parent.name in PARSERS]
    if SHARED_NE.is_dir():
        out += [("noteexpress", p) for p in sorted(SHARED_NE.glob("*.net"))]
    return out
