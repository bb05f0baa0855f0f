"""Summary tables of a coding: frequencies, the matrix coding query, code co-occurrence.

Every table has rows at three levels: ``code``, ``category`` (a unit is coded with a category
when it is coded with any of its codes) and ``group``. Counts are distinct units, so a unit
coded twice under one category counts once for it.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from pipelines.code.codebook import Codebook
from pipelines.core.association import from_occurrences

if TYPE_CHECKING:  # pandas costs 0.25 s and 50 MB at import: loaded where it is used
    import pandas as pd

    from pipelines.code.summary import Summary

__all__ = ["MEASURES", "names", "level_units", "frequencies", "matrix", "cooccurrence",
           "association", "code_gexf"]

MEASURES = ("jaccard", "dice", "cosine", "inclusion", "lift", "pmi", "npmi")


def level_units(codings: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Distinct (level, name, group, category, unit, doc_id) rows of a coding."""
    import pandas as pd

    base = codings[["group", "category", "code", "unit", "doc_id"]].drop_duplicates()
    parts = [
        base.assign(level="code", name=base["code"]),
        base.assign(level="category", name=base["category"]),
        base.assign(level="group", name=base["group"], category=None),
    ]
    out = pd.concat(parts, ignore_index=True)
    out = out.drop_duplicates(["level", "name", "unit"])
    return out[["level", "name", "group", "category", "unit", "doc_id"]]


def names(book: Codebook) -> list[tuple[str, str, str, str | None]]:
    """(level, name, group, category) of every code, category and group, in codebook order."""
    rows = [("code", c.name, c.group, c.category) for c in book.codes]
    rows += [("category", c.name, c.group, c.name) for c in book.categories]
    rows += [("group", g.name, g.name, None) for g in book.groups]
    return rows


def frequencies(summary: Summary) -> pa.Table:
    """Units and documents coded per code, category and group, with their shares.

    ``coverage`` is the share of all characters of the coding units that lie in units coded
    with the name (NVivo's coverage, at the unit's granularity); ``unit_share`` and
    ``document_share`` divide by all units and all documents.
    """
    n_units, n_docs = summary.n_units, summary.n_docs
    total_chars = float(summary.total_chars) or 1.0
    rows = []
    for i, (level, name, group, category) in enumerate(summary.names):
        units, docs = int(summary.units[i]), int(summary.documents[i])
        rows.append({"level": level, "name": name, "group": group, "category": category,
                     "units": units, "documents": docs,
                     "unit_share": units / n_units if n_units else 0.0,
                     "document_share": docs / n_docs if n_docs else 0.0,
                     "coverage": int(summary.chars[i]) / total_chars})
    return pa.Table.from_pylist(rows, schema=FREQUENCIES_SCHEMA)


FREQUENCIES_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("group", pa.string()),
    ("category", pa.string()), ("units", pa.int64()), ("documents", pa.int64()),
    ("unit_share", pa.float64()), ("document_share", pa.float64()), ("coverage", pa.float64()),
])

MATRIX_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("group", pa.string()),
    ("by", pa.string()), ("value", pa.string()), ("units", pa.int64()),
    ("documents", pa.int64()), ("value_units", pa.int64()), ("unit_share", pa.float64()),
    ("row_pct", pa.float64()), ("col_pct", pa.float64()),
])


def matrix(summary: Summary) -> pa.Table:
    """The matrix coding query: each code, category and group against each value of the
    summary's ``by`` columns (``year``, ``source``, a metadata column).

    Returns:
        Rows (level, name, by, value) with ``units`` coded, ``documents`` coded,
        ``value_units`` (all units of the documents with that value), ``unit_share`` =
        units / value_units, ``row_pct`` = the cell over the row total (the name across every
        value) and ``col_pct`` = the cell over the column total (every name of the level in that
        value), both in percent, as NVivo's matrix coding query shows them.
    """
    rows = []
    for column in summary.by:
        ids = summary.values[column]
        all_values = sorted(ids, key=_sort_key)
        cells, cell_docs = summary.cells[column], summary.cell_docs[column]
        col_total: Counter = Counter()
        for (i, v), n in cells.items():
            col_total[(summary.names[i][0], v)] += n
        for i, (level, name, group, _category) in enumerate(summary.names):
            rt = int(summary.units[i])
            for value in all_values:
                v = ids[value]
                n, d = cells.get((i, v), 0), cell_docs.get((i, v), 0)
                vu = int(summary.value_units[column].get(v, 0))
                ct = col_total.get((level, v), 0)
                rows.append({"level": level, "name": name, "group": group, "by": column,
                             "value": value, "units": n, "documents": d,
                             "value_units": vu, "unit_share": n / vu if vu else 0.0,
                             "row_pct": 100.0 * n / rt if rt else 0.0,
                             "col_pct": 100.0 * n / ct if ct else 0.0})
    return pa.Table.from_pylist(rows, schema=MATRIX_SCHEMA)


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1 if value != "(none)" else 2, 0.0, value)


