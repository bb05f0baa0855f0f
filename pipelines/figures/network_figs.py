"""Network figures: the co-occurrence network, its time slices and the burst chart.

Layouts are fixed by ``seed`` and by sorted node and edge orders only, never by set or
dict iteration of strings, so the pictures do not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from pipelines.figures.plots import wrap_title

__all__ = ["network", "network_slices", "bursts", "two_mode", "layout_positions",
           "spread_labels", "pick"]

_GREY = "#b0b0b0"


def _label_width(term: str) -> float:
    """Width of ``term`` in ems: full-width (CJK) characters 1, others about 0.6."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in term)


def spread_labels(pos: dict[str, tuple[float, float]], sizes: dict[str, float], *,
                  width_in: float, height_in: float, iterations: int = 400, pad: float = 0.0
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
        pad: Extra room around each label, in ems.

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
    w = (np.array([_label_width(t) for t in terms]) + pad) * size * unit + 2 * unit
    h = size * (1.3 + pad) * unit
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


def _components(terms: list[str], links: list[tuple[str, str, float]]) -> list[list[str]]:
    """Connected components, each in ``terms`` order, largest first (ties: first term)."""
    index = {t: k for k, t in enumerate(terms)}
    parent = list(range(len(terms)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for s, t, _ in links:
        a, b = find(index[s]), find(index[t])
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[str]] = {}
    for t in terms:
        groups.setdefault(find(index[t]), []).append(t)
    return sorted(groups.values(), key=lambda g: (-len(g), index[g[0]]))


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS (OpenBLAS) on one thread.

    Kamada-Kawai minimises with scipy's L-BFGS-B, which calls BLAS on vectors of a few dozen
    numbers; OpenBLAS's thread pool costs more than it gives there (on the sample's network,
    0.35 s of CPU time on 2 threads against 0.025 s on one, the positions identical: work that
    small is never split). scipy's BLAS is loaded first, or the limit would miss it.
    """
    import scipy.optimize  # noqa: F401 - loads the BLAS library the limit must see
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def layout_positions(terms: list[str], links: list[tuple[str, str, float]], *, seed: int
                     ) -> dict[str, tuple[float, float]]:
    """Kamada-Kawai per connected component from a seeded spring layout; components packed
    in rows, largest first.

    ``terms`` fixes the node order and ``links`` (source, target, pull) are used in the
    given order, so the same input gives the same positions under any ``PYTHONHASHSEED``.
    One spring layout of a disconnected graph throws the components to opposite corners and
    squeezes each into a dot, hence one layout per component.
    """
    import networkx as nx

    pos: dict[str, tuple[float, float]] = {}
    parts = _components(terms, links)
    big = max(0.5, math.sqrt(len(parts[0]))) if parts else 0.5
    # the largest component on the left; the others in columns to its right, top down
    x, y, column_width = 0.0, 0.0, 0.0
    for k, part in enumerate(parts):
        radius = max(0.5, math.sqrt(len(part)))
        if len(part) == 1:
            local = {part[0]: (0.0, 0.0)}
        else:
            members = set(part)
            sub = nx.Graph()
            sub.add_nodes_from(part)  # insertion order = terms order
            sub.add_edges_from((s, t, {"pull": w}) for s, t, w in links if s in members)
            start = nx.spring_layout(sub, seed=seed, weight="pull", iterations=50)
            with one_blas_thread():
                local = nx.kamada_kawai_layout(sub, pos=start, weight=None)
            if len(part) == 2:
                local = {part[0]: (-0.5, 0.0), part[1]: (0.5, 0.0)}
        if k == 1:
            x, y = 2 * big + 0.8, 0.0
        elif k > 1 and y - 2 * radius < -2 * big:
            x, y, column_width = x + column_width + 0.6, 0.0, 0.0
        for term in part:
            px, py = local[term]
            pos[term] = (x + radius + radius * float(px), y - radius + radius * float(py))
        if k > 0:
            y -= 2 * radius + 0.6
            column_width = max(column_width, 2 * radius)
    return pos


def pick(nodes: pa.Table, edges: pa.Table, max_nodes: int, max_edges: int
          ) -> tuple[list[dict], list[dict], int]:
    """The drawn nodes (top ``max_nodes`` by freq with a drawn edge), the drawn edges (the
    ``max_edges`` strongest among them) and the number of top nodes left out (no edge)."""
    kept = sorted(nodes.select(["term", "freq", "community"]).to_pylist(),
                  key=lambda n: (-n["freq"], n["term"]))[:max_nodes]
    names = {n["term"] for n in kept}
    links = [e for e in edges.select(["source", "target", "cooccurrences", "weight"]).to_pylist()
             if e["source"] in names and e["target"] in names]
    links = sorted(links, key=lambda e: (-e["weight"], e["source"], e["target"]))[:max_edges]
    links.sort(key=lambda e: (e["source"], e["target"]))
    linked = {e["source"] for e in links} | {e["target"] for e in links}
    drawn = [n for n in kept if n["term"] in linked] if links else kept
    return drawn, links, len(kept) - len(drawn)


def _community_colours(drawn: list[dict]) -> tuple[dict[int, Any], list[int]]:
    """Community -> colour, and the communities in legend order (largest summed freq first).

    Communities of one drawn node are grey: colours go to groups a reader can see.
    """
    from matplotlib import colormaps

    total: dict[int, int] = {}
    members: dict[int, int] = {}
    for n in drawn:
        total[n["community"]] = total.get(n["community"], 0) + n["freq"]
        members[n["community"]] = members.get(n["community"], 0) + 1
    order = sorted((c for c in total if members[c] > 1), key=lambda c: (-total[c], c))
    # tab10 then tab20's light shades, without the greys (grey marks edges between
    # communities and single-node communities)
    palette = [colormaps["tab10"](k) for k in range(10) if k != 7]
    palette += [colormaps["tab20"](k) for k in range(1, 20, 2) if k != 15]
    colours = {c: palette[k % len(palette)] for k, c in enumerate(order)}
    return colours, order


def _draw_graph(ax: Any, drawn: list[dict], links: list[dict], pos: dict, colours: dict,
                label_pt: dict[str, float], top: int) -> None:
    from matplotlib import patheffects as pe
    from matplotlib.collections import LineCollection

    community = {n["term"]: n["community"] for n in drawn}
    if links:
        weights = [float(e["weight"]) for e in links]
        low, high = min(weights), max(weights)
        span = (high - low) or 1.0
        segments, widths, edge_colours = [], [], []
        for e, w in zip(links, weights, strict=True):
            segments.append((pos[e["source"]], pos[e["target"]]))
            widths.append(0.4 + 2.6 * (w - low) / span)
            same = community[e["source"]] == community[e["target"]]
            colour = colours.get(community[e["source"]]) if same else None
            edge_colours.append((*colour[:3], 0.6) if colour else (*_rgb(_GREY), 0.45))
        ax.add_collection(LineCollection(segments, linewidths=widths, colors=edge_colours,
                                         zorder=1))
    xs = [pos[n["term"]][0] for n in drawn]
    ys = [pos[n["term"]][1] for n in drawn]
    ax.scatter(xs, ys, s=[30 + 900 * n["freq"] / top for n in drawn],
               c=[colours.get(n["community"], _GREY) for n in drawn],
               edgecolors="white", linewidths=0.8, zorder=2)
    outline = [pe.withStroke(linewidth=2.2, foreground="white")]
    for n, x, y in zip(drawn, xs, ys, strict=True):
        ax.text(x, y, n["term"], fontsize=label_pt[n["term"]], ha="center", va="center",
                zorder=3, path_effects=outline)


def _aspect(pos: dict[str, tuple[float, float]]) -> float:
    """Height over width of the positions' bounding box (1 for a single point)."""
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    wide, high = max(xs) - min(xs), max(ys) - min(ys)
    return high / wide if wide > 0 else 1.0


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(hex_colour)


def network(nodes: pa.Table, edges: pa.Table, *, max_nodes: int, max_edges: int,
            seed: int) -> Any:
    """The co-occurrence network of the ``max_nodes`` most frequent terms.

    Nodes are sized by frequency and coloured by community; an edge inside a community takes
    its colour, an edge between communities is grey; edge width follows ``weight``
    (min-max scaled). Top terms without a drawn edge are left out and counted in the title.
    Each connected component is laid out by Kamada-Kawai from a spring layout seeded with
    ``seed`` (pulled by raw co-occurrence counts); nodes are then nudged until no two labels
    overlap. The legend names each community by its three most frequent terms.

    Args:
        nodes: ``network/nodes`` (term, freq, community).
        edges: ``network/edges`` (source, target, cooccurrences, weight, measure).
        max_nodes: Number of most frequent terms considered.
        max_edges: Number of strongest edges (by weight) drawn among them.
        seed: Seed of the spring layout.

    Returns:
        The figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    drawn, links, left_out = pick(nodes, edges, max_nodes, max_edges)
    top = max(n["freq"] for n in drawn)
    label_pt = {n["term"]: 6.5 + 5.0 * math.sqrt(n["freq"] / top) for n in drawn}
    terms = [n["term"] for n in drawn]
    pull = [(e["source"], e["target"], float(e["cooccurrences"])) for e in links]
    # the figure's height follows the layout's shape, so a wide network leaves no empty band
    start = layout_positions(terms, pull, seed=seed)
    width_in = 7.2
    height_in = min(max(width_in * _aspect(start), 3.8), 9.0)
    pos = spread_labels(start, label_pt, width_in=width_in / 1.1, height_in=height_in / 1.1,
                        pad=0.35)
    height_in = min(max(width_in * _aspect(pos), 3.8), 9.0)
    colours, order = _community_colours(drawn)

    fig = Figure(figsize=(width_in + 3.0, height_in + 0.8), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    _draw_graph(ax, drawn, links, pos, colours, label_pt, top)
    ax.margins(0.05)
    ax.set_aspect("equal")
    handles = []
    for k, c in enumerate(order[:12], start=1):
        lead = [n["term"] for n in drawn if n["community"] == c][:3]
        size = sum(1 for n in drawn if n["community"] == c)
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=8,
                              color=colours[c], label=f"{k}. {' · '.join(lead)} ({size})"))
    if handles:
        fig.legend(handles=handles, title="Communities (社群):\ntop terms (size)",
                   loc="outside right upper", fontsize=9, title_fontsize=9, frameon=False,
                   alignment="left")
    measure = edges.column("measure")[0].as_py() if edges.num_rows else "count"
    note = f"\n{left_out} top terms without an edge not shown" if left_out else ""
    # a figure title, left-aligned: centred over the axes a long title ran off the canvas
    fig.suptitle(wrap_title(f"Co-occurrence network (共现网络): {len(drawn)} terms, "
                            f"{len(links)} edges, width = {measure}{note}", 10),
                 fontsize=10, x=0.01, ha="left")
    return fig


def network_slices(slices: pa.Table, slice_edges: pa.Table, *, max_edges: int, seed: int,
                   columns: int | None = None) -> Any:
    """Small multiples: one panel per slice, every term at the same place in every panel.

    Positions come from one layout of the union of all slices' edges, so a term sits at the
    same spot wherever it appears; a panel draws the terms with an edge in that slice, sized
    by their frequency in the slice, coloured by the slice's communities.
    """
    from matplotlib.figure import Figure

    labels = list(dict.fromkeys(slices.column("slice").to_pylist()))
    panels = []
    union: dict[tuple[str, str], float] = {}
    for label in labels:
        nodes = slices.filter(pa.compute.equal(slices.column("slice"), label))
        edges = slice_edges.filter(pa.compute.equal(slice_edges.column("slice"), label))
        drawn, links, _ = pick(nodes, edges, nodes.num_rows, max_edges)
        if not links:
            drawn = []
        panels.append((label, drawn, links))
        for e in links:
            key = (e["source"], e["target"])
            union[key] = union.get(key, 0.0) + float(e["cooccurrences"])
    freq: dict[str, int] = {}
    for row in slices.select(["term", "freq"]).to_pylist():
        freq[row["term"]] = freq.get(row["term"], 0) + row["freq"]
    in_union = {t for key in union for t in key}
    terms = sorted(in_union, key=lambda t: (-freq[t], t))
    pos = layout_positions(terms, [(s, t, w) for (s, t), w in sorted(union.items())],
                           seed=seed)
    columns = columns or (2 if len(panels) <= 4 else 3)
    panel_in = 6.0 if columns == 2 else 4.5
    pos = spread_labels(pos, dict.fromkeys(pos, 6.0), width_in=panel_in * 0.9,
                        height_in=panel_in * 0.9, pad=0.2)
    rows = max(1, math.ceil(len(panels) / columns))
    fig = Figure(figsize=(panel_in * columns, panel_in * rows), layout="constrained")
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    pad_x = 0.08 * ((max(xs) - min(xs)) or 1.0)
    pad_y = 0.08 * ((max(ys) - min(ys)) or 1.0)
    for k in range(rows * columns):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.set_axis_off()
        if k >= len(panels):
            continue
        label, drawn, links = panels[k]
        ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
        ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
        ax.set_aspect("equal")
        ax.set_title(f"{label}: {len(drawn)} terms, {len(links)} edges", fontsize=9)
        if not drawn:
            continue
        top = max(n["freq"] for n in drawn)
        label_pt = {n["term"]: 4.5 + 2.0 * math.sqrt(n["freq"] / top) for n in drawn}
        colours, _ = _community_colours(drawn)
        _draw_graph(ax, drawn, links, pos, colours, label_pt, top * 3)
    fig.suptitle(wrap_title("Co-occurrence network by slice (分时段共现网络), same positions "
                            "in every panel", 10), fontsize=10)
    return fig


def bursts(table: pa.Table, *, top: int = 25, first_year: int | None = None,
           last_year: int | None = None) -> Any:
    """CiteSpace-style burst chart: the ``top`` strongest bursts, one row per term.

    Each row shows the term, the burst's strength, begin and end year, and a strip over the
    years: light where the term is not bursting, red over the burst span. Rows are sorted by
    the burst's start year (then strength), as CiteSpace lists them.
    """
    from matplotlib.figure import Figure

    rows = table.to_pylist()
    best: dict[str, dict] = {}
    for r in rows:  # the strongest burst of each term
        if r["term"] not in best or r["strength"] > best[r["term"]]["strength"]:
            best[r["term"]] = r
    chosen = sorted(best.values(), key=lambda r: (-r["strength"], r["term"]))[:top]
    chosen.sort(key=lambda r: (r["start"], -r["strength"], r["term"]))
    low = first_year if first_year is not None else min(
        min(r["first_year"] for r in chosen), min(r["start"] for r in chosen))
    high = last_year if last_year is not None else max(r["end"] for r in chosen)
    height = 1.2 + 0.28 * len(chosen)
    fig = Figure(figsize=(10.0, height), layout="constrained")
    ax = fig.add_subplot()
    for y, r in enumerate(chosen):
        ax.hlines(y, low - 0.5, high + 0.5, color="#c9d9ea", linewidth=6)
        ax.hlines(y, r["start"] - 0.5, r["end"] + 0.5, color="#d62728", linewidth=6)
    ax.set_yticks(range(len(chosen)))
    ax.set_yticklabels([f"{r['term']}   {r['strength']:.1f}   {r['start']}–{r['end']}"
                        for r in chosen], fontsize=8)
    ax.set_ylim(len(chosen) - 0.5, -1.2)
    ax.text(-0.01, 1.0, "Term   Strength   Begin–End", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=8)
    ax.set_xlim(low - 0.5, high + 0.5)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(wrap_title(f"Top {len(chosen)} terms with the strongest bursts (突现词, "
                            f"Kleinberg), {low}–{high}"), fontsize=10)
    return fig


def two_mode(two: pa.Table, nodes: pa.Table, *, seed: int) -> Any:
    """The term x group network as KH Coder draws it: groups as labelled squares, terms as
    circles sized by frequency and coloured by the group of their strongest link, edge width
    by weight, same layout rules as :func:`network`."""
    from matplotlib import colormaps
    from matplotlib import patheffects as pe
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    rows = two.to_pylist()
    freq = dict(zip(nodes.column("term").to_pylist(), nodes.column("freq").to_pylist(),
                    strict=True))
    groups = sorted({r["group"] for r in rows})
    terms = sorted({r["term"] for r in rows}, key=lambda t: (-freq.get(t, 0), t))
    gid = {g: f"\u25a0{g}" for g in groups}  # group node names cannot clash with terms
    links = sorted((r["term"], gid[r["group"]], float(r["cooccurrences"])) for r in rows)
    start = layout_positions([*gid.values(), *terms], links, seed=seed)
    top = max((freq.get(t, 1) for t in terms), default=1)
    sizes = {**{t: 6.5 + 4.5 * math.sqrt(freq.get(t, 0) / top) for t in terms},
             **dict.fromkeys(gid.values(), 10.0)}
    height = min(max(7.2 * _aspect(start), 3.8), 9.0)
    pos = spread_labels(start, sizes, width_in=7.2 / 1.1, height_in=height / 1.1, pad=0.35)
    strongest: dict[str, tuple[float, str]] = {}
    for r in rows:
        if r["weight"] > strongest.get(r["term"], (-1.0, ""))[0]:
            strongest[r["term"]] = (r["weight"], r["group"])
    palette = [colormaps["tab10"](k) for k in range(10) if k != 7]
    colour = {g: palette[k % len(palette)] for k, g in enumerate(groups)}
    fig = Figure(figsize=(9.0, min(max(7.2 * _aspect(pos), 3.8), 9.0) + 0.8),
                 layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    weights = [r["weight"] for r in rows]
    low, span = min(weights), (max(weights) - min(weights)) or 1.0
    ax.add_collection(LineCollection(
        [(pos[r["term"]], pos[gid[r["group"]]]) for r in rows],
        linewidths=[0.4 + 2.6 * (w - low) / span for w in weights],
        colors=[(*colour[r["group"]][:3], 0.45) for r in rows], zorder=1))
    ax.scatter([pos[t][0] for t in terms], [pos[t][1] for t in terms],
               s=[30 + 700 * freq.get(t, 0) / top for t in terms],
               c=[colour[strongest[t][1]] for t in terms], edgecolors="white", zorder=2)
    ax.scatter([pos[gid[g]][0] for g in groups], [pos[gid[g]][1] for g in groups], s=900,
               marker="s", c=[colour[g] for g in groups], edgecolors="black", zorder=2)
    outline = [pe.withStroke(linewidth=2.2, foreground="white")]
    group_names = set(gid.values())
    for name, (x, y) in pos.items():
        ax.text(x, y, name[1:] if name in group_names else name, fontsize=sizes[name],
                ha="center", va="center", zorder=3, path_effects=outline)
    ax.margins(0.05)
    ax.set_aspect("equal")
    by = rows[0]["by"] if rows else ""
    # wrapped for 10 pt at print width: scaled, the title is smaller (never below 6 pt)
    ax.set_title(wrap_title(f"Two-mode network (对应共现网络): {len(terms)} terms x "
                            f"{len(groups)} {by} groups (squares), {len(rows)} edges, width = "
                            f"{rows[0]['measure'] if rows else ''}", 10),
                 fontsize=10)
    return fig
