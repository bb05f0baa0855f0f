"""Text laid out in terminal columns: CJK characters take two, a cut cell ends in ``…``.

``len()`` counts characters, but a terminal gives 教育 four columns; :func:`width` asks
``wcwidth`` (the Unicode East Asian Width and zero-width tables), so tables and keyword
columns of Chinese text line up.
"""

from __future__ import annotations

from wcwidth import wcswidth, wcwidth

__all__ = ["width", "cut", "pad", "fit_columns"]

ELLIPSIS = "…"


def _char_width(char: str) -> int:
    w = wcwidth(char)
    return w if w > 0 else 0  # control and combining characters take no column


def width(text: str) -> int:
    """The columns ``text`` takes in a terminal."""
    w = wcswidth(text)
    return w if w >= 0 else sum(map(_char_width, text))


def cut(text: str, columns: int) -> str:
    """``text`` in at most ``columns`` columns, ending in ``…`` when something was cut."""
    if width(text) <= columns:
        return text
    if columns <= 0:
        return ""
    out, used = [], 0
    for char in text:
        w = _char_width(char)
        if used + w > columns - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + ELLIPSIS


def pad(text: str, columns: int, align: str = "<") -> str:
    """``text`` cut to ``columns`` and padded with spaces to exactly that many (``>``: right)."""
    text = cut(text, columns)
    fill = " " * (columns - width(text))
    return fill + text if align == ">" else text + fill


def fit_columns(natural: list[int], total: int, *, gap: int = 2, least: int = 4) -> list[int]:
    """Column widths that fit ``total`` terminal columns: the widest column gives up a column
    at a time, none below ``least`` (or its natural width); columns that still do not fit
    get width 0 (left out).

    >>> fit_columns([10, 30, 6], 40)
    [10, 20, 6]
    """
    widths = list(natural)
    floor = [min(n, least) for n in natural]

    def used(ws: list[int]) -> int:
        shown = [w for w in ws if w > 0]
        return sum(shown) + gap * max(0, len(shown) - 1)

    while used(widths) > total:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            last = max(i for i, w in enumerate(widths) if w > 0)
            if last == 0:
                widths[0] = max(1, total)
                break
            widths[last] = 0
            continue
        i = max(shrinkable, key=lambda j: (widths[j], -j))
        widths[i] -= 1
    return widths