def association(measure: str, c: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """An association measure from unit counts: ``c`` units coded with both codes, ``a``/``b``
    with each, ``n`` all units (the definitions and names of :mod:`pipelines.core.association`,
    which the network stage uses too).

    >>> association("dice", np.array([2]), np.array([3]), np.array([5]), 10).tolist()
    [0.5]
    """
    return from_occurrences(measure, c, a, b, n)


COOCCURRENCE_SCHEMA = pa.schema([
    ("level", pa.string()), ("source", pa.string()), ("target", pa.string()),
    ("cooccurrences", pa.int64()), ("source_units", pa.int64()), ("target_units", pa.int64()),
    ("n_units", pa.int64()), *[(m, pa.float64()) for m in MEASURES],
])


def cooccurrence(summary: Summary) -> pa.Table:
    """Pairs of codes (and of categories) coded in the same unit, with association measures.

    Only pairs that share at least one unit are listed; ``source`` comes before ``target`` in
    codebook order.
    """
    rows = []
    n_units = summary.n_units
    for level in ("code", "category"):
        level_names = summary.level_names(level)
        product = summary.pairs[level]
        df = np.diag(product)
        i, j = np.nonzero(np.triu(product, k=1))
        c = product[i, j]
        measures = {m: association(m, c, df[i], df[j], n_units) for m in MEASURES}
        for k in range(len(c)):
            rows.append({"level": level, "source": level_names[i[k]],
                         "target": level_names[j[k]], "cooccurrences": int(c[k]),
                         "source_units": int(df[i[k]]), "target_units": int(df[j[k]]),
                         "n_units": n_units, **{m: float(v[k]) for m, v in measures.items()}})
    return pa.Table.from_pylist(rows, schema=COOCCURRENCE_SCHEMA)


def code_gexf(frequencies_table: pa.Table, cooc: pa.Table, *, measure: str = "jaccard") -> str:
    """The code co-occurrence network as GEXF 1.3 (codes as nodes; for Gephi).

    Nodes carry group, category and units coded; edge weights are ``measure``, with the raw
    ``cooccurrences`` as an attribute.
    """
    import xml.etree.ElementTree as ET

    from pipelines.core.xmlsafe import clean_tree

    ns = "http://gexf.net/1.3"
    root = ET.Element("gexf", {"xmlns": ns, "version": "1.3"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "wenmai code"
    ET.SubElement(meta, "description").text = f"code co-occurrence in coding units ({measure})"
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "undirected", "mode": "static"})
    nattr = ET.SubElement(graph, "attributes", {"class": "node"})
    for i, (title, kind) in enumerate((("group", "string"), ("category", "string"),
                                       ("units", "long"))):
        ET.SubElement(nattr, "attribute", {"id": str(i), "title": title, "type": kind})
    eattr = ET.SubElement(graph, "attributes", {"class": "edge"})
    ET.SubElement(eattr, "attribute", {"id": "0", "title": "cooccurrences", "type": "long"})
    nodes = ET.SubElement(graph, "nodes")
    ids = {}
    for row in frequencies_table.to_pylist():
        if row["level"] != "code":
            continue
        ids[row["name"]] = str(len(ids))
        node = ET.SubElement(nodes, "node", {"id": ids[row["name"]], "label": row["name"]})
        values = ET.SubElement(node, "attvalues")
        for i, key in enumerate(("group", "category", "units")):
            ET.SubElement(values, "attvalue", {"for": str(i), "value": str(row[key])})
    edges = ET.SubElement(graph, "edges")
    for k, row in enumerate(r for r in cooc.to_pylist() if r["level"] == "code"):
        edge = ET.SubElement(edges, "edge", {"id": str(k), "source": ids[row["source"]],
                                             "target": ids[row["target"]],
                                             "weight": repr(float(row[measure]))})
        values = ET.SubElement(edge, "attvalues")
        ET.SubElement(values, "attvalue", {"for": "0", "value": str(row["cooccurrences"])})
    clean_tree(root)  # what XML 1.0 forbids (a control character in a code name) is dropped
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
