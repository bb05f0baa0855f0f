"""Writers for the network files opened in Gephi, Cytoscape and VOSviewer.

- ``network.gexf``: GEXF 1.2 (``xmlns="http://www.gexf.net/1.2draft"``, ``version="1.2"``),
  the format Gephi reads natively. Node id and label are the term; node attributes are every
  column of ``network/nodes`` (freq, windows, degree, weighted_degree, betweenness, closeness,
  eigenvector, pagerank, community) and, with slices, ``<column>@<slice>`` for each slice's
  freq, degree, betweenness, pagerank and community; the edge weight is the measure's value,
  ``cooccurrences`` the raw count and ``measure`` its name. networkx stamps the
  current date into ``<meta lastmodifieddate>``; it is removed (it is optional in the schema)
  so the same network gives the same bytes on any day.
- ``network.graphml``: the same graph and attributes in GraphML, plus graph attributes
  ``measure`` and ``window``.
- ``vosviewer_map.txt`` / ``vosviewer_network.txt``: VOSviewer's tab-separated map file (header
  ``id label cluster weight<Links> weight<Total link strength> weight<Occurrences>``, ids 1..N
  in node order, cluster = community + 1) and network file (``id1 id2 strength``, no header,
  each link once). The network file carries the raw co-occurrence counts, because VOSviewer
  normalises link strengths itself (association strength by default); the total link strength
  is therefore the sum of raw counts, as VOSviewer computes it.
- ``network.net``: Pajek (``*Vertices n`` with ``id "label"`` lines, ids 1..N in node order,
  then ``*Edges`` with ``id1 id2 weight``), UTF-8; Pajek, Gephi, igraph and networkx read it.
- ``nodes.csv`` / ``edges.csv``: the two tables as UTF-8 CSV with a byte-order mark (so Excel
  opens Chinese text correctly), every column, a header row.
- ``two_mode.gexf``: the term x group network, node attribute ``kind`` (term or group).
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["export_graph", "to_gexf", "to_graphml", "vosviewer_map", "vosviewer_network",
           "pajek", "csv_text", "two_mode_gexf"]

log = logging.getLogger("wenmai")

_SLICE_ATTRS = ("freq", "degree", "betweenness", "pagerank", "community")
_VOS_MAX_CLUSTER = 1000  # VOSviewer clusters are integers 1..1000
# characters XML 1.0 cannot hold; a term holding one gets U+FFFD in the GEXF/GraphML id and label
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def export_graph(nodes: pa.Table, edges: pa.Table, *, graph_attrs: dict[str, str] | None = None,
                 slices: pa.Table | None = None) -> nx.Graph:
    """A networkx graph of the node and edge tables with plain Python attribute values.

    Args:
        nodes: The ``network/nodes`` table.
        edges: The ``network/edges`` table.
        graph_attrs: Graph-level attributes (written to GraphML only).
        slices: ``network/slices``; adds ``<column>@<slice>`` node attributes.

    Returns:
        ``networkx.Graph`` whose nodes are the terms, in table order (characters XML cannot
        hold are replaced by U+FFFD).
    """
    import networkx as nx

    graph = nx.Graph(**(graph_attrs or {}))
    per_slice: dict[str, dict[str, object]] = {}
    if slices is not None:
        for row in slices.select(["slice", "term", *_SLICE_ATTRS]).to_pylist():
            extra = per_slice.setdefault(row["term"], {})
            for column in _SLICE_ATTRS:
                extra[f"{column}@{row['slice']}"] = row[column]
    xml_id: dict[str, str] = {}
    for i, row in enumerate(nodes.to_pylist(), start=1):
        term = row.pop("term")
        clean = _XML_INVALID.sub("\ufffd", term)
        if clean != term and clean in xml_id.values():
            clean = f"{clean}#{i}"
        xml_id[term] = clean
        graph.add_node(clean, label=clean, **row, **per_slice.get(term, {}))
    for row in edges.select(["source", "target", "weight", "cooccurrences", "measure"]
                            ).to_pylist():
        graph.add_edge(xml_id[row["source"]], xml_id[row["target"]], weight=row["weight"],
                       cooccurrences=row["cooccurrences"], measure=row["measure"])
    return graph


def _xml_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


_ESCAPED: dict[str, str] = {}


def _xml_text(value: object) -> str:
    """Text for an XML attribute or element (escaped; booleans as true/false)."""
    kind = type(value)
    if kind is float or kind is int:  # the common cases first (430k edges: seconds)
        return str(value)
    if kind is str:
        text = _ESCAPED.get(value)  # type: ignore[arg-type]
        if text is None:
            # what XML 1.0 forbids (a control character in a label) becomes U+FFFD
            text = _ESCAPED[value] = _XML_INVALID.sub(  # type: ignore[union-attr]
                "\ufffd", value).translate(_ESCAPE)
            if len(_ESCAPED) > 100_000:
                _ESCAPED.clear()
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _XML_INVALID.sub("\ufffd", str(value)).translate(_ESCAPE)


def _keys(items: list[dict], skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Attribute name -> XML type, in first-seen order."""
    keys: dict[str, str] = {}
    for attrs in items:
        for name, value in attrs.items():
            if name not in skip and name not in keys and value is not None:
                keys[name] = _xml_type(value)
    return keys


