"""Bibliographic exports that are not line-tagged: EndNote XML, BibTeX, and the rows of the
Scopus CSV and Web of Science tab-delimited exports (their formats are described in
:mod:`pipelines.ingest.biblio`). Each parser returns normalised records (:mod:`records`).
"""

from __future__ import annotations

import re

from pipelines.ingest.records import (
    LIST_KEYS,
    Fields,
    add_field,
    finish,
    finish_all,
    scopus_authors,
)

__all__ = ["parse_endnote_xml", "parse_bibtex", "table_kind", "map_row", "WOS_KEYS"]

_BIB_KEYS = {"abstract": "text", "author": "authors", "keywords": "keywords", "title": "title",
             "year": "year", "journal": "journal", "date": "date", "doi": "doi"}
#: Web of Science field tags (plain text and tab-delimited) and their normalised names.
WOS_KEYS = {"PT": "type", "AU": "authors", "TI": "title", "SO": "journal", "DE": "keywords",
            "ID": "keywords_plus", "AB": "text", "PY": "year", "PD": "pub_date", "DI": "doi",
            "UT": "wos_id", "LA": "language", "DT": "document_type", "C1": "address"}
# Columns of a Scopus CSV export and their normalised names.
_SCOPUS_KEYS = {"Authors": "authors", "Title": "title", "Year": "year", "Source title": "journal",
                "DOI": "doi", "Abstract": "text", "Author Keywords": "keywords",
                "Index Keywords": "index_keywords", "Document Type": "document_type",
                "EID": "eid", "Link": "url"}


def parse_endnote_xml(text: str) -> list[Fields]:
    """Parse an EndNote XML export; a DOCTYPE (entities, external files) is refused.

    >>> parse_endnote_xml('<xml><records><record><ref-type name="Journal Article">17</ref-type>'
    ...   '<contributors><authors><author><style>Li, M</style></author><author>Wang, F</author>'
    ...   '</authors></contributors><titles><title><style>T</style></title></titles>'
    ...   '<dates><year>2019</year><pub-dates><date>Dec</date></pub-dates></dates>'
    ...   '<abstract>x</abstract></record></records></xml>')
    [{'type': 'Journal Article', 'authors': ['Li, M', 'Wang, F'], 'title': 'T', \
'year': '2019', 'date': 'Dec', 'text': 'x'}]
    """
    import xml.etree.ElementTree as ET

    if re.search(r"<!DOCTYPE|<!ENTITY", text[:100_000], re.I):
        raise ValueError("the XML declares a DOCTYPE or entities, which are not read")
    root = ET.fromstring(text)

    def val(el: ET.Element | None) -> str:
        return re.sub(r"\s+", " ", "".join(el.itertext())).strip() if el is not None else ""

    paths = [("type", "ref-type"), ("authors", "contributors/authors/author"),
             ("title", "titles/title"), ("journal", "periodical/full-title"),
             ("journal", "titles/secondary-title"), ("year", "dates/year"),
             ("date", "dates/pub-dates/date"), ("keywords", "keywords/keyword"),
             ("text", "abstract"), ("doi", "electronic-resource-num"), ("url", "urls//url"),
             ("volume", "volume"), ("issue", "number"), ("pages", "pages"), ("issn", "isbn")]
    records = []
    for rec in root.iter("record"):
        out: Fields = {}
        for key, path in paths:
            if key == "journal" and "journal" in out:
                continue
            for el in rec.findall(path):
                value = el.get("name") if key == "type" and el.get("name") else val(el)
                if key in LIST_KEYS:  # one element is one name or keyword, even with ";"
                    out.setdefault(key, []).append(value) if value else None
                else:
                    add_field(out, key, value)
        records.append(out)
    return finish_all(records)


