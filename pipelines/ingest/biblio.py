"""Parsers for bibliographic exports: CNKI NoteExpress (.net), RIS and BibTeX.

Each parser returns one dict per record with normalised keys: ``text`` (the abstract),
``title``, ``authors``, ``keywords``, ``year``, ``journal``, plus every other field under its
own name. Repeated fields (one ``{Author}`` line per author) are joined with ``"; "``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["parse_noteexpress", "parse_ris", "parse_bibtex", "PARSERS"]

_NE_FIELD = re.compile(r"^\{([^}]+)\}\s*[:：]\s?(.*)$")
_NE_KEYS = {"abstract": "text", "author": "authors", "keywords": "keywords", "title": "title",
            "year": "year", "journal": "journal", "date": "date"}
_RIS_KEYS = {"AB": "text", "N2": "text", "TI": "title", "T1": "title", "AU": "authors",
             "A1": "authors", "KW": "keywords", "PY": "year", "Y1": "year", "DA": "date",
             "JO": "journal", "JF": "journal", "T2": "journal", "PB": "publisher",
             "UR": "url", "DO": "doi", "TY": "type"}
_BIB_KEYS = {"abstract": "text", "author": "authors", "keywords": "keywords", "title": "title",
             "year": "year", "journal": "journal", "date": "date"}


def _add(record: dict[str, str], key: str, value: str) -> None:
    value = value.strip()
    if not value:
        return
    record[key] = f"{record[key]}; {value}" if key in record else value


def parse_noteexpress(text: str) -> list[dict[str, str]]:
    """Parse a NoteExpress export: ``{Field}: value`` lines, records apart by blank lines.

    >>> parse_noteexpress("{Title}: 甲\\n{Author}: 张;\\n{Author}: 李\\n{Abstract}: Abstract(#br)x"
    ...                   "\\n\\n{Title}: 乙\\n")
    [{'title': '甲', 'authors': '张; 李', 'text': 'x'}, {'title': '乙'}]
    """
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last_key: str | None = None
    for line in text.splitlines():
        m = _NE_FIELD.match(line.strip())
        if m:
            name = m.group(1).strip().rstrip(",")
            if name.lower() == "reference type" and current:
                records.append(current)
                current = {}
            key = _NE_KEYS.get(name.lower(), name)
            value = m.group(2).strip()
            if key == "authors":
                value = "; ".join(a.strip() for a in re.split(r";+", value) if a.strip())
            if key == "text":
                value = re.sub(r"^Abstract\(#br\)", "", value).replace("(#br)", "\n")
            _add(current, key, value)
            last_key = key
        elif not line.strip():
            if current:
                records.append(current)
            current, last_key = {}, None
        elif last_key is not None:  # a value broken over lines
            current[last_key] = current.get(last_key, "") + line.strip()
    if current:
        records.append(current)
    return records


def parse_ris(text: str) -> list[dict[str, str]]:
    """Parse RIS records (``TY  - `` ... ``ER  - ``).

    >>> parse_ris("TY  - JOUR\\nTI  - T\\nAU  - A\\nAU  - B\\nPY  - 2020\\nAB  - x\\nER  - \\n")
    [{'type': 'JOUR', 'title': 'T', 'authors': 'A; B', 'year': '2020', 'text': 'x'}]
    """
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last_key: str | None = None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Z0-9])  -\s?(.*)$", line)
        if m:
            tag, value = m.groups()
            if tag == "ER":
                if current:
                    records.append(current)
                current, last_key = {}, None
                continue
            last_key = _RIS_KEYS.get(tag, tag.lower())
            if last_key == "year":
                value = value.split("/")[0]
            _add(current, last_key, value)
        elif line.strip() and last_key is not None:
            current[last_key] = current.get(last_key, "") + " " + line.strip()
    if current:
        records.append(current)
    return records


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


def parse_bibtex(text: str) -> list[dict[str, str]]:
    """Parse BibTeX entries (``@article{key, field = {value}, ...}``).

    >>> parse_bibtex('@article{k1, title={A {B}}, author = "X and Y", year = 2021,'
    ...              ' abstract={z}}')
    [{'type': 'article', 'key': 'k1', 'title': 'A B', 'authors': 'X; Y', 'year': '2021', \
'text': 'z'}]
    """
    records = []
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]*)\s*,", text):
        kind = m.group(1).lower()
        if kind in ("comment", "preamble", "string"):
            continue
        record = {"type": kind, "key": m.group(2)}
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
            _add(record, key, value)
            cm = re.compile(r"\s*,?").match(text, i)
            i = cm.end()
            if i < len(text) and text[i] == "}":
                break
        records.append(record)
    return records


PARSERS: dict[str, Callable[[str], list[dict[str, str]]]] = {
    "noteexpress": parse_noteexpress, "ris": parse_ris, "bibtex": parse_bibtex,
}
