"""An offline LDAvis-style page (Sievert & Shirley 2014) for one fitted topic model.

One self-contained HTML file: inline SVG and vanilla JavaScript, no CDN, so it opens from a
work folder without a network. Left: the intertopic distance map, classical MDS (PCoA) of the
Jensen-Shannon divergences between topic-term distributions, circle area proportional to topic
prevalence (share of all kept tokens). Right: the top-30 terms of the selected topic by
relevance ``lambda*log p(w|t) + (1-lambda)*log(p(w|t)/p(w))`` with a lambda slider; the grey
bar is the term's corpus frequency, the red bar its estimated frequency in the topic. Topics are
shown with the same 0-based numbers as the tables, and their labels.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

import numpy as np

from pipelines.topics.corpus import Corpus, Fit

__all__ = ["jensen_shannon", "intertopic_coordinates", "ldavis_html", "ldavis_data",
           "render_ldavis"]

# the page's data sits between these two strings (json.dumps never writes a raw newline)
_DATA_START = "const D = "
_DATA_END = ";\n"

N_TERMS = 30
LAMBDAS = np.linspace(0.0, 1.0, 11)


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (natural log) of two distributions.

    >>> round(jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 6)
    0.693147
    """
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / m), 0.0)
        b = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(0.5 * a.sum() + 0.5 * b.sum())


def intertopic_coordinates(topic_term: np.ndarray) -> np.ndarray:
    """2-D classical MDS of the topics' Jensen-Shannon divergences (LDAvis ``jsPCA``).

    Each axis's sign is fixed so its largest-magnitude coordinate is positive, which makes the
    map the same on every machine.
    """
    k = topic_term.shape[0]
    dist = np.array([[jensen_shannon(topic_term[a], topic_term[b]) for b in range(k)]
                     for a in range(k)])
    centre = np.eye(k) - np.ones((k, k)) / k
    gram = -0.5 * centre @ (dist**2) @ centre
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:2]
    coords = vectors[:, order] * np.sqrt(np.clip(values[order], 0.0, None))
    if coords.shape[1] < 2:
        coords = np.column_stack([coords, np.zeros(k)])
    for axis in range(2):
        col = coords[:, axis]
        if col[np.argmax(np.abs(col))] < 0:
            coords[:, axis] = -col
    return coords


def ldavis_html(fit: Fit, corpus: Corpus, lengths: np.ndarray,
                label: Callable[[int, int], str], *, seed: int) -> str:
    """Render the page for one fit.

    Args:
        fit: The fitted model (first seed of the recommended k).
        corpus: The corpus it was fitted on (vocabulary and kept tokens).
        lengths: Kept-token count of each unit (weights of the topic prevalence).
        label: ``label(k, topic)`` gives the label shown with a topic number.
        seed: The seed, shown in the page title.

    Returns:
        The HTML text.
    """
    # NMF rows can hold exact zeros; a floor keeps log() finite (0 * -inf would be NaN)
    phi = np.maximum(fit.topic_term, 1e-12)
    k, _ = phi.shape
    col = {w: j for j, w in enumerate(corpus.vocab)}
    freq = np.bincount(corpus.bags.ids, minlength=len(corpus.vocab)).astype(np.float64)
    tokens = freq.sum()
    p_w = freq / tokens
    prevalence = (lengths @ fit.doc_topic) / lengths.sum()
    coords = intertopic_coordinates(phi)
    log_phi = np.log(phi)
    with np.errstate(divide="ignore"):
        lift = log_phi - np.log(p_w)
    topics = []
    for t in range(k):
        chosen: set[int] = set()
        for lam in LAMBDAS:
            rel = lam * log_phi[t] + (1 - lam) * lift[t]
            chosen.update(np.argsort(-rel, kind="stable")[:N_TERMS].tolist())
        terms = sorted(chosen)
        topics.append({
            "topic": t, "label": label(fit.k, t), "x": float(coords[t, 0]),
            "y": float(coords[t, 1]), "prevalence": float(prevalence[t]),
            "terms": [[corpus.vocab[j], float(phi[t, j]),
                       round(float(phi[t, j] * prevalence[t] * tokens), 3)] for j in terms],
        })
    overall = np.argsort(-freq, kind="stable")[:N_TERMS]
    needed = sorted({col[term[0]] for t in topics for term in t["terms"]}
                    | set(overall.tolist()))
    data = {
        "k": fit.k, "topics": topics,
        "pw": {corpus.vocab[j]: float(p_w[j]) for j in needed},
        "freq": {corpus.vocab[j]: float(freq[j]) for j in needed},
        "overall": [[corpus.vocab[j], float(freq[j])] for j in overall],
    }
    title = f"wenmai topics: {corpus.method} k={fit.k} (seed {seed})"
    return render_ldavis(data, title)


def ldavis_data(html_text: str) -> tuple[dict, str]:
    """The data and title embedded in a page made by :func:`render_ldavis`."""
    start = html_text.index(_DATA_START) + len(_DATA_START)
    end = html_text.index(_DATA_END, start)
    title = html.unescape(html_text[html_text.index("<title>") + 7:html_text.index("</title>")])
    return json.loads(html_text[start:end]), title


def render_ldavis(data: dict, title: str) -> str:
    """The page for ``data`` (topics with labels, term frequencies), self-contained."""
    payload = _script_safe(json.dumps(data, ensure_ascii=False, sort_keys=True))
    title = html.escape(title)
    from pipelines.core.fonts import css_font_face

    font = css_font_face(title + payload)
    return (_PAGE.replace("__FONT__", font).replace("__TITLE__", title)
            .replace("__DATA__", payload))


