"""Spreadsheet cells that stay text: the one CSV-injection guard of every CSV/XLSX wenmai
writes (``show``/``export``, the CSV beside each figure, the network's node and edge CSVs)."""

from __future__ import annotations

__all__ = ["FORMULA_START", "defuse"]

#: OWASP's CSV-injection rule: a cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made plain text.

    OWASP's rule for CSV injection (https://owasp.org/www-community/attacks/CSV_Injection):
    a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    single quote, so ``=HYPERLINK(...)`` or ``=cmd|...`` in a document shows as text in
    Excel, LibreOffice and WPS instead of running. Other values are returned as they are.

    >>> defuse("=1+1"), defuse("教育"), defuse(3)
    ("'=1+1", '教育', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
