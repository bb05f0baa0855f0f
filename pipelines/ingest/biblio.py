"""Parsers for bibliographic exports, one per format, each returning normalised records.

Formats and the specifications they follow:

- CNKI NoteExpress ``.net``: ``{Field}: value`` lines; a record starts at ``{Reference Type}``
  (CNKI splits ``{Author Address}`` over lines separated by blank lines, so blank lines do not
  end a record when the file marks its records).
- RIS: "RIS Format Specifications", Research Information Systems (refman.com/support/
  risformat_intro.asp): ``TY  - `` ... ``ER  - ``.
- EndNote tagged (``.enw``, CNKI's EndNote export): "Creating a Tagged EndNote Import File",
  EndNote manual (Refer/BibIX tags: ``%0`` type, ``%A`` author, ``%T`` title, ``%J`` journal,
  ``%D`` year, ``%8`` date, ``%K`` keywords, ``%X`` abstract, ``%R`` DOI), records apart by a
  blank line.
- EndNote XML: the ``<xml><records><record>`` export of EndNote (``File > Export > XML``),
  elements ``titles/title``, ``contributors/authors/author``, ``periodical/full-title``,
  ``keywords/keyword``, ``dates/year``, ``abstract``, ``electronic-resource-num``.
- RefWorks tagged (CNKI's RefWorks export): "RefWorks Tagged Format", Ex Libris knowledge
  center: ``RT`` type (starts a record), ``A1`` author, ``T1`` title, ``JF`` journal, ``YR``
  year, ``FD`` date, ``K1`` keyword, ``AB`` abstract, ``DO`` DOI.
- Web of Science plain text: "Web of Science Core Collection Field Tags", Clarivate: ``FN``/
  ``VR`` header, ``PT`` starts and ``ER`` ends a record, continuation lines indented by three
  spaces; ``TI`` title, ``AU``/``AF`` authors, ``SO`` source, ``DE`` author keywords, ``AB``
  abstract, ``PY`` year, ``PD`` date, ``DI`` DOI, ``UT`` accession number. The tab-delimited
  export has the same tags as column names.
- Scopus CSV: Elsevier's Scopus export columns ``Authors``, ``Title``, ``Year``, ``Source
  title``, ``DOI``, ``Abstract``, ``Author Keywords``.
- CNKI 自定义 / 知网研学 (E-Study) export: ``Key-中文名: value`` lines (``Title-题名``,
  ``Author-作者``, ``Source-刊名``, ``Year-年``, ``PubTime-出版时间``, ``Keyword-关键词``,
  ``Summary-摘要``, ``SrcDatabase-来源库``); a record starts at the field that opens the
  file's first record.
- BibTeX.

Each parser returns one dict per record with normalised keys: ``text`` (the abstract),
``title``, ``authors``, ``keywords``, ``year``, ``date``, ``journal``, ``doi``, plus every other
field under its own name. ``authors`` and ``keywords`` are lists of one name or keyword each
(:mod:`pipelines.ingest.records`), whatever the export wrote; other repeated fields are joined
with ``"; "``. The quirks of real exports (tests/fixtures/ingest/real) are handled where they
occur: CNKI's ``(#br)`` and ``<正>`` marks, a RIS journal written under two tags, keywords on
untagged RIS lines, RefWorks tags without a space or in lower case, E-Study ``DataType`` lines.
The line-tagged formats are parsed here; EndNote XML, BibTeX and the Scopus/WoS table rows in
:mod:`pipelines.ingest.structured`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipelines.ingest.records import LIST_KEYS, Fields, finish_all
from pipelines.ingest.records import add_field as _add
from pipelines.ingest.structured import WOS_KEYS as _WOS_KEYS
from pipelines.ingest.structured import map_row, parse_bibtex, parse_endnote_xml, table_kind

__all__ = ["parse", "parse_noteexpress", "parse_ris", "parse_bibtex", "parse_endnote",
           "parse_endnote_xml", "parse_refworks", "parse_wos", "parse_cnki_custom",
           "table_kind", "map_row", "sniff", "PARSERS"]

_NE_FIELD = re.compile(r"^\{([^}]+)\}\s*[:：]\s?(.*)$")
_NE_KEYS = {"abstract": "text", "author": "authors", "keywords": "keywords", "title": "title",
            "year": "year", "journal": "journal", "date": "date", "doi": "doi"}
_RIS_KEYS = {"AB": "text", "N2": "text", "TI": "title", "T1": "title", "AU": "authors",
             "A1": "authors", "KW": "keywords", "PY": "year", "Y1": "year", "DA": "date",
             "PB": "publisher", "UR": "url", "DO": "doi", "TY": "type"}
# The journal of a RIS record, first found in this order (full names before abbreviations;
# EBSCO and IEEE write the same name under JO and JF, EndNote under T2).
_RIS_JOURNAL = ("JF", "T2", "JO", "JA", "J2")
_ENW_KEYS = {"0": "type", "A": "authors", "T": "title", "J": "journal", "B": "journal",
             "D": "year", "8": "date", "K": "keywords", "X": "text", "R": "doi", "U": "url",
             "@": "issn", "+": "address", "V": "volume", "N": "issue", "P": "pages",
             "I": "publisher", "W": "database", "L": "call_number", "9": "type_of_work"}
_RW_KEYS = {"RT": "type", "A1": "authors", "T1": "title", "JF": "journal", "YR": "year",
            "FD": "date", "K1": "keywords", "AB": "text", "DO": "doi", "SN": "issn",
            "AD": "address", "LA": "language", "DS": "database", "LK": "url", "UL": "url",
            "URL": "url", "VO": "volume", "IS": "issue", "SP": "start_page", "OP": "end_page",
            "PB": "publisher"}
# Tags of the RefWorks tagged format (Ex Libris), also read in lower case (CNKI writes vo).
_RW_TAGS = set(_RW_KEYS) | {"SR", "ID", "A2", "A3", "A4", "A5", "A6", "T2", "T3", "JO", "JA",
                            "NO", "PP", "ED", "AN", "CL", "CN", "DB", "IP", "RD", "SF", "OL",
                            "OT", "WT", "WP", "WV", "CR", "U1", "U2", "U3", "U4", "U5"}
_CNKI_KEYS = {"title": "title", "author": "authors", "source": "journal", "year": "year",
              "pubtime": "date", "keyword": "keywords", "summary": "text", "doi": "doi",
              "srcdatabase": "database", "organ": "address", "link": "url",
              "period": "issue", "volume": "volume", "roll": "volume"}
_CNKI_FIELD = re.compile(r"^([A-Za-z][A-Za-z ]*)-([^\s:：]*)\s*[:：]\s?(.*)$")
_CNKI_DATATYPE = re.compile(r"^DataType\s*[:：]\s*(\S*)\s*$")


def parse_noteexpress(text: str) -> list[Fields]:
    """Parse a NoteExpress export: ``{Field}: value`` lines.

    A record starts at ``{Reference Type}``; only files without that field fall back to
    records apart by blank lines. A line that is not a field continues the previous field.

    >>> parse_noteexpress("{Title}: 甲\\n{Author}: 张;\\n{Author}: 李\\n{Keywords}: 教育；乡村"
    ...                   "\\n{Abstract}: Abstract(#br)x\\n\\n{Title}: 乙\\n")
    [{'title': '甲', 'authors': ['张', '李'], 'keywords': ['教育', '乡村'], 'text': 'x'}, \
{'title': '乙'}]
    >>> [r["title"] for r in parse_noteexpress("{Reference Type}: J\\n{Title}: 甲\\n"
    ...  "{Author Address}: 北京\\n\\n\\n,100029\\n{Abstract}: x\\n\\n{Reference Type}: J\\n"
    ...  "{Title}: 乙")]
    ['甲', '乙']
    """
    marked = re.search(r"(?mi)^\s*\{Reference Type\}", text) is not None
    records: list[Fields] = []
    current: Fields = {}
    last_key: str | None = None
    for line in text.splitlines():
        m = _NE_FIELD.match(line.strip())
        if m:
            name = m.group(1).strip().rstrip(",")
            if name.lower() == "reference type" and current:
                records.append(current)
                current = {}
            key = _NE_KEYS.get(name.lower(), name)
            _add(current, key, m.group(2))
            last_key = key
        elif not line.strip():
            if not marked:
                if current:
                    records.append(current)
                current, last_key = {}, None
        elif last_key is not None:  # a value broken over lines
            current[last_key] = current.get(last_key, "") + line.strip()
    records.append(current)
    return finish_all(records)


def parse_ris(text: str) -> list[Fields]:
    """Parse RIS records (``TY  - `` ... ``ER  - ``).

    An untagged line continues the field above it; under ``KW`` or ``AU`` it is one more
    keyword or author (EndNote writes its keywords so).

    >>> parse_ris("TY  - JOUR\\nTI  - T\\nAU  - A\\nAU  - B\\nPY  - 2020\\nJO  - J\\nJF  - J\\n"
    ...           "KW  - x\\ny\\nAB  - z\\nER  - \\n")
    [{'type': 'JOUR', 'title': 'T', 'authors': ['A', 'B'], 'year': '2020', \
'keywords': ['x', 'y'], 'text': 'z', 'journal': 'J'}]
    """
    records: list[Fields] = []
    current: Fields = {}
    last_key: str | None = None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|$)", line.lstrip("\ufeff"))
        if m:
            tag, value = m.group(1), m.group(2) or ""
            if tag == "ER":
                records.append(_ris_journal(current))
                current, last_key = {}, None
                continue
            last_key = _RIS_KEYS.get(tag, tag.lower())
            if last_key == "year":
                value = value.split("/")[0]
            _add(current, last_key, value)
        elif line.strip() and last_key is not None:
            if last_key in LIST_KEYS:
                _add(current, last_key, line)
            else:
                current[last_key] = (current.get(last_key, "") + " " + line.strip()).strip()
    records.append(_ris_journal(current))
    return finish_all(records)


def _ris_journal(record: Fields) -> Fields:
    """Pick the record's journal among its journal tags (the others stay as ``jo``, ``t2``,
    ... when they differ)."""
    for tag in _RIS_JOURNAL:
        value = record.get(tag.lower())
        if value:
            record["journal"] = value.split("; ")[0]
            break
    for tag in _RIS_JOURNAL:
        if tag.lower() in record and record[tag.lower()] == record.get("journal"):
            del record[tag.lower()]
    return record


def _tagged(text: str, tag: re.Pattern[str], keys: dict[str, str], start: str,
            *, known: set[str] | None = None) -> list[Fields]:
    """Shared loop of the line-tagged formats (EndNote, RefWorks).

    A blank line ends a field, except the abstract: CNKI writes a thesis abstract after an
    empty ``%X`` line as paragraphs apart by blank lines. With ``known``, a tag is also read
    in lower case when it is one of those (CNKI's RefWorks export writes ``vo 49``).
    """
    records: list[Fields] = []
    current: Fields = {}
    last_key: str | None = None
    gap = False
    for line in text.splitlines():
        m = tag.match(line)
        code = m.group(1) if m else ""
        if m and known is not None and code not in known and code.upper() not in known:
            m = None
        if m:
            code, value = code.upper() if known is not None else code, m.group(2)
            if code == start and current:
                records.append(current)
                current = {}
            last_key = keys.get(code, f"tag_{code}" if not code.isalnum() else code.lower())
            _add(current, last_key, value)
            gap = False
        elif not line.strip():
            gap = True
        elif last_key is not None and (not gap or last_key == "text"):
            joiner = "\n" if gap else ("; " if last_key in LIST_KEYS else " ")
            current[last_key] = (current.get(last_key, "") + joiner + line.strip()).strip()
            gap = False
    records.append(current)
    return finish_all(records)


def parse_endnote(text: str) -> list[Fields]:
    """Parse EndNote tagged records (``%0 Journal Article`` starts one).

    >>> parse_endnote("%0 Journal Article\\n%A 张三\\n%A 李四\\n%T 题\\n%D 2021\\n%K 甲;乙\\n"
    ...               "%X\\n\\n摘要一\\n\\n摘要二\\n\\n%0 Book\\n%T 书")
    [{'type': 'Journal Article', 'authors': ['张三', '李四'], 'title': '题', 'year': '2021', \
'keywords': ['甲', '乙'], 'text': '摘要一\\n摘要二'}, {'type': 'Book', 'title': '书'}]
    """
    return _tagged(text, re.compile(r"^%(\S)\s?(.*)$"), _ENW_KEYS, "0")


def parse_refworks(text: str) -> list[Fields]:
    """Parse RefWorks tagged records (``RT Journal Article`` starts one).

    CNKI writes some tags without the space (``A1林行众``) or in lower case (``vo 49``).

    >>> parse_refworks("RT Journal Article\\nA1林行众;李四\\nT1 题\\nYR 2020\\nvo 49\\nK1 甲\\n"
    ...                "K1 乙\\nAB x")
    [{'type': 'Journal Article', 'authors': ['林行众', '李四'], 'title': '题', 'year': '2020', \
'volume': '49', 'keywords': ['甲', '乙'], 'text': 'x'}]
    """
    return _tagged(text, re.compile(r"^([A-Za-z][A-Za-z0-9]|URL)(?= |[^\x00-\x7f]|$) ?(.*)$"),
                   _RW_KEYS, "RT", known=_RW_TAGS)


def parse_wos(text: str) -> list[Fields]:
    """Parse a Web of Science plain-text export (``PT`` ... ``ER``; indented continuations).

    Continuation lines of ``AU``/``AF`` are further authors; of other fields, more text.

    >>> parse_wos("FN Clarivate\\nVR 1.0\\nPT J\\nAU Li, M\\n   Wang, F\\nTI A long\\n   title\\n"
    ...           "DE rural; teachers\\nAB x\\nPY 2020\\nER\\n\\nEF")
    [{'type': 'J', 'authors': ['Li, M', 'Wang, F'], 'title': 'A long title', \
'keywords': ['rural', 'teachers'], 'text': 'x', 'year': '2020'}]
    """
    records: list[Fields] = []
    current: Fields = {}
    last_tag: str | None = None
    for line in text.splitlines():
        line = line.lstrip("\ufeff")
        m = re.match(r"^([A-Z][A-Z0-9])(?: (.*))?$", line.rstrip())
        if m and m.group(1) in ("FN", "VR", "EF"):
            continue
        if m:
            tag, value = m.group(1), m.group(2) or ""
            if tag == "ER":
                records.append(current)
                current, last_tag = {}, None
                continue
            last_tag = tag
            _add(current, _WOS_KEYS.get(tag, tag.lower()), value)
        elif line.strip() and last_tag is not None:  # indented by 3 spaces (not always)
            key = _WOS_KEYS.get(last_tag, last_tag.lower())
            if last_tag in ("AU", "AF", "C1", "CR"):
                _add(current, key, line.strip())
            else:
                current[key] = current.get(key, "") + " " + line.strip()
    records.append(current)
    return finish_all(records)


def parse_cnki_custom(text: str) -> list[Fields]:
    """Parse CNKI's 自定义 / 知网研学 (E-Study) export (``Title-题名: …`` lines).

    A record starts at a ``DataType: 1`` line (E-Study writes one before each record),
    else at the field name that opened the file's first record.

    >>> parse_cnki_custom("SrcDatabase-来源库: 期刊\\nTitle-题名: 甲\\nAuthor-作者: 张;李;\\n"
    ...                   "Summary-摘要: x\\n\\nSrcDatabase-来源库: 期刊\\nTitle-题名: 乙")
    [{'database': '期刊', 'title': '甲', 'authors': ['张', '李'], 'text': 'x'}, \
{'database': '期刊', 'title': '乙'}]
    >>> [r["url"] for r in parse_cnki_custom("DataType: 1\\nTitle-题名: 甲\\nLink-链接: http://a"
    ...  "\\nDataType: 1\\nTitle-题名: 乙\\nLink-链接: http://b")]
    ['http://a', 'http://b']
    """
    records: list[Fields] = []
    current: Fields = {}
    opener: str | None = None
    last_key: str | None = None
    typed = re.search(r"(?m)^DataType\s*[:：]", text) is not None
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        dm = _CNKI_DATATYPE.match(line)
        if dm:
            records.append(current)
            current, last_key = {"data_type": dm.group(1)} if dm.group(1) else {}, None
            continue
        m = _CNKI_FIELD.match(line)
        if m:
            name = m.group(1).replace(" ", "").lower()
            opener = opener or name
            if not typed and name == opener and current:
                records.append(current)
                current = {}
            key = _CNKI_KEYS.get(name, name)
            _add(current, key, m.group(3))
            last_key = key
        elif line and last_key is not None:
            current[last_key] = current.get(last_key, "") + line
    records.append(current)
    return finish_all(records)


# (format, pattern of the first line, pattern the first 40 lines must also hold)
_SNIFFERS = [
    ("noteexpress", re.compile(r"^\{[^}]+\}\s*[:：]"),
     re.compile(r"(?m)^\{(?:Reference Type|Title|Author)\}\s*[:：]")),
    ("ris", re.compile(r"^TY  - "), re.compile(r"(?m)^(?:TI|T1|AU|A1|ER)  -")),
    ("endnote", re.compile(r"^%0 "), re.compile(r"(?m)^%[TAJD] \S")),
    ("refworks", re.compile(r"^RT \S"), re.compile(r"(?m)^(?:T1|A1|JF|YR) \S")),
    ("wos", re.compile(r"^(?:FN (?:Clarivate|Thomson|ISI)|PT [A-Z]$)"),
     re.compile(r"(?m)^(?:TI|AU) \S")),
    ("cnki_custom", re.compile(r"^(?:DataType\s*[:：]|[A-Za-z]+-[\u4e00-\u9fff]+\s*[:：])"),
     re.compile(r"(?m)^Title-[\u4e00-\u9fff]+\s*[:：]")),
]


def sniff(text: str) -> str | None:
    """The bibliographic format of a ``.txt`` export, from its first non-blank line and a
    second tag of the same format among the first 40 lines (a tweet starting ``RT @x`` is
    not a RefWorks export).

    >>> sniff("\\n%0 Journal Article\\n%T x"), sniff("RT Journal Article\\nT1 x")
    ('endnote', 'refworks')
    >>> sniff("RT @people: 乡村振兴\\n正文"), sniff("正文")
    (None, None)
    """
    lines = [line.strip("\ufeff \t") for line in text[:8192].splitlines() if line.strip()]
    if re.match(r"(?i)^RefWorks Export Tagged Format", lines[0] if lines else ""):
        lines = lines[next((i for i, x in enumerate(lines) if x.startswith("RT ")),
                           len(lines)):]  # the header and tag legend of a RefWorks file
    if not lines:
        return None
    head = "\n".join(lines[:40])
    for kind, first, also in _SNIFFERS:
        if first.match(lines[0]) and also.search(head):
            return kind
    return None


def parse(kind: str, text: str) -> tuple[str, list[Fields]]:
    """The records of an export read as ``kind`` (its file extension's format), or, when
    that finds none, as the format the text itself shows (rispy's ``example_wos.ris`` is a
    Web of Science file named .ris); returns the format used and the records."""
    entries = PARSERS[kind](text)
    if not entries:
        found = sniff(text)
        if found is not None and found != kind:
            return found, PARSERS[found](text)
    return kind, entries


PARSERS: dict[str, Callable[[str], list[Fields]]] = {
    "noteexpress": parse_noteexpress, "ris": parse_ris, "bibtex": parse_bibtex,
    "endnote": parse_endnote, "endnote_xml": parse_endnote_xml, "refworks": parse_refworks,
    "wos": parse_wos, "cnki_custom": parse_cnki_custom,
}
