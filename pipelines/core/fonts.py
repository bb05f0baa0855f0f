"""The shipped CJK font and its registration with matplotlib.

``data/fonts/NotoSansCJKsc-Regular-subset.otf`` is a subset of Noto Sans CJK SC Regular
(SIL OFL 1.1, see ``data/fonts/LICENSE`` and ``SOURCE.md``) with Chinese and Latin glyphs,
so figures render Chinese labels on machines without any system CJK font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.errors import MissingInput
from pipelines.core.resources import data_path

__all__ = ["FONT_FAMILY", "FONT_FILE", "cjk_font_path", "use_cjk_font", "cjk_rc"]

FONT_FILE = "NotoSansCJKsc-Regular-subset.otf"
FONT_FAMILY = "Noto Sans CJK SC wenmai"


def cjk_font_path() -> Path:
    """Path of the shipped CJK font.

    Returns:
        The absolute path of the subset OTF in ``data/fonts``.

    Raises:
        MissingInput: the font file is missing from the installation.
    """
    path = data_path("fonts", FONT_FILE)
    if not path.is_file():
        raise MissingInput(
            f"font {path} is missing; reinstall wenmai or rebuild it with "
            "bench/make_font_subset.py"
        )
    return path


def cjk_rc() -> dict[str, Any]:
    """The matplotlib rcParams that make every text element use the shipped font.

    Noto Sans CJK has Latin glyphs too, so one family serves Chinese and English labels.
    SVG text becomes paths so the files render identically without the font installed;
    PDF embeds the font as Type 42. The SVG hash salt and date are pinned for byte-identical
    reruns.
    """
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "wenmai",
        "pdf.fonttype": 42,
    }


def use_cjk_font() -> str:
    """Register the shipped font with matplotlib and make it the default family.

    Safe to call repeatedly: the font is added to the font manager only once.

    Returns:
        The family name now first in ``font.sans-serif``.

    Raises:
        MissingInput: the font file is missing.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    path = cjk_font_path()
    known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(str(path))
    mpl.rcParams.update(cjk_rc())
    return FONT_FAMILY


def css_font_face(text: str, family: str = "wenmai-cjk") -> str:
    """A CSS @font-face with the shipped CJK font cut down to the characters of ``text``.

    Embedding the font keeps an HTML page self-contained: it reads the same on a machine
    without any Chinese font, where a browser would draw boxes.
    """
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(cjk_font_path()), recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " ")
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:\"{family}\";"
            f"src:url(data:font/otf;base64,{data}) format(\"opentype\");}}")