def _script_safe(payload: str) -> str:
    """JSON that cannot end or derail the inline ``<script>`` it sits in.

    Escaping only ``</`` is not enough: ``<!--<script>`` in a label puts the HTML parser in
    the "double escaped" script state, and the page's own ``</script>`` no longer ends the
    script (the page goes blank). With ``<``, ``>`` and ``&`` as ``\\u`` escapes (valid in JSON
    and JavaScript strings, and JSON has them nowhere else) no markup survives; U+2028/2029
    are escaped for older JavaScript engines.
    """
    for char in "<>&\u2028\u2029":
        payload = payload.replace(char, f"\\u{ord(char):04x}")
    return payload


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
__FONT__
body{font-family:"wenmai-cjk","Noto Sans CJK SC","Microsoft YaHei",Arial,sans-serif;margin:16px;
color:#222}
#wrap{display:flex;gap:24px;flex-wrap:wrap}
svg text{font-size:12px} .circle{fill:#1f77b4;fill-opacity:.35;stroke:#1f77b4;cursor:pointer}
.circle.sel{fill:#d62728;stroke:#d62728} .ctl{margin:8px 0}
</style></head><body>
<h2>__TITLE__</h2>
<div class="ctl">Topic: <select id="pick"><option value="-1">(all: most frequent terms)</option>
</select> &nbsp; &lambda; = <span id="lv">0.60</span>
<input id="lam" type="range" min="0" max="1" step="0.01" value="0.6"></div>
<div id="wrap"><svg id="map" width="460" height="460"></svg>
<svg id="bars" width="560" height="660"></svg></div>
<p>Circles: intertopic distance map (classical MDS of Jensen-Shannon divergences), area by
prevalence. Bars: top-30 terms by relevance &lambda;&middot;log p(w|t) + (1&minus;&lambda;)&middot;
log(p(w|t)/p(w)); grey = corpus frequency, red = estimated frequency in the topic.</p>
<script>
const D = __DATA__;
const NS = "http://www.w3.org/2000/svg";
let current = -1;
function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const a in attrs) e.setAttribute(a, attrs[a]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function drawMap() {
  const svg = document.getElementById("map"); svg.innerHTML = "";
  const xs = D.topics.map(t => t.x), ys = D.topics.map(t => t.y);
  const span = Math.max(1e-9, Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2, cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  svg.appendChild(el("line", {x1: 230, y1: 10, x2: 230, y2: 450, stroke: "#ccc"}));
  svg.appendChild(el("line", {x1: 10, y1: 230, x2: 450, y2: 230, stroke: "#ccc"}));
  const order = D.topics.slice().sort((a, b) => b.prevalence - a.prevalence);
  for (const t of order) {
    const x = 230 + (t.x - cx) / span * 300, y = 230 - (t.y - cy) / span * 300;
    const r = 8 + Math.sqrt(t.prevalence) * 70;
    const cls = "circle" + (t.topic === current ? " sel" : "");
    const c = el("circle", {cx: x, cy: y, r: r, class: cls});
    const pct = (100 * t.prevalence).toFixed(1);
    c.appendChild(el("title", {}, t.label + " (" + pct + "% of tokens)"));
    c.addEventListener("click", () => select(t.topic));
    svg.appendChild(c);
    svg.appendChild(el("text", {x: x, y: y + 4, "text-anchor": "middle"}, String(t.topic)));
  }
}
function drawBars() {
  const svg = document.getElementById("bars"); svg.innerHTML = "";
  const lam = parseFloat(document.getElementById("lam").value);
  document.getElementById("lv").textContent = lam.toFixed(2);
  let rows;
  if (current < 0) {
    rows = D.overall.map(([w, f]) => ({w: w, total: f, inTopic: 0}));
    svg.appendChild(el("text", {x: 120, y: 14}, "Top-30 most frequent terms"));
  } else {
    const t = D.topics[current];
    rows = t.terms.map(([w, phi, est]) => ({w: w, total: D.freq[w], inTopic: est,
      rel: lam * Math.log(phi) + (1 - lam) * Math.log(phi / D.pw[w])}));
    rows.sort((a, b) => b.rel - a.rel || (a.w < b.w ? -1 : 1));
    rows = rows.slice(0, 30);
    const head = "Top-30 terms of topic " + t.topic + ": " + t.label;
    svg.appendChild(el("text", {x: 120, y: 14}, head));
  }
  const max = Math.max(...rows.map(r => r.total));
  rows.forEach((r, i) => {
    const y = 24 + i * 20, w = r.total / max * 400, w2 = r.inTopic / max * 400;
    svg.appendChild(el("text", {x: 115, y: y + 12, "text-anchor": "end"}, r.w));
    svg.appendChild(el("rect", {x: 120, y: y, width: w, height: 15, fill: "#bbb"}));
    svg.appendChild(el("rect", {x: 120, y: y, width: w2, height: 15, fill: "#d62728"}));
  });
}
function select(t) {
  current = t; document.getElementById("pick").value = t; drawMap(); drawBars();
}
const pick = document.getElementById("pick");
for (const t of D.topics) {
  const o = document.createElement("option"); o.value = t.topic;
  o.textContent = t.topic + ": " + t.label; pick.appendChild(o);
}
pick.addEventListener("change", e => select(parseInt(e.target.value, 10)));
document.getElementById("lam").addEventListener("input", drawBars);
drawMap(); drawBars();
</script></body></html>
"""
