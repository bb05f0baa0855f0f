"""Titles, dates and years for ingested documents, from metadata, the text or the file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

__all__ = ["find_date", "date_from_name", "top_date", "dateline", "guess_title", "year_of",
           "clean_key"]

_YEAR = r"(1[7-9]\d{2}|20\d{2}|2100)"
_FULL = re.compile(
    rf"(?<!\d){_YEAR}\s*(?:[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}})(?!\d)"
    rf"|年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日)"
)
_MONTH = re.compile(rf"(?<!\d){_YEAR}\s*(?:年\s*(\d{{1,2}})\s*月|[-/.](\d{{1,2}})(?![\d\-/.]))")
_ONLY_YEAR = re.compile(rf"(?<!\d){_YEAR}(?!\d)")


def _iso(year: str, month: str | None = None, day: str | None = None) -> str | None:
    y = int(year)
    if month is None:
        return f"{y:04d}"
    m = int(month)
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{y:04d}-{m:02d}"
    d = int(day)
    if not 1 <= d <= 31:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def find_date(text: str, *, allow_year: bool = True) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    >>> find_date("Issuing time:2023-06-21 11:26"), find_date("2023年6月21日"), find_date("1954")
    ('2023-06-21', '2023-06-21', '1954')
    """
    m = _FULL.search(text)
    if m:
        month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
        iso = _iso(m.group(1), month, day)
        if iso:
            return iso
    m = _MONTH.search(text)
    if m:
        iso = _iso(m.group(1), m.group(2) or m.group(3))
        if iso:
            return iso
    if allow_year:
        m = _ONLY_YEAR.search(text)
        if m:
            return _iso(m.group(1))
    return None


def date_from_name(name: str) -> str | None:
    """A date or year in a file name.

    >>> date_from_name("1954政府工作报告_周恩来.txt"), date_from_name("学前教育法(2024-11-08).md")
    ('1954', '2024-11-08')
    """
    stem = re.sub(r"[A-Za-z0-9]*(?:[A-Za-z]\d|\d[A-Za-z])[A-Za-z0-9]*", " ",
                  PurePosixPath(name).stem)  # hash-like tokens (e2e47d2e) are no dates
    return find_date(stem)


def top_date(text: str, *, lines: int = 6, max_len: int = 40) -> str | None:
    """A dateline near the top: a full or month date on one of the first short lines, else
    a line holding only a year among the first 25 lines (journal pages list the year alone).

    >>> top_date("标题\\n2023年6月21日 发布\\n正文"), top_date("标题\\n作者\\n2024\\n正文")
    ('2023-06-21', '2024')
    """
    head = text.split("\n")[:25]
    for line in head[:lines]:
        if len(line) <= max_len:
            found = find_date(line, allow_year=False)
            if found:
                return found
    for line in head:
        if re.fullmatch(rf"{_YEAR}\s*年?", line.strip()):
            return line.strip()[:4]
    return None


_SIGN_DATE = re.compile(rf"^[（(]?{_YEAR}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日[）)]?"
                        r"(?:\s*[（(][^）)]{0,12}[）)])?$")


def dateline(text: str) -> str | None:
    """The document's own date: a dateline near the top (:func:`top_date`), else the signing
    date alone on one of the last five lines (落款: ``2023年6月21日``).

    >>> dateline("关于开展培训的通知\\n各单位：\\n现通知如下。\\n教育部\\n2023年6月21日")
    '2023-06-21'
    >>> dateline("正文一\\n正文二"), dateline("标题\\n2021-05-06\\n正文")
    (None, '2021-05-06')
    """
    top = top_date(text)
    if top:
        return top
    for line in reversed(text.split("\n")[-5:]):
        if _SIGN_DATE.match(line.strip()):
            return find_date(line)
    return None


def year_of(date: str | None) -> int | None:
    """The year of an ISO date string, or None.

    >>> year_of("2023-06-21"), year_of(None)
    (2023, None)
    """
    if not date:
        return None
    m = re.match(r"\d{4}", date)
    return int(m.group(0)) if m else None


def guess_title(text: str, *, max_len: int = 80) -> str | None:
    """The first short line that is not only a date or a number.

    Lines written mostly in Latin letters may be twice as long (English titles are wordy).

    >>> guess_title("2022-10-28\\n电子商务扶贫培训\\n正文")
    '电子商务扶贫培训'
    >>> guess_title("字" * 81), guess_title("x" * 81)[:3]
    (None, 'xxx')
    """
    for line in text.split("\n")[:10]:
        stripped = line.strip()
        if not stripped or len(stripped) > max_len * 2:
            continue
        if len(stripped) > max_len and len(re.findall(r"[A-Za-z]", stripped)) * 2 <= len(stripped):
            continue
        if re.fullmatch(r"[\d\s\-/.:年月日时分]+", stripped):
            continue
        return stripped
    return None


def clean_key(key: str) -> str:
    """A metadata key as a column name: lower case, runs of non-word characters as ``_``.

    >>> clean_key("ISBN/ISSN"), clean_key("Reference Type"), clean_key("作者")
    ('isbn_issn', 'reference_type', '作者')
    """
    return re.sub(r"\W+", "_", key.strip().lower()).strip("_")
