"""Layout figures of the figures stage: the word cloud and the co-occurrence network.

Both place words by an algorithm (wordcloud's packing, networkx's spring layout) seeded with
``seed``, then draw them with matplotlib, so the PNG, SVG and PDF come from one renderer and
reruns give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

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
        font = fonts.setdefault(size, ImageFont.truetype(font_path, size))
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


def _communities(nodes: list[dict[str, Any]]) -> dict[int, int]:
    """Community id -> colour rank, largest community (by summed freq) first."""
    total: dict[int, int] = {}
    for n in nodes:
        total[n["community"]] = total.get(n["community"], 0) + n["freq"]
    order = sorted(total, key=lambda c: (-total[c], c))
    return {c: i for i, c in enumerate(order)}


def _component_layout(graph: Any, *, seed: int) -> dict[str, tuple[float, float]]:
    """Spring layout per connected component, components packed in rows, largest first.

    One spring layout of a disconnected graph (Chinese and English terms rarely co-occur)
    throws the components to opposite corners and squeezes each into a dot.
    """
    import networkx as nx

    parts = sorted((sorted(c) for c in nx.connected_components(graph)),
                   key=lambda c: (-len(c), c[0]))
    pos: dict[str, tuple[float, float]] = {}
    row_width = 2.0 * math.sqrt(graph.number_of_nodes())  # about a square overall
    x = y = row_height = 0.0
    for part in parts:
        radius = max(0.5, math.sqrt(len(part)))
        if len(part) == 1:
            local = {part[0]: (0.0, 0.0)}
        else:
            # Kamada-Kawai spaces nodes by graph distance, which keeps labels apart far
            # better than a spring layout on these dense graphs; the spring layout (seeded)
            # only gives it a starting point, so the result is still fixed by ``seed``.
            # not graph.subgraph(part): a view of fewer than half the nodes iterates a set,
            # whose order follows PYTHONHASHSEED, and the layouts follow node order
            members = set(part)
            sub = nx.Graph()
            sub.add_nodes_from(part)
            sub.add_edges_from((u, v, d) for u, v, d in graph.edges(part, data=True)
                               if v in members)
            start = nx.spring_layout(sub, seed=seed, weight="pull", iterations=50)
            local = nx.kamada_kawai_layout(sub, pos=start, weight=None)
        if x > 0 and x + 2 * radius > row_width:
            x, y, row_height = 0.0, y - row_height - 0.6, 0.0
        for term in part:
            px, py = local[term]
            pos[term] = (x + radius + radius * float(px), y - radius + radius * float(py))
        x += 2 * radius + 0.6
        row_height = max(row_height, 2 * radius)
    return pos


def _label_width(term: str) -> float:
    """Width of ``term`` in ems: full-width (CJK) characters 1, others about 0.6."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in term)


def spread_labels(pos: dict[str, tuple[float, float]], sizes: dict[str, float], *,
                  width_in: float, height_in: float, iterations: int = 400
                  ) -> dict[str, tuple[float, float]]:
    """Move nodes apart until their centred labels no longer overlap.

    Each label is a box of its text's estimated size (``sizes`` in points) converted to
    layout units for a plot ``width_in`` x ``height_in`` inches. Overlapping pairs are pushed
    apart along the axis where they overlap less. Deterministic; positions move no more than
    needed, so the layout's neighbourhoods stay.

    Args:
        pos: Node -> (x, y) layout position.
        sizes: Node -> label font size in points.
        width_in: Width of the plotting area in inches.
        height_in: Height of the plotting area in inches.
        iterations: Upper bound on push rounds.

    Returns:
        Node -> new (x, y).
    """
    import numpy as np

    terms = list(pos)
    if len(terms) < 2:
        return dict(pos)
    xy = np.array([pos[t] for t in terms], dtype=float)
    span_x = float(np.ptp(xy[:, 0])) or 1.0
    span_y = float(np.ptp(xy[:, 1])) or 1.0
    unit = max(span_x / width_in, span_y / height_in) / 72  # layout units per point
    size = np.array([sizes[t] for t in terms])
    w = np.array([_label_width(t) for t in terms]) * size * unit + 2 * unit
    h = size * 1.3 * unit
    order = np.sign(np.arange(len(terms))[:, None] - np.arange(len(terms))[None, :])
    for _ in range(iterations):
        dx = xy[:, 0][:, None] - xy[:, 0][None, :]
        dy = xy[:, 1][:, None] - xy[:, 1][None, :]
        ox = (w[:, None] + w[None, :]) / 2 - np.abs(dx)
        oy = (h[:, None] + h[None, :]) / 2 - np.abs(dy)
        hit = (ox > 1e-9) & (oy > 1e-9)
        np.fill_diagonal(hit, False)
        if not hit.any():
            break
        sx = np.where(dx != 0, np.sign(dx), order)
        sy = np.where(dy != 0, np.sign(dy), order)
        along_x = hit & (ox <= oy)
        xy[:, 0] += np.where(along_x, sx * (ox / 2 + 1e-6), 0.0).sum(axis=1) * 0.5
        xy[:, 1] += np.where(hit & ~along_x, sy * (oy / 2 + 1e-6), 0.0).sum(axis=1) * 0.5
    return {t: (float(x), float(y)) for t, (x, y) in zip(terms, xy, strict=True)}