def to_gexf(graph: nx.Graph) -> bytes:
    """GEXF 1.2 bytes of ``graph`` (UTF-8, no date stamp), as networkx's ``write_gexf``
    lays it out but written directly (ElementTree took minutes for 400k edges)."""
    node_keys = _keys([d for _, d in graph.nodes(data=True)], skip=("label",))
    edge_keys = _keys([d for _, _, d in graph.edges(data=True)], skip=("weight",))
    ids = {name: str(k) for k, name in enumerate([*node_keys, *edge_keys])}
    edge_ids = {name: str(len(node_keys) + k) for k, name in enumerate(edge_keys)}
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"
           '<gexf xmlns="http://www.gexf.net/1.2draft" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.gexf.net/1.2draft '
           'http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
           "  <meta>\n    <creator>wenmai</creator>\n  </meta>\n"
           '  <graph defaultedgetype="undirected" mode="static" name="">\n']
    for cls, keys, numbering in (("edge", edge_keys, edge_ids), ("node", node_keys, ids)):
        if keys:
            out.append(f'    <attributes mode="static" class="{cls}">\n')
            out += [f'      <attribute id="{numbering[k]}" title="{_xml_text(k)}" '
                    f'type="{t}" />\n' for k, t in keys.items()]
            out.append("    </attributes>\n")

    def attvalues(attrs: dict, keys: dict, numbering: dict, indent: str) -> list[str]:
        cells = [f'{indent}  <attvalue for="{numbering[k]}" value="{_xml_text(v)}" />\n'
                 for k, v in attrs.items() if k in keys and v is not None]
        return [f"{indent}<attvalues>\n", *cells, f"{indent}</attvalues>\n"] if cells else []

    out.append("    <nodes>\n")
    for node, attrs in graph.nodes(data=True):
        label = attrs.get("label", node)
        out.append(f'      <node id="{_xml_text(node)}" label="{_xml_text(label)}">\n')
        out += attvalues(attrs, node_keys, ids, "        ")
        out.append("      </node>\n")
    out.append("    </nodes>\n    <edges>\n")
    for k, (u, v, attrs) in enumerate(graph.edges(data=True)):
        weight = f' weight="{_xml_text(attrs["weight"])}"' if "weight" in attrs else ""
        out.append(f'      <edge source="{_xml_text(u)}" target="{_xml_text(v)}" id="{k}"'
                   f"{weight}>\n")
        out += attvalues(attrs, edge_keys, edge_ids, "        ")
        out.append("      </edge>\n")
    out.append("    </edges>\n  </graph>\n</gexf>\n")
    return "".join(out).encode("utf-8")


def to_graphml(graph: nx.Graph) -> bytes:
    """GraphML bytes of ``graph`` (UTF-8), written directly like :func:`to_gexf`."""
    node_keys = _keys([d for _, d in graph.nodes(data=True)])
    edge_keys = _keys([d for _, _, d in graph.edges(data=True)])
    graph_keys = _keys([graph.graph])
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n']
    key_id: dict[tuple[str, str], str] = {}
    for cls, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys.items():
            key_id[cls, name] = f"d{len(key_id)}"
            out.append(f'  <key id="{key_id[cls, name]}" for="{cls}" '
                       f'attr.name="{_xml_text(name)}" attr.type="{kind}" />\n')

    def data(cls: str, attrs: dict, indent: str) -> list[str]:
        return [f'{indent}<data key="{key_id[cls, k]}">{_xml_text(v)}</data>\n'
                for k, v in attrs.items() if (cls, k) in key_id and v is not None]

    out.append('  <graph edgedefault="undirected">\n')
    out += data("graph", graph.graph, "    ")
    for node, attrs in graph.nodes(data=True):
        out.append(f'    <node id="{_xml_text(node)}">\n')
        out += data("node", attrs, "      ")
        out.append("    </node>\n")
    for u, v, attrs in graph.edges(data=True):
        out.append(f'    <edge source="{_xml_text(u)}" target="{_xml_text(v)}">\n')
        out += data("edge", attrs, "      ")
        out.append("    </edge>\n")
    out.append("  </graph>\n</graphml>\n")
    return "".join(out).encode("utf-8")


