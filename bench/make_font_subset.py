"""Rebuild ``data/fonts/NotoSansCJKsc-Regular-subset.otf`` from Debian's fonts-noto-cjk.

The shipped font is the Simplified Chinese Regular face of Noto Sans CJK, cut down with
fontTools to the characters that Chinese and English policy texts use, so the repository
stays small and the figures render the same on every machine without system fonts.

Character set (code points):

* every character of GB 2312 (all two-byte code points that decode, 6763 hanzi + symbols);
* the traditional forms of those hanzi (OpenCC ``s2t``) and the 5401 Big5 level-1 hanzi,
  because some corpora (Wikisource government reports) are in traditional characters;
* ASCII, Latin-1, Latin Extended-A and the pinyin vowels of Latin Extended-B, general
  punctuation, letterlike symbols, number forms (roman numerals), arrows, enclosed
  alphanumerics (①), CJK symbols and punctuation (U+3000-303F), enclosed CJK (㈠),
  CJK compatibility forms and the half/full-width forms (U+FF00-FFEF).

The family is renamed to "Noto Sans CJK SC wenmai" so that matplotlib resolves our file
even when the machine has the full Noto Sans CJK SC installed (the OFL of noto-cjk reserves
only the name "Source"; the subset stays under the OFL, see data/fonts/LICENSE).

Usage (about a minute on one core)::

    apt-get update && cd /tmp && apt-get download fonts-noto-cjk
    dpkg-deb -x /tmp/fonts-noto-cjk_*.deb /tmp/notocjk
    .venv/bin/python bench/make_font_subset.py \
        /tmp/notocjk/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        data/fonts/NotoSansCJKsc-Regular-subset.otf
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

FAMILY = "Noto Sans CJK SC wenmai"
POSTSCRIPT = "NotoSansCJKsc-Regular-wenmai"

BLOCKS = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x0100, 0x017F),  # Latin Extended-A (macron vowels of pinyin)
    (0x01CD, 0x01DC),  # Latin Extended-B pinyin vowels with caron
    (0x02C6, 0x02DD),  # spacing modifiers (tone marks)
    (0x0391, 0x03C9),  # Greek (alpha, beta in statistics)
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letterlike symbols (℃, №)
    (0x2150, 0x218F),  # number forms (Ⅰ, Ⅱ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (−, ≤, ≥)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (■, ●)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3200, 0x32FF),  # enclosed CJK letters (㈠)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]


def _decodable(encoding: str, leads: range, trails: list[int]) -> set[int]:
    """Code points of every two-byte sequence that decodes in ``encoding``."""
    out: set[int] = set()
    for hi in leads:
        for lo in trails:
            try:
                text = bytes([hi, lo]).decode(encoding)
            except UnicodeDecodeError:
                continue
            out.update(ord(c) for c in text)
    return out


def charset() -> set[int]:
    """The code points the subset keeps."""
    import opencc

    gb2312 = _decodable("gb2312", range(0xA1, 0xF8), list(range(0xA1, 0xFF)))
    big5_level1 = _decodable("big5", range(0xA4, 0xC7),
                             list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))
    big5_level1 = {u for u in big5_level1 if 0x4E00 <= u <= 0x9FFF}
    hanzi = "".join(chr(u) for u in sorted(gb2312) if 0x4E00 <= u <= 0x9FFF)
    traditional = {ord(c) for c in opencc.OpenCC("s2t").convert(hanzi) if ord(c) >= 0x4E00}
    blocks = {u for lo, hi in BLOCKS for u in range(lo, hi + 1)}
    return gb2312 | big5_level1 | traditional | blocks


def _rename(font) -> None:
    """Give the subset its own family name so it never shadows or is shadowed."""
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 16):
            names.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            names.setName(FAMILY, 4, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            names.setName(POSTSCRIPT, 6, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            names.setName(f"{POSTSCRIPT};subset", 3, rec.platformID, rec.platEncID,
                          rec.langID)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [POSTSCRIPT]


def main() -> None:
    """Read the collection, keep the SC Regular face, subset, rename and save."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ttc", type=Path, help="NotoSansCJK-Regular.ttc from fonts-noto-cjk")
    ap.add_argument("out", type=Path, help="where to write the subset .otf")
    args = ap.parse_args()

    collection = TTCollection(str(args.ttc))
    faces = {f["name"].getDebugName(4): f for f in collection.fonts}
    font = faces["Noto Sans CJK SC"]
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    # No "locl"/"vert": they pull in the Japanese, Korean and traditional glyph variants and
    # vertical forms (twice the glyphs) that horizontal simplified-Chinese figures never use.
    options.layout_features = ["ccmp", "kern", "palt", "halt", "liga", "calt", "mark",
                               "mkmk"]
    subsetter = subset.Subsetter(options)
    wanted = charset()
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    _rename(font)
    # fontTools writes the current time into head.modified on save; keep the source's
    # value so rebuilding gives byte-identical output.
    font.recalcTimestamp = False
    args.out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.out))
    data = args.out.read_bytes()
    kept = set(font.getBestCmap())
    print(f"{args.out}: {len(data):,} bytes, {len(kept):,} of {len(wanted):,} code points "
          f"mapped, {len(font.getGlyphOrder()):,} glyphs, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
