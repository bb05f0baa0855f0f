"""A self-contained HTML report of a work folder: corpus counts, figures and key tables.

Reads what the stages wrote (manifests, ``ingest/documents``, ``ingest/rejected``,
``ingest/duplicates``, ``terms/terms``, ``topics/model_selection``, ``topics/recommendation``,
``topics/topic_terms``, ``network/nodes``, and the PNG files in ``figures/``) and returns one
HTML page with the figures embedded as base64 PNG, so the file can be mailed or archived
alone. Stages that have not run yet get a line naming the command that makes their tables.
The page carries no time of its own: the same work folder gives the same HTML.
"""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines import __version__
from pipelines.core.fonts import css_font_face
from pipelines.core.store import read_manifest, read_table, table_path

__all__ = ["STAGE_ORDER", "render_report", "write_report"]

STAGE_ORDER = ("ingest", "segment", "terms", "topics", "network", "figures")

CAPTIONS = {
    "term_frequency": "Most frequent terms (高频词)",
    "wordcloud": "Word cloud of the most frequent terms (词云)",
    "model_selection": "Topic model selection: coherence, perplexity and diversity against k",
    "topic_terms": "Top terms of each topic of the recommended model (主题词)",
    "topic_trends": "Topic shares by year (主题演化)",
    "network": "Term co-occurrence network, coloured by community (共现网络)",
}

CSS = """
body{font-family:"wenmai-cjk","Noto Sans CJK SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei","Helvetica Neue",Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1.5em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #3b6ea8;padding-bottom:.3em}
h2{margin-top:2em;color:#3b6ea8}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f4f9}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.rec td{background:#fff4d6;font-weight:bold}
figure{margin:1.5em 0}
figure img{max-width:100%;max-height:900px;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
.missing{color:#a33}
.note{color:#555;font-size:.9em}
"""


def _read(workdir: Path, name: str, columns: list[str] | None = None) -> pa.Table | None:
    """A table of the work folder (only ``columns`` if given), or None if not written yet."""
    if not table_path(workdir, name).exists():
        return None
    return read_table(workdir, name, columns=columns)


def _esc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[Any]], *, highlight: list[bool] | None = None
           ) -> str:
    """An HTML table; numbers right-aligned, highlighted rows marked."""
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in header),
           "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="rec"' if highlight and highlight[i] else ""
        cells = "".join(
            f'<td class="num">{_esc(v)}</td>' if isinstance(v, int | float)
            and not isinstance(v, bool) else f"<td>{_esc(v)}</td>" for v in row)
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _missing(stage: str) -> str:
    return f'<p class="missing">Not run yet: run <code>wenmai {stage}</code>.</p>'


def _stages(workdir: Path) -> str:
    rows = []
    for stage in STAGE_ORDER:
        manifest = read_manifest(workdir, stage)
        if manifest is None:
            rows.append([stage, "not run", "", "", ""])
            continue
        outputs = manifest.get("outputs", {})
        tables = ", ".join(f"{name.removesuffix('.parquet')} ({rec['rows']:,})"
                           for name, rec in sorted(outputs.items()) if "rows" in rec)
        files = sum(1 for rec in outputs.values() if "rows" not in rec)
        rows.append([stage, manifest.get("finished", ""), manifest.get("seconds"),
                     tables, files])
    return _table(["stage", "finished", "seconds", "tables (rows)", "other files"], rows)


