"""The data each figure draws, as a CSV written beside it (``<figure>.csv``).

A reader can redraw or check a figure from its CSV without wenmai; the rows are chosen by
the same rules the drawing uses (top terms by tf then term, strongest edges by weight).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa

from pipelines.core.cells import defuse
from pipelines.figures.plots import model_rows

__all__ = ["to_csv", "term_rows", "network_rows", "figure_data"]


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens Chinese text right), ``\\n`` line ends; a text
    cell a spreadsheet would run as a formula is kept text (:func:`defuse`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([defuse(c) for c in columns])
    for r in rows:
        writer.writerow(["" if r.get(c) is None else defuse(r.get(c)) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def term_rows(terms: pa.Table, n: int) -> list[dict[str, Any]]:
    """The ``n`` most frequent terms, ties by term (as the bar chart and the cloud draw)."""
    rows = [r for r in terms.select(["term", "tf"]).to_pylist() if r["term"] and r["tf"] > 0]
    return sorted(rows, key=lambda r: (-r["tf"], r["term"]))[:n]


def network_rows(nodes: pa.Table, edges: pa.Table, *, max_nodes: int, max_edges: int
                 ) -> list[dict[str, Any]]:
    """Nodes drawn (kind ``node``: term, freq, community) and edges drawn (kind ``edge``:
    source, target, cooccurrences, weight), chosen as ``network_figs.network`` chooses them
    (top terms without a drawn edge are left out, as in the figure)."""
    from pipelines.figures.network_figs import pick

    drawn, links, _ = pick(nodes, edges, max_nodes, max_edges)
    return ([{"kind": "node", **n} for n in drawn]
            + [{"kind": "edge", **{c: e[c] for c in ("source", "target", "cooccurrences",
                                                     "weight")}} for e in links])


#: the network figures beside ``network`` and the table each draws
NETWORK_TABLES = {"network_slices": "network/slice_edges", "bursts": "network/bursts",
                  "two_mode": "network/two_mode"}


def figure_data(name: str, tables: dict[str, pa.Table], params: Any,
                model: tuple[str, int] | None) -> bytes | None:
    """The CSV of figure ``name`` (one of ``FIGURES``), or None if it has no data table."""
    if name == "term_frequency":
        return to_csv(term_rows(tables["terms/terms"], params.top_n), ["term", "tf"])
    if name == "wordcloud":
        return to_csv(term_rows(tables["terms/terms"], params.wordcloud_words), ["term", "tf"])
    if name == "keyness":
        from pipelines.figures.keyness import keyness_rows

        rows = keyness_rows(tables["terms/group_keywords"], params.topic_words)
        return to_csv(rows, ["by", "group", "n_docs", "rank", "term", "freq", "ref_freq", "g2",
                             "log_ratio"])
    if name == "model_selection":
        table = tables["topics/model_selection"]
        from pipelines.figures.topic_figs import LDATUNING, SELECTION_PANELS

        drawn = [c for c, _, _ in SELECTION_PANELS] + [c for _, ms in LDATUNING for c, _ in ms]
        cols = [c for c in ("method", "k", "seed", *drawn, "recommended")
                if c in table.column_names]  # every series the figure draws
        return to_csv(table.to_pylist(), cols)
    method, k = model if model is not None else (None, None)
    if name == "topic_terms":
        rows = [r for r in model_rows(tables["topics/topic_terms"], method, k).to_pylist()
                if r["rank"] <= params.topic_words]
        rows.sort(key=lambda r: (r["topic"], r["rank"]))
        return to_csv(rows, ["method", "k", "topic", "label", "rank", "term", "weight"])
    if name == "topic_trends":
        rows = model_rows(tables["topics/topic_trends"], method, k).to_pylist()
        rows.sort(key=lambda r: (r["year"], r["topic"]))
        cols = [c for c in ("method", "k", "year", "topic", "label", "share", "n_docs")
                if c in tables["topics/topic_trends"].column_names]
        return to_csv(rows, cols)
    if name == "network":
        rows = network_rows(tables["network/nodes"], tables["network/edges"],
                            max_nodes=params.network_nodes, max_edges=params.network_edges)
        return to_csv(rows, ["kind", "term", "freq", "community", "source", "target",
                             "cooccurrences", "weight"])
    if name in NETWORK_TABLES:
        table = tables[NETWORK_TABLES[name]]
        return to_csv(table.to_pylist(), table.column_names)
    table = tables.get(f"topics/{name}")  # topic_effects, topic_alignment: their table
    if table is None:
        return None
    if method is not None and {"method", "k"} <= set(table.column_names):
        table = model_rows(table, method, k)
    return to_csv(table.to_pylist(), table.column_names)
