"""Text that XML 1.0 can hold: control characters (a vertical tab in a document, a control
character in a code name) and lone surrogates are dropped before an element is written, so
every XML file wenmai writes parses (issue 30).

XML 1.0 allows ``#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]``
(https://www.w3.org/TR/xml/#charsets); ElementTree escapes ``<`` and ``&`` but writes the rest
as they are.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

__all__ = ["clean", "clean_tree"]

_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids.

    >>> clean("a\\vb\\x00c\\ud800d")
    'abcd'
    """
    return _FORBIDDEN.sub("", text)


def clean_tree(root: ET.Element) -> ET.Element:
    """Every text, tail and attribute value under ``root`` :func:`clean`-ed, in place."""
    for el in root.iter():
        if el.text:
            el.text = clean(el.text)
        if el.tail:
            el.tail = clean(el.tail)
        for key, value in el.attrib.items():
            el.attrib[key] = clean(value)
    return root