def _corpus(workdir: Path) -> str:
    docs = _read(workdir, "ingest/documents", ["lang", "year", "n_chars"])
    if docs is None:
        return _missing("ingest")
    langs = Counter(docs.column("lang").to_pylist())
    years = [y for y in docs.column("year").to_pylist() if y is not None]
    chars = sum(n or 0 for n in docs.column("n_chars").to_pylist())
    rejected = _read(workdir, "ingest/rejected")
    duplicates = _read(workdir, "ingest/duplicates")
    rows = [["documents", docs.num_rows],
            ["characters", chars],
            ["languages", ", ".join(f"{k} {v:,}" for k, v in sorted(langs.items()))],
            ["years", f"{min(years)}–{max(years)} ({len(set(years))} distinct, "
                      f"{len(years):,} documents dated)" if years else "none"],
            ["rejected files or records", rejected.num_rows if rejected is not None else ""],
            ["duplicates removed", duplicates.num_rows if duplicates is not None else ""]]
    out = _table(["", "count"], rows)
    if rejected is not None and rejected.num_rows:
        reasons = Counter(rejected.column("reason").to_pylist())
        ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        out += ("<p class='note'>Rejected by reason: "
                + ", ".join(f"{html.escape(r)} {n:,}" for r, n in ranked) + "</p>")
    return out


def _figures(workdir: Path) -> str:
    folder = workdir / "figures"
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if not pngs:
        return _missing("figures")
    order = {name: i for i, name in enumerate(CAPTIONS)}
    pngs.sort(key=lambda p: (order.get(p.stem, len(order)), p.stem))
    out = []
    for path in pngs:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = CAPTIONS.get(path.stem, path.stem)
        out.append(f'<figure><img alt="{html.escape(path.stem)}" '
                   f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)} '
                   f"(<code>figures/{html.escape(path.name)}</code>)</figcaption></figure>")
    return "".join(out)


def _terms(workdir: Path, top: int = 30) -> str:
    terms = _read(workdir, "terms/terms")
    if terms is None:
        return _missing("terms")
    rows = sorted(terms.select(["term", "lang", "pos", "tf", "df", "idf"]).to_pylist(),
                  key=lambda r: (-r["tf"], r["term"]))[:top]
    return _table(["term", "lang", "pos", "tf", "df", "idf"],
                  [[r["term"], r["lang"], r["pos"], r["tf"], r["df"], r["idf"]] for r in rows])


def _topics(workdir: Path, words: int = 10) -> str:
    selection = _read(workdir, "topics/model_selection")
    topic_terms = _read(workdir, "topics/topic_terms")
    if selection is None or topic_terms is None:
        return _missing("topics")
    columns = [c for c in ("method", "k", "seed", "coherence_cv", "coherence_npmi",
                           "coherence_umass", "perplexity", "topic_diversity", "seconds")
               if c in selection.column_names]
    rows = selection.to_pylist()
    out = ["<h3>Model selection</h3>",
           _table(columns, [[r[c] for c in columns] for r in rows],
                  highlight=[bool(r.get("recommended")) for r in rows])]
    recommendation = _read(workdir, "topics/recommendation")
    if recommendation is not None and recommendation.num_rows:
        out.append("<p class='note'>Recommended: " + "; ".join(
            html.escape(r["reason"]) for r in recommendation.to_pylist()) + "</p>")
    chosen = [(r["method"], r["k"]) for r in rows if r.get("recommended")]
    if not chosen:
        return "".join(out)
    method, k = chosen[0]
    mine = [r for r in topic_terms.to_pylist() if r["method"] == method and r["k"] == k]
    by_topic: dict[int, list[dict[str, Any]]] = {}
    for r in mine:
        by_topic.setdefault(r["topic"], []).append(r)
    table_rows = []
    for topic in sorted(by_topic):
        ranked = sorted(by_topic[topic], key=lambda r: r["rank"])[:words]
        table_rows.append([topic, ranked[0].get("label", ""),
                           " · ".join(f"{r['term']} ({r['weight']:.3f})" for r in ranked)])
    out += [f"<h3>Top {words} terms per topic, {html.escape(method.upper())} k={k}</h3>",
            _table(["topic", "label", "terms (weight)"], table_rows)]
    return "".join(out)