def _vos_label(term: str) -> str:
    """A label cell: no tabs or line breaks; quoted if it holds a comma, semicolon or quote."""
    text = re.sub(r"[\t\r\n]+", " ", term)
    if any(ch in text for ch in ',;"'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def vosviewer_map(nodes: pa.Table, edges: pa.Table) -> str:
    """VOSviewer map file text: one line per node, ids 1..N in node order.

    The cluster column is left out (VOSviewer then clusters itself) when there are more
    communities than VOSviewer's limit of 1000.
    """
    terms = nodes.column("term").to_pylist()
    community = nodes.column("community").to_pylist()
    strength = dict.fromkeys(terms, 0)
    for s, t, c in zip(edges.column("source").to_pylist(), edges.column("target").to_pylist(),
                       edges.column("cooccurrences").to_pylist(), strict=True):
        strength[s] += c
        strength[t] += c
    with_cluster = (max(community, default=0) + 1) <= _VOS_MAX_CLUSTER
    if not with_cluster:
        log.warning("network: %d communities exceed VOSviewer's 1000 clusters; the map file "
                    "has no cluster column", max(community) + 1)
    header = ["id", "label", *(["cluster"] if with_cluster else []), "weight<Links>",
              "weight<Total link strength>", "weight<Occurrences>"]
    lines = ["\t".join(header)]
    for i, (term, comm, deg, freq) in enumerate(zip(
            terms, community, nodes.column("degree").to_pylist(),
            nodes.column("freq").to_pylist(), strict=True), start=1):
        cells = [str(i), _vos_label(term), *([str(comm + 1)] if with_cluster else []),
                 str(deg), _number(strength[term]), str(freq)]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def vosviewer_network(nodes: pa.Table, edges: pa.Table) -> str:
    """VOSviewer network file text: ``id1<TAB>id2<TAB>raw count``, sorted by ids, id1 < id2."""
    ids = {term: i for i, term in enumerate(nodes.column("term").to_pylist(), start=1)}
    links = sorted(
        tuple(sorted((ids[s], ids[t]))) + (c,)
        for s, t, c in zip(edges.column("source").to_pylist(), edges.column("target").to_pylist(),
                           edges.column("cooccurrences").to_pylist(), strict=True))
    return "".join(f"{a}\t{b}\t{c}\n" for a, b, c in links)


def _quote(text: str) -> str:
    return '"' + re.sub(r"[\r\n]+", " ", text).replace('"', "'") + '"'


def pajek(nodes: pa.Table, edges: pa.Table) -> str:
    """Pajek ``.net`` text: vertices 1..N in node order with quoted labels, then edges."""
    terms = nodes.column("term").to_pylist()
    ids = {term: i for i, term in enumerate(terms, start=1)}
    lines = [f"*Vertices {len(terms)}"]
    lines += [f"{i} {_quote(term)}" for i, term in enumerate(terms, start=1)]
    lines.append("*Edges")
    for s, t, w in zip(edges.column("source").to_pylist(), edges.column("target").to_pylist(),
                       edges.column("weight").to_pylist(), strict=True):
        lines.append(f"{ids[s]} {ids[t]} {w!r}")
    return "\n".join(lines) + "\n"


def csv_text(table: pa.Table) -> str:
    """The table as CSV text with a byte-order mark and a header row; a text cell a
    spreadsheet would run as a formula is kept text (:func:`~pipelines.core.cells.defuse`)."""
    import csv

    from pipelines.core.cells import defuse

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([defuse(c) for c in table.column_names])
    for row in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else defuse(v)
                         for v in row])
    return "\ufeff" + buffer.getvalue()


def two_mode_gexf(two: pa.Table, nodes: pa.Table) -> bytes:
    """GEXF of the term x group network (node attributes ``kind`` and ``freq`` for terms)."""
    import networkx as nx

    freq = dict(zip(nodes.column("term").to_pylist(), nodes.column("freq").to_pylist(),
                    strict=True))
    graph = nx.Graph()
    for row in two.to_pylist():
        term = _XML_INVALID.sub("\ufffd", row["term"])
        group = "group:" + _XML_INVALID.sub("\ufffd", row["group"])
        graph.add_node(term, label=term, kind="term", freq=int(freq.get(row["term"], 0)))
        graph.add_node(group, label=row["group"], kind="group", freq=0)
        graph.add_edge(term, group, weight=row["weight"], cooccurrences=row["cooccurrences"],
                       measure=row["measure"])
    return to_gexf(graph)