def network(nodes: pa.Table, edges: pa.Table, *, max_nodes: int, max_edges: int,
            seed: int) -> Any:
    """The co-occurrence network of the ``max_nodes`` most frequent terms.

    Nodes are coloured by community and sized by frequency; edge width follows ``weight``
    (min-max scaled, so association measures with negative values work too). Each connected
    component is laid out by Kamada-Kawai from a spring layout seeded with ``seed`` (pulled
    by raw co-occurrence counts, always positive); nodes are then nudged until no two labels
    overlap.

    Args:
        nodes: ``network/nodes`` (term, freq, community).
        edges: ``network/edges`` (source, target, cooccurrences, weight, measure).
        max_nodes: Number of most frequent terms drawn.
        max_edges: Number of strongest edges (by weight) drawn among them.
        seed: Seed of the spring layout.

    Returns:
        The figure.
    """
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib import patheffects as pe
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    kept = sorted(nodes.select(["term", "freq", "community"]).to_pylist(),
                  key=lambda n: (-n["freq"], n["term"]))[:max_nodes]
    names = {n["term"] for n in kept}
    links = sorted((e for e in edges.to_pylist()
                    if e["source"] in names and e["target"] in names),
                   key=lambda e: (e["source"], e["target"]))
    if len(links) > max_edges:
        strongest = sorted(links, key=lambda e: (-e["weight"], e["source"], e["target"]))
        links = sorted(strongest[:max_edges], key=lambda e: (e["source"], e["target"]))
    graph = nx.Graph()
    graph.add_nodes_from(n["term"] for n in kept)
    graph.add_edges_from((e["source"], e["target"], {"pull": float(e["cooccurrences"])})
                         for e in links)
    top = max(n["freq"] for n in kept)
    label_pt = {n["term"]: 6.5 + 5.5 * math.sqrt(n["freq"] / top) for n in kept}
    # the axes get about 7.2 x 6.9 in of the 9 x 7.5 in figure (title and legend take the rest)
    pos = spread_labels(_component_layout(graph, seed=seed), label_pt, width_in=7.2 / 1.12,
                        height_in=6.9 / 1.12)
    rank = _communities(kept)
    cmap = colormaps["tab10" if len(rank) <= 10 else "tab20"]

    fig = Figure(figsize=(9.0, 7.5), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    if links:
        weights = [float(e["weight"]) for e in links]
        low, high = min(weights), max(weights)
        span = (high - low) or 1.0
        ax.add_collection(LineCollection(
            [(pos[e["source"]], pos[e["target"]]) for e in links],
            linewidths=[0.3 + 2.7 * (w - low) / span for w in weights],
            colors="#8c8c8c", alpha=0.45, zorder=1))
    xs = [pos[n["term"]][0] for n in kept]
    ys = [pos[n["term"]][1] for n in kept]
    colors = [cmap(rank[n["community"]] % cmap.N) for n in kept]
    ax.scatter(xs, ys, s=[40 + 900 * n["freq"] / top for n in kept], c=colors,
               edgecolors="white", linewidths=0.8, zorder=2)
    outline = [pe.withStroke(linewidth=2.2, foreground="white")]
    for n, x, y in zip(kept, xs, ys, strict=True):
        ax.text(x, y, n["term"], fontsize=label_pt[n["term"]],
                ha="center", va="center", zorder=3, path_effects=outline)
    ax.margins(0.06)
    ax.set_aspect("equal")
    shown = [c for c, _ in sorted(rank.items(), key=lambda kv: kv[1])][:10]
    handles = []
    for c in shown:
        lead = next(n["term"] for n in kept if n["community"] == c)
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=7,
                              color=cmap(rank[c] % cmap.N), label=f"C{c}: {lead}…"))
    ax.legend(handles=handles, title="Community (社群)", loc="upper left",
              bbox_to_anchor=(1.0, 1.0), fontsize=8, title_fontsize=9)
    measure = edges.column("measure")[0].as_py() if edges.num_rows else "count"
    ax.set_title(f"Co-occurrence network (共现网络): {len(kept)} terms, {len(links)} "
                 f"strongest edges, edge width = {measure}")
    return fig
