"""XML files the code stage writes stay XML 1.0 whatever a code name or a title holds
(issue 30): a control character is dropped, never written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipelines.code.codebook import parse_codebook
from pipelines.code.project import _element
from pipelines.code.refi import codebook_qdc

BOOK = ('groups:\n- name: "组\\v一"\n  description: "说明\\x01"\n  categories:\n'
        '  - name: k\n    codes:\n      - name: "码\\x1f"\n        rule: 经费\n')


def test_a_control_character_in_a_code_name_leaves_the_qdc_valid() -> None:
    book = parse_codebook(BOOK)
    root = ET.fromstring(codebook_qdc(book))  # raised "not well-formed" before
    names = [el.get("name") for el in root.iter() if el.get("name")]
    assert names == ["组一", "k", "码"]


def test_a_vertical_tab_in_a_title_leaves_the_project_valid() -> None:
    el = ET.Element("TextSource", {"name": "标题\v一"})
    ET.SubElement(el, "Description").text = "正文\x0c二"
    parsed = ET.fromstring(_element(el))
    assert parsed.get("name") == "标题一" and parsed[0].text == "正文二"


def test_a_control_character_in_a_code_name_leaves_the_code_network_valid() -> None:
    import pyarrow as pa

    from pipelines.code.tables import code_gexf

    freq = pa.Table.from_pylist([
        {"level": "code", "name": n, "group": "组\x0b", "category": "k", "units": 1}
        for n in ("码\x01", "乙")])
    cooc = pa.Table.from_pylist([{"level": "code", "source": "码\x01", "target": "乙",
                                  "jaccard": 0.5, "cooccurrences": 1}])
    root = ET.fromstring(code_gexf(freq, cooc))
    assert sorted(el.get("label") for el in root.iter() if el.get("label")) == ["乙", "码"]


def test_a_control_character_in_a_network_attribute_leaves_the_gexf_valid() -> None:
    import networkx as nx

    from pipelines.network.export import to_gexf, to_graphml

    graph = nx.Graph()
    graph.add_node("甲", label="甲\x0b", note="说明\x01")
    graph.add_node("乙", label="乙")
    graph.add_edge("甲", "乙", weight=1.0)
    for data in (to_gexf(graph), to_graphml(graph)):
        ET.fromstring(data)  # raised "not well-formed" for the label and the attribute