def _bib_value(body: str, start: int) -> tuple[str, int]:
    """Read a braced, quoted or bare BibTeX value starting at ``start``."""
    if body[start] == "{":
        depth, i = 0, start
        while i < len(body):
            if body[i] == "{":
                depth += 1
            elif body[i] == "}":
                depth -= 1
                if depth == 0:
                    return body[start + 1:i], i + 1
            i += 1
        return body[start + 1:], len(body)
    if body[start] == '"':
        end = body.find('"', start + 1)
        end = len(body) if end < 0 else end
        return body[start + 1:end], end + 1
    m = re.match(r"[^,}\s]+", body[start:])
    return (m.group(0), start + m.end()) if m else ("", start)


def parse_bibtex(text: str) -> list[Fields]:
    """Parse BibTeX entries (``@article{key, field = {value}, ...}``).

    Scopus writes the author keywords as ``author_keywords`` and its index keywords as
    ``keywords``: the author keywords become ``keywords`` (as in a Scopus CSV) and the others
    ``index_keywords``. Keywords are apart by ``;``, else by ``,``.

    >>> parse_bibtex('@article{k1, title={A {B}}, author = "X and Y", year = 2021,'
    ...              ' keywords={a, b}, abstract={z}}')
    [{'type': 'article', 'key': 'k1', 'title': 'A B', 'authors': ['X', 'Y'], 'year': '2021', \
'keywords': ['a', 'b'], 'text': 'z'}]
    """
    records = []
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]*)\s*,", text):
        kind = m.group(1).lower()
        if kind in ("comment", "preamble", "string"):
            continue
        record: Fields = {"type": kind, "key": m.group(2)}
        i = m.end()
        while i < len(text):
            fm = re.compile(r"\s*(\w[\w-]*)\s*=\s*").match(text, i)
            if not fm:
                break
            value, i = _bib_value(text, fm.end())
            key = _BIB_KEYS.get(fm.group(1).lower(), fm.group(1).lower())
            value = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
            if key == "authors":
                value = "; ".join(a.strip() for a in re.split(r"\s+and\s+", value))
            elif key in ("keywords", "author_keywords") and ";" not in value:
                value = "; ".join(value.split(","))
            add_field(record, key, value)
            cm = re.compile(r"\s*,?").match(text, i)
            i = cm.end()
            if i < len(text) and text[i] == "}":
                break
        if "author_keywords" in record:
            if "keywords" in record:
                record["index_keywords"] = record.pop("keywords")
            record["keywords"] = record.pop("author_keywords")
        records.append(record)
    return finish_all(records)


def table_kind(columns: list[str]) -> str | None:
    """``"scopus"`` or ``"wos"`` when a table's header is that database's export, else None.

    >>> table_kind(["Authors", "Title", "Year", "Source title", "Abstract"]), table_kind(
    ...     ["PT", "AU", "TI", "SO", "AB", "PY"]), table_kind(["title", "text"])
    ('scopus', 'wos', None)
    """
    names = {c.strip().lstrip("\ufeff") for c in columns}
    if {"Authors", "Title", "Year", "Source title"} <= names:
        return "scopus"
    if {"PT", "AU", "TI", "SO"} <= names and ("AB" in names or "PY" in names):
        return "wos"
    return None


def map_row(kind: str, row: dict[str, str]) -> Fields:
    """A Scopus or WoS table row with normalised keys (other columns keep their names);
    Scopus' comma-joined authors (before 2020) become a list like its later ``;`` ones."""
    keys = _SCOPUS_KEYS if kind == "scopus" else WOS_KEYS
    out: Fields = {}
    for col, value in row.items():
        col = col.strip().lstrip("\ufeff")
        value = (value or "").strip()
        if not value or (kind == "wos" and col in ("FN", "VR", "ER", "EF")):
            continue
        if kind == "scopus" and value == "[No abstract available]":
            continue
        key = keys.get(col, col if kind == "scopus" else col.lower())
        if key == "authors" and kind == "scopus":
            value = "; ".join(scopus_authors(value))
        add_field(out, key, value)
    return finish(out)
