"""The shipped CJK font: coverage, licence, and that matplotlib resolves and uses it."""

from __future__ import annotations

import io
import warnings

import pytest

from pipelines.core.fonts import FONT_FAMILY, cjk_font_path, cjk_rc, use_cjk_font
from pipelines.core.resources import data_path


def test_font_file_is_small_with_licence_and_source():
    path = cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular-subset.otf"
    assert 1_000_000 < path.stat().st_size < 6_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in data_path("fonts", "LICENSE").read_text()
    source = data_path("fonts", "SOURCE.md").read_text()
    assert "fonts-noto-cjk" in source and "bench/make_font_subset.py" in source


def test_font_covers_policy_vocabulary_and_punctuation():
    ttlib = pytest.importorskip("fontTools.ttLib")
    font = ttlib.TTFont(str(cjk_font_path()), lazy=True)
    cmap = font.getBestCmap()
    text = ("职业教育精准扶贫乡村振兴" "國務院關於職業教育" "，。、；：？！“”《》（）【】"
            "ABCxyz0123 ǎ é ①Ⅱ℃")
    missing = [c for c in text if c != " " and ord(c) not in cmap]
    assert missing == []
    assert font["name"].getDebugName(1) == FONT_FAMILY


def test_matplotlib_resolves_our_file():
    import matplotlib as mpl
    from matplotlib import font_manager

    with mpl.rc_context():
        assert use_cjk_font() == FONT_FAMILY
        found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]),
                                      fallback_to_default=False)
    assert found == str(cjk_font_path())
    exact = font_manager.findfont(font_manager.FontProperties(family=[FONT_FAMILY]),
                                  fallback_to_default=False)
    assert exact == str(cjk_font_path())


def test_chinese_renders_without_missing_glyphs():
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context(cjk_rc()):
        use_cjk_font()
        fig = Figure(figsize=(3, 1))
        fig.text(0.05, 0.5, "职业教育精准扶贫 rural −1")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png", dpi=50)
            svg = io.BytesIO()
            fig.savefig(svg, format="svg")
    assert [str(w.message) for w in caught if "missing" in str(w.message)] == []
    # text is converted to paths: no <text> element, so the SVG needs no font installed
    assert b"<text" not in svg.getvalue() and b"<path" in svg.getvalue()
