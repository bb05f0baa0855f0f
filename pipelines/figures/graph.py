"""Layout figures of the figures stage: the word cloud, and the co-occurrence network (drawn
in :mod:`pipelines.figures.network_figs`, re-exported here).

Both place words by an algorithm (wordcloud's packing, networkx's layouts) seeded with
``seed``, then draw them with matplotlib, so the PNG, SVG and PDF come from one renderer and
reruns give the same bytes.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from pipelines.figures.network_figs import network, spread_labels

__all__ = ["wordcloud", "network", "spread_labels"]

CLOUD_WIDTH, CLOUD_HEIGHT = 1600, 1000  # drawing canvas in pixels
CLOUD_PPI = 200  # drawing pixels per inch of the figure (8 x 5 in)
#: wordcloud packs the words on a canvas this many times smaller and the drawing scales the
#: layout up: its search for free space costs time in proportion to the canvas area (a 1600 x
#: 1000 canvas took 3-4 s of the figures stage's time, 800 x 500 a quarter of it).
CLOUD_SHRINK = 2


def _top_terms(terms: pa.Table, n: int) -> list[tuple[str, int]]:
    """The ``n`` most frequent (term, tf) pairs, ties broken by the term."""
    rows = zip(terms.column("term").to_pylist(), terms.column("tf").to_pylist(), strict=True)
    return sorted(((t, int(f)) for t, f in rows if t and f > 0),
                  key=lambda r: (-r[1], r[0]))[:n]


def wordcloud(terms: pa.Table, *, words: int, seed: int, font_path: str) -> Any:
    """A word cloud of the most frequent terms, sized by tf.

    wordcloud computes the layout (sizes, positions, 90-degree turns, colours) with
    ``random_state=seed``; matplotlib draws each word at the same place with the same font,
    which gives a vector SVG with text as paths.

    Args:
        terms: ``terms/terms`` (term, tf).
        words: Number of terms placed.
        seed: Random state of the layout and colours.
        font_path: The CJK font file.

    Returns:
        The figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from PIL import Image, ImageColor, ImageFont
    from wordcloud import WordCloud

    k = CLOUD_SHRINK
    cloud = WordCloud(font_path=font_path, width=CLOUD_WIDTH // k, height=CLOUD_HEIGHT // k,
                      random_state=seed, max_words=words, background_color="white",
                      colormap="Dark2", prefer_horizontal=0.9, margin=4 // k,
                      min_font_size=max(1, 6 // k), relative_scaling=0.5)
    cloud.generate_from_frequencies(dict(_top_terms(terms, words)))
    fig = Figure(figsize=(CLOUD_WIDTH / CLOUD_PPI, CLOUD_HEIGHT / CLOUD_PPI))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, CLOUD_WIDTH)
    ax.set_ylim(CLOUD_HEIGHT, 0)  # image coordinates: y grows downwards
    ax.set_axis_off()
    prop = FontProperties(fname=font_path)
    fonts: dict[int, Any] = {}
    for (word, _count), small, (y0, x0), orientation, color in cloud.layout_:
        size, y, x = small * k, y0 * k, x0 * k
        if size not in fonts:  # opening the 2.8 MB font takes about 1 ms
            fonts[size] = ImageFont.truetype(font_path, size)
        font = fonts[size]
        # wordcloud draws through PIL's TransposedFont, which puts the top of the word's
        # ink (not the ascender line) at the box's top edge.
        rise = -font.getbbox(word, anchor="ls")[1]
        rgb = tuple(c / 255 for c in ImageColor.getrgb(color))
        points = size * 72 / CLOUD_PPI
        if orientation == Image.Transpose.ROTATE_90:
            # Turned a quarter anticlockwise: the word reads upwards from the box's bottom
            # and its ink top lies along the box's left edge.
            ax.text(x + rise, y + font.getlength(word), word, fontproperties=prop,
                    fontsize=points, color=rgb, rotation=90, rotation_mode="anchor",
                    ha="left", va="baseline")
        else:
            ax.text(x, y + rise, word, fontproperties=prop, fontsize=points, color=rgb,
                    ha="left", va="baseline")
    return fig
