"""The LDAvis page: self-contained, and its script draws the map and bars (run under node)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from pipelines import topics
from tests.topics.test_stage import _corpus, _params

# a minimal DOM: enough for the page's script to draw into plain objects we can count
_SHIM = r"""
const fs = require("fs");
const html = fs.readFileSync(process.argv[2], "utf8");
const script = html.split("<script>")[1].split("</script>")[0];
function node(tag) {
  return {tag, attrs: {}, children: [], value: "0.6", textContent: "", listeners: {},
    set innerHTML(v) { this.children = []; }, setAttribute(k, v) { this.attrs[k] = v; },
    appendChild(c) { this.children.push(c); return c; },
    addEventListener(e, f) { this.listeners[e] = f; }};
}
const ids = {};
global.document = {createElementNS: (ns, t) => node(t), createElement: t => node(t),
                   getElementById: id => (ids[id] = ids[id] || node(id))};
eval(script + "\nselect(1); ids.lam.value = '0.2'; drawBars();");
const kids = (id, tag) => ids[id].children.filter(c => c.tag === tag);
console.log(JSON.stringify({
  rects: kids("bars", "rect").length, circles: kids("map", "circle").length,
  finite: kids("bars", "rect").every(c => isFinite(parseFloat(c.attrs.width))),
  words: kids("bars", "text").slice(1).map(c => c.textContent),
  selected: kids("map", "circle").filter(c => c.attrs.class.includes("sel")).length}));
"""


@pytest.fixture(scope="module")
def page() -> str:
    out = topics.compute(_corpus(), _params(k="2"))
    return out["ldavis_k2.html"]


def test_page_is_offline(page):
    assert "<script src" not in page and "<link" not in page
    assert page.count("http") == 1  # only the SVG namespace string
    # the automatic labels (three most relevant terms) name the topics
    assert page.count(" / ") >= 2


def test_page_embeds_the_chinese_font(page):
    # without it a machine with no CJK font shows boxes instead of the Chinese terms
    assert '@font-face{font-family:"wenmai-cjk";src:url(data:font/otf;base64,' in page
    assert 'font-family:"wenmai-cjk"' in page.split("</style>")[0]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_script_draws_map_and_bars(page, tmp_path):
    path = tmp_path / "ldavis.html"
    path.write_text(page, encoding="utf-8")
    shim = tmp_path / "shim.js"
    shim.write_text(_SHIM, encoding="utf-8")
    result = json.loads(subprocess.run(["node", str(shim), str(path)], capture_output=True,
                                       text=True, check=True, timeout=60).stdout)
    # 12 kept terms: each topic's candidates are at most 12, two bars per term
    assert result["circles"] == 2 and result["selected"] == 1 and result["finite"]
    assert result["rects"] == 2 * min(30, len(result["words"]))
    assert result["rects"] > 0