def _network(workdir: Path, top: int = 20) -> str:
    nodes = _read(workdir, "network/nodes")
    if nodes is None:
        return _missing("network")
    edges = _read(workdir, "network/edges")
    columns = ["term", "freq", "degree", "weighted_degree", "betweenness", "eigenvector",
               "community"]
    rows = sorted(nodes.select(columns).to_pylist(),
                  key=lambda r: (-r["weighted_degree"], r["term"]))[:top]
    communities = len(set(nodes.column("community").to_pylist()))
    note = (f"<p class='note'>{nodes.num_rows:,} nodes, "
            f"{edges.num_rows if edges is not None else 0:,} edges, {communities} communities; "
            f"top {len(rows)} nodes by weighted degree.</p>")
    return note + _table(columns, [[r[c] for c in columns] for r in rows])


def _coding(workdir: Path, top: int = 30) -> list[tuple[str, str]]:
    """The coding section (code frequencies, saturation, agreement), or none without codes."""
    freq = _read(workdir, "code/code_frequencies")
    if freq is None or freq.num_rows == 0:
        return []
    columns = ["level", "name", "group", "units", "documents", "unit_share", "coverage"]
    rows = [[r[c] for c in columns] for r in freq.to_pylist()][:top * 3]
    html_parts = [_table(columns, rows)]
    sat = _read(workdir, "code/code_saturation")
    reserve = _read(workdir, "code/code_reserve")
    if sat is not None and sat.num_rows:
        codes = [r for r in sat.to_pylist() if r["level"] == "code"]
        held = [r for r in codes if r["random_median"] is None]  # reserve rows only
        main = [r for r in codes if r["random_median"] is not None]
        last_new = max((r["cases"] for r in main if r["new"]), default=0)
        only = [r["name"] for r in (reserve.to_pylist() if reserve is not None else [])
                if r["only_in_reserve"] and r["level"] == "code"]
        note = (f"Saturation: the last new code appeared at case {last_new} of the "
                f"{len(main)} {'main ' if held else ''}cases (corpus order)"
                + (f"; the {len(held)} reserve cases bring "
                   + (f"new codes: {', '.join(only)}" if only else "no new code")
                   if held else "") + ".")
        html_parts.insert(0, f"<p class='note'>{_esc(note)}</p>")
    agreement = _read(workdir, "code/code_agreement")
    if agreement is not None and agreement.num_rows:
        cols = ["name", "units", "percent_agreement", "kappa", "alpha"]
        html_parts.append("<h3>Agreement with the reference coding</h3>" + _table(
            cols, [[r[c] for c in cols] for r in agreement.to_pylist()]))
    return [("Coding", "".join(html_parts))]


def render_report(workdir: Path) -> str:
    """Build the report page of a work folder.

    Args:
        workdir: The work folder the stages wrote.

    Returns:
        A complete HTML document (UTF-8 text) with every figure embedded.
    """
    workdir = Path(workdir)
    sections = [
        ("Pipeline", _stages(workdir)),
        ("Corpus", _corpus(workdir)),
        ("Figures", _figures(workdir)),
        ("Top terms", _terms(workdir)),
        ("Topics", _topics(workdir)),
        ("Co-occurrence network", _network(workdir)),
        *_coding(workdir),
    ]
    body = "".join(f"<section><h2>{html.escape(t)}</h2>{s}</section>" for t, s in sections)
    title = "wenmai report (文脉分析报告)"
    visible = html.unescape(re.sub(r"<[^>]+>|data:[^\"]+", " ", body)) + title
    return ("<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{title}</title><style>{css_font_face(visible)}{CSS}</style></head><body>"
            "<h1>wenmai report <small>(文脉分析报告)</small></h1>"
            f"<p class='note'>Made by wenmai {html.escape(__version__)} from the work folder "
            f"<code>{html.escape(workdir.name)}</code>; each table below is read from "
            "<code>&lt;stage&gt;/&lt;table&gt;.parquet</code> there.</p>"
            f"{body}</body></html>\n")


def write_report(workdir: Path, path: Path | None = None) -> Path:
    """Write :func:`render_report` atomically (temporary name, then rename).

    Args:
        workdir: The work folder.
        path: Where to write; default ``<workdir>/report.html``.

    Returns:
        The path written.
    """
    workdir = Path(workdir)
    target = Path(path) if path is not None else workdir / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(workdir)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
