"""Which script a piece of text is written in: shared by every stage that tells Chinese from
English (segment splits by it, terms labels terms by it)."""

from __future__ import annotations

import re

__all__ = ["HAN", "has_han"]

#: One Han character: CJK Unified Ideographs, Extension A and the compatibility ideographs.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_han(token: str) -> bool:
    """True if the token contains a Han character.

    >>> has_han("职业教育"), has_han("COVID-19")
    (True, False)
    """
    return HAN.search(token) is not None
