"""Normalised fields of bibliographic records: lists of names and keywords, dates, abstracts.

Every export writes authors and keywords its own way (one per tag, ``;`` or ``；`` inside one
value, Scopus' comma-joined authors before 2020); :func:`finish` turns them into lists of one
name or keyword each, whatever the export, as DESIGN.md's table contract asks.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LIST_KEYS", "Fields", "split_list", "scopus_authors", "add_field", "finish",
           "finish_all", "merge_date", "clean_abstract", "as_list"]

Fields = dict[str, Any]
#: Metadata keys that hold lists (one name or keyword per item) in ``ingest/documents``.
LIST_KEYS = ("authors", "keywords", "index_keywords", "keywords_plus")
_SEP = re.compile(r"\s*[;；]+\s*")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def split_list(value: str) -> list[str]:
    """Items of a ``;``/``；``-separated value, blanks dropped.

    >>> split_list("张;;李;"), split_list("教育；乡村振兴"), split_list(" ")
    (['张', '李'], ['教育', '乡村振兴'], [])
    """
    return [item.strip() for item in _SEP.split(value) if item.strip()]


def scopus_authors(value: str) -> list[str]:
    """Authors of a Scopus CSV cell: ``;``-separated since 2020, comma-joined before.

    Before 2020 Scopus wrote ``Little A.R., Mike Conner L.`` (surname, space, initials;
    names apart by commas); since then ``Little, A.R.; Conner, L.M.``. In a cell without
    ``;`` a comma-separated piece without a space (``III``, ``W.``) belongs to the name
    before it, so ``Li, W.`` stays one name.

    >>> scopus_authors("Little A.R., Mike Conner L."), scopus_authors("Li, W.; Dou, Z.")
    (['Little A.R.', 'Mike Conner L.'], ['Li, W.', 'Dou, Z.'])
    >>> scopus_authors("Li, W."), scopus_authors("Thompson F.R., III, Rumble M.A.")
    (['Li, W.'], ['Thompson F.R., III', 'Rumble M.A.'])
    >>> scopus_authors("[No author name available]")
    []
    """
    value = value.strip()
    if not value or value.startswith("[No author"):
        return []
    if ";" in value:
        return split_list(value)
    names: list[str] = []
    for piece in (p.strip() for p in value.split(",")):
        if names and " " not in piece:
            names[-1] = f"{names[-1]}, {piece}"
        elif piece:
            names.append(piece)
    return names


SINGLE_KEYS = ("title", "text", "journal", "year", "date", "doi")


def add_field(record: Fields, key: str, value: str) -> None:
    """Add a field's value; a repeated field joins its values with ``"; "`` (split into
    lists by :func:`records.finish`), except a value the field already holds, and the
    single-valued fields, whose first value stays (EBSCO writes the journal under two tags
    and a copyright notice as a second ``AB``)."""
    value = value.strip()
    if not value:
        return
    if key not in record:
        record[key] = value
    elif key in LIST_KEYS or (key not in SINGLE_KEYS and value not in split_list(record[key])):
        record[key] = f"{record[key]}; {value}"


def finish_all(records: list[Fields]) -> list[Fields]:
    """The non-empty records, each :func:`finish`-ed."""
    return [finish(r) for r in records if r]


def as_list(value: Any) -> list[str] | None:
    """A list field's value as a list (strings are split at ``;``/``；``); None if empty."""
    if value is None:
        return None
    items = split_list(value) if isinstance(value, str) else [str(v).strip() for v in value
                                                              if str(v).strip()]
    return items or None


def finish(record: dict[str, Any]) -> dict[str, Any]:
    """A parsed record with its list fields as lists and its abstract cleaned."""
    for key in LIST_KEYS:
        if key in record:
            items = as_list(record[key])
            if items:
                record[key] = items
            else:
                del record[key]
    if isinstance(record.get("text"), str):
        record["text"] = clean_abstract(record["text"])
    if isinstance(record.get("title"), str):  # 　 (U+3000) and line breaks inside titles
        record["title"] = re.sub(r"\s+", " ", record["title"]).strip()
    return record


_CNKI_MARKS = re.compile(r"^\s*(?:Abstract)?\(#br\)|^\s*[<‹〈＜]正[>›〉＞]\s*")


def clean_abstract(text: str) -> str:
    """An abstract without CNKI's markup: ``(#br)`` line breaks become new lines, and the
    ``<正>``/``‹正>`` marker (正文, "text follows") that opens an abstract is dropped.

    >>> clean_abstract("Abstract(#br)One.(#br)Two."), clean_abstract("‹正>苯妥英钠作为")
    ('One.\\nTwo.', '苯妥英钠作为')
    """
    text = _CNKI_MARKS.sub("", text)
    text = _CNKI_MARKS.sub("", text)
    return text.replace("(#br)", "\n").strip()


def merge_date(date: str | None, year: str | None) -> str | None:
    """One date from a record's date and year fields: a date without a year (``Dec``,
    ``DEC 24``, ``Sep``) is completed by the year instead of hiding it.

    >>> merge_date("Dec", "2014"), merge_date("DEC 24", "2012"), merge_date("2021-01-18", "2021")
    ('2014-12', '2012-12-24', '2021-01-18')
    >>> merge_date(None, "2016/09//"), merge_date("Spring", "2019"), merge_date("Dec", None)
    ('2016', '2019', 'Dec')
    """
    year_m = re.search(r"(?<!\d)(1[5-9]\d{2}|20\d{2}|2100)(?!\d)", year or "")
    if date and re.search(r"(?<!\d)(1[5-9]\d{2}|20\d{2}|2100)(?!\d)", date):
        return date
    if not year_m:
        return date or None
    y = year_m.group(1)
    m = re.match(r"^\s*([A-Za-z]{3})[a-z]*\.?\s*(\d{1,2})?\b", date or "")
    if m and m.group(1).lower() in _MONTHS:
        month = _MONTHS[m.group(1).lower()]
        day = int(m.group(2)) if m.group(2) else None
        if day and 1 <= day <= 31:
            return f"{y}-{month:02d}-{day:02d}"
        return f"{y}-{month:02d}"
    return y
