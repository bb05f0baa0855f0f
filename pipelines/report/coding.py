"""The parts of the report's coding section that let a reader judge the coding: the codebook
with its rules, three example segments per code, the audit's precision and recall, the
chi-square residuals, and warnings (a code that never fires, one that fires in more than a
third of the units, rule words the counting filters drop)."""

from __future__ import annotations

import html

import pyarrow as pa

from pipelines.report.page import Html, note, table
from pipelines.report.work import Work

__all__ = ["coding_checks", "BROAD_SHARE", "EXAMPLE_CHARS"]

#: A code coding more than this share of the units is flagged as too broad.
BROAD_SHARE = 1 / 3
#: Example segments are cut to this many characters around their first match.
EXAMPLE_CHARS = 160


def _rows(work: Work, name: str) -> list[dict]:
    t: pa.Table | None = work.table(name)
    return t.to_pylist() if t is not None else []


def _warnings(rules: list[dict], freq: list[dict]) -> list[str]:
    codes = {r["name"]: r for r in freq if r["level"] == "code"}
    out = []
    never = [r["code"] for r in rules if codes.get(r["code"], {}).get("units", 0) == 0]
    if never:
        out.append(f"{len(never)} code(s) never fire: {', '.join(never)}; check their rules "
                   "against the text (<code>wenmai kwic WORD</code>).")
    broad = [f"{n} ({r['unit_share']:.0%})" for n, r in codes.items()
             if r["unit_share"] > BROAD_SHARE]
    if broad:
        out.append(f"{len(broad)} code(s) fire in more than a third of the units: "
                   f"{', '.join(broad)}; a rule this broad rarely measures one thing: audit "
                   "it (<code>wenmai code --audit 20</code>).")
    dropped = [f"{r['code']} ({', '.join(r['filtered_words'])})" for r in rules
               if r["filtered_words"]]
    if dropped:
        out.append(f"{len(dropped)} code(s) have rule words that the counting filters "
                   f"(stopword lists, short words, POS) drop: {'; '.join(dropped)}. The rules "
                   "still find them (they read every word), but term, topic and network "
                   "tables do not count them.")
    return [html.escape(w, quote=False).replace("&lt;code&gt;", "<code>").replace(
        "&lt;/code&gt;", "</code>") for w in out]


def _example(row: dict) -> str:
    text = row["text"] or ""
    first = min((text.find(m) for m in row["matched"] or [] if m in text), default=0)
    start = max(0, first - EXAMPLE_CHARS // 2)
    cut = text[start:start + EXAMPLE_CHARS]
    shown = html.escape(cut)
    for m in sorted(set(row["matched"] or []), key=len, reverse=True):
        if m and m in cut:
            shown = shown.replace(html.escape(m), f"<mark>{html.escape(m)}</mark>")
    return ("…" if start else "") + shown + ("…" if start + EXAMPLE_CHARS < len(text) else "")


def _audit(work: Work) -> str:
    prec = _rows(work, "code/audit_precision")
    if not prec:
        return note("No audit read back yet: <code>wenmai code --audit 20</code> writes a "
                    "sheet to judge, <code>wenmai code --audit-results FILE</code> reads it.")
    cols = ["level", "name", "judged", "yes", "partly", "no", "precision", "low", "high",
            "precision_strict", "weighted"]
    out = ["<h3>Audited precision (partly = half; Wilson 95 % interval)</h3>",
           table(cols, [[r[c] for c in cols] for r in prec if r["judged"]]),
           note("precision_strict counts partly as wrong; weighted weighs each code by its "
                "codings (the sheet samples as many of each code). Figure: "
                "<a href='#fig-code_precision'>code_precision</a>.")]
    rec = [r for r in _rows(work, "code/audit_recall") if r["uncoded_judged"]]
    if rec:
        cols = ["level", "name", "uncoded_judged", "missed", "uncoded_units", "recall"]
        out += ["<h3>Estimated recall (from the uncoded sample; an upper bound)</h3>",
                table(cols, [[r[c] for c in cols] for r in rec])]
    return "".join(out)


def _crosstab(work: Work) -> str:
    rows = [r for r in _rows(work, "code/code_crosstab") if r["level"] == "code"]
    if not rows:
        return ""
    tests = {}
    for r in rows:
        tests.setdefault(r["by"], (r["chi2"], r["dof"], r["p_value"], []))
        if r["significant"]:
            tests[r["by"]][3].append(f"{r['name']}×{r['value']} ({r['residual']:+.1f})")
    lines = [[by, chi2, dof, p, len(sig), "; ".join(sig[:12]) + (" …" if len(sig) > 12 else "")]
             for by, (chi2, dof, p, sig) in tests.items()]
    return ("<h3>Codes across document groups (chi-square, adjusted residuals)</h3>"
            + table(["by", "chi2", "dof", "p", "cells |r|>1.96", "cells"], lines)
            + note("Residual heatmaps: figures <code>code_residuals_&lt;column&gt;</code>; a "
                   "unit with two codes counts in both rows, so read the test as descriptive."))


def coding_checks(work: Work) -> str:
    """The codebook, warnings, examples, audit and crosstab parts of the coding section."""
    rules = _rows(work, "code/code_rules")
    if not rules:
        return ""
    freq = _rows(work, "code/code_frequencies")
    units = {r["name"]: r["units"] for r in freq if r["level"] == "code"}
    out = []
    warnings = _warnings(rules, freq)
    if warnings:
        out.append("<h3>Warnings</h3><ul>" + "".join(f"<li>{w}</li>" for w in warnings)
                   + "</ul>")
    out.append("<h3>Codebook</h3>" + table(
        ["group", "category", "code", "description", "rule", "units"],
        [[r["group"], r["category"], r["code"], r["description"],
          Html(f"<code>{html.escape(r['rule'])}</code>"), units.get(r["code"], 0)]
         for r in rules]))
    examples: dict[str, list[dict]] = {}
    for r in _rows(work, "code/code_examples"):
        examples.setdefault(r["code"], []).append(r)
    if examples:
        lines = [[r["code"], Html("<br>".join(_example(e) for e in examples[r["code"]]))]
                 for r in rules if r["code"] in examples]
        out.append("<h3>Example segments (three per code, drawn at random)</h3>"
                   + table(["code", "segments (matched words marked)"], lines))
    out.append(_audit(work))
    out.append(_crosstab(work))
    return "".join(out)
