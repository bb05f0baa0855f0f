"""The sections of the report, each built from a :class:`~pipelines.report.work.Work`.

Each function returns HTML; a section whose stage has not run says which command makes it.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.store import iter_batches
from pipelines.report.page import Html, figure, missing, note, table
from pipelines.report.work import Work

__all__ = ["pipeline", "corpus", "segmentation", "keywords", "figures", "topics", "network",
           "coding", "CAPTIONS", "caption", "ldavis_name"]

CAPTIONS = {
    "term_frequency": "Most frequent terms (高频词): term frequency over the whole corpus after "
                      "segmentation and stopword removal (terms/terms, top --top-n).",
    "wordcloud": "Word cloud (词云): the most frequent terms, word size proportional to term "
                 "frequency (terms/terms, top --wordcloud-words; layout seeded).",
    "keyness": "Keywords of each group of documents against the others (keyness): bars of log "
               "ratio, terms ranked by log-likelihood G² (terms/group_keywords).",
    "model_selection": "Topic model selection (主题数选择): coherence (C_V, NPMI, UMass), "
                       "stability across seeds, held-out perplexity, topic diversity and "
                       "ldatuning's four metrics against k, mean ± SD over seeds; the dashed "
                       "line is the recommended k (topics/model_selection).",
    "topic_terms": "Top terms of each topic (主题词) of the model drawn (the recommended k, or "
                   "the closest compromise when no k is clear): bars of topic-word weight "
                   "(topics/topic_terms).",
    "topic_trends": "Topic shares by year (主题演化): mean topic share of the documents of "
                    "each year (topics/topic_trends).",
    "topic_effects": "Topic prevalence by year (stm-style effects): fractional logit "
                     "regression of document topic shares on a B-spline of the year with 95 % "
                     "bootstrap bands; grey: years without documents, where the curve only "
                     "interpolates (topics/topic_effects).",
    "topic_alignment": "Topics across k (主题对齐): each topic joined to its most similar topic "
                       "(cosine of topic-word distributions) at the previous k, bar height the "
                       "topic's share of the corpus (topics/topic_alignment).",
    "network": "Term co-occurrence network (共现网络): the strongest edges among the most "
               "frequent terms, node size by frequency, colour by Louvain community, edge "
               "width by the association measure (network/nodes, network/edges).",
    "network_slices": "Co-occurrence network by time slice (分时段共现网络): one network per "
                      "slice, each term at the same position in every panel "
                      "(network/slice_edges).",
    "bursts": "Terms with the strongest bursts (突现词): Kleinberg's burst detection over the "
              "documents' years, bars from burst start to end (network/bursts).",
    "two_mode": "Two-mode network (对应共现网络): terms joined to the groups of documents they "
                "occur in (network/two_mode).",
    "code_frequency": "Code frequencies by group: coded units per code, coloured by codebook "
                      "group (code/code_frequencies).",
    "code_year": "Codes by year: coded units per code and year; the last column holds the "
                 "units of documents without a year (code/code_matrix).",
    "code_saturation": "Saturation: distinct codes and categories found as cases are added, in "
                       "corpus order and as the median of random orders with its range; red "
                       "dots: reserve cases (code/code_saturation).",
}


def caption(name: str) -> str:
    """What a figure shows and how it was made; ``code_by_<column>`` for any column."""
    if name in CAPTIONS:
        return CAPTIONS[name]
    if name.startswith("code_by_"):
        by = name.removeprefix("code_by_")
        return (f"Codes by {by}: coded units per code and {by} value; the last column holds "
                f"the units of documents without a {by} value (code/code_matrix).")
    return name


STAGES = ("ingest", "segment", "terms", "topics", "network", "code", "figures")
FORMATS = ("png", "svg", "pdf")


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"<code>{html.escape(k)}={html.escape(repr(v))}</code>"
                    for k, v in sorted(params.items()))


def _output_tables(manifest: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(table, rows, " in N parts" for a dataset) of a manifest's outputs; a dataset's part
    files (``documents/part-00000.parquet``) count as one table."""
    rows: dict[str, int] = {}
    parts: dict[str, int] = {}
    for name, record in sorted(manifest.get("outputs", {}).items()):
        if not isinstance(record, dict) or "rows" not in record:
            continue
        folder, _, file = name.rpartition("/")
        table = folder if folder and file.startswith("part-") else name.removesuffix(".parquet")
        rows[table] = rows.get(table, 0) + int(record["rows"])
        parts[table] = parts.get(table, 0) + (1 if table == folder else 0)
    return [(t, n, f" in {parts[t]} parts" if parts[t] > 1 else "") for t, n in rows.items()]


def pipeline(work: Work, stages: tuple[str, ...] = STAGES) -> str:
    """Every stage: the versions of wenmai and of the libraries that computed its tables, when
    it ran, how long, its parameters and its tables."""
    rows = []
    for stage in stages:
        m = work.manifest(stage)
        if m is None:
            rows.append([stage, "not run", "", "", "", "", ""])
            continue
        tables = "<br>".join(html.escape(f"{name} ({rows:,}{parts})")
                             for name, rows, parts in _output_tables(m))
        libraries = ", ".join(f"{k} {v}" for k, v in sorted(m.get("libraries", {}).items()))
        rows.append([stage, m.get("wenmai_version", ""), libraries or "not recorded",
                     m.get("finished", ""), m.get("seconds"),
                     Html(_params(m.get("params", {}))), Html(tables)])
    return (note("The parameters are those that decide the results (the freshness key); "
                 "<code>wenmai status</code> says whether each stage is still fresh, and "
                 "whether the installed libraries are those that computed it.")
            + table(["stage", "wenmai", "libraries", "finished", "seconds", "parameters",
                          "tables (rows)"], rows))


def _source_group(source: str) -> str:
    parts = PurePosixPath(source).parts
    return parts[0] if len(parts) > 1 else "(top folder)"


def corpus(work: Work) -> str:
    """Documents, characters, languages; documents per year and per source; rejected files
    with their reasons; duplicates."""
    cols = work.column_names("ingest/documents")
    if not cols:
        return missing("ingest")
    # never the texts, and counted in Arrow: at a million documents Python rows would not fit
    docs = work.table("ingest/documents", [c for c in ("lang", "year", "n_chars", "source",
                                                       "group") if c in cols])
    langs = _counts(docs.column("lang"))
    per_year = sorted(_counts(pc.drop_null(docs.column("year"))).items())
    dated = sum(n for _, n in per_year)
    chars = pc.sum(pc.fill_null(docs.column("n_chars"), 0)).as_py() or 0
    rejected = work.table("ingest/rejected")
    duplicates = work.table("ingest/duplicates")
    rows = [["documents", docs.num_rows], ["characters", chars],
            ["languages", ", ".join(f"{k} {v:,}" for k, v in sorted(langs.items()))],
            ["years", f"{per_year[0][0]}–{per_year[-1][0]} ({len(per_year)} distinct, "
                      f"{dated:,} documents dated)" if per_year else "none"],
            ["rejected files or records", rejected.num_rows if rejected is not None else ""],
            ["duplicates removed", duplicates.num_rows if duplicates is not None else ""]]
    out = [table(["", "count"], rows)]
    if rejected is not None and rejected.num_rows:
        reasons = Counter(rejected.column("reason").to_pylist())
        ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append(note("Rejected by reason: "
                        + ", ".join(f"{html.escape(r)} {n:,}" for r, n in ranked)))
    if per_year:
        out.append("<h3>Documents per year</h3>" + table(
            ["year", "documents"], [[y, n] for y, n in per_year], years=(0,)))
    group = "group" if "group" in cols else None
    sources: Counter = Counter()
    for value, n in _counts(docs.column(group or "source")).items():
        sources[value if group else _source_group(value)] += n
    if len(sources) > 1:
        ranked = sorted(sources.items(), key=lambda kv: (-kv[1], str(kv[0])))[:40]
        out.append(f"<h3>Documents per {'group' if group else 'source folder'}</h3>"
                   + table([group or "source folder", "documents"],
                           [[s, n] for s, n in ranked]))
    if rejected is not None and rejected.num_rows:
        rows = [[r["source"], r.get("part"), r["reason"], r["detail"]]
                for r in rejected.slice(0, 100).to_pylist()]
        out.append(f"<h3>Rejected ({rejected.num_rows:,})</h3>"
                   + table(["source", "part", "reason", "detail"], rows))
    if duplicates is not None and duplicates.num_rows:
        rows = [[r.get("source"), r["duplicate_of"], r["similarity"], r["kind"]]
                for r in duplicates.slice(0, 100).to_pylist()]
        out.append(f"<h3>Duplicates removed ({duplicates.num_rows:,})</h3>"
                   + table(["source", "duplicate of", "similarity", "kind"], rows))
    return "".join(out)


def segmentation(work: Work) -> str:
    """Segmenter, dictionaries and stopword lists in use, what each filter removed, frequent
    out-of-dictionary words, terms found in nearly every document."""
    m = work.manifest("segment")
    report = work.table("segment/report")
    if m is None or report is None:
        return missing("segment")
    p = m.get("params", {})
    files = sorted(k.removeprefix("file:") for k in m.get("inputs", {}) if k.startswith("file:"))
    rows = [["segmenter", p.get("backend")], ["word lists (dictionaries, stopwords, synonyms)",
                                               Html("<br>".join(html.escape(f) for f in files))],
            ["policy-genre stopwords", "on" if p.get("policy_stopwords") else "off"],
            ["POS kept", ", ".join(p.get("keep_pos") or []) or "all"],
            ["shortest Chinese token", p.get("min_length")],
            ["numbers kept", "yes" if p.get("keep_numbers") else "no"]]
    out = [table(["setting", "value"], rows)]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in report.to_pylist():
        by_kind.setdefault(r["kind"], []).append(r)
    removed = by_kind.get("removed", [])
    if removed:
        out.append("<h3>Tokens removed, by filter</h3>"
                   + table(["filter", "tokens"], [[r["term"], r["count"]] for r in removed]))
    for kind, title in (("oov", "Frequent words not in any dictionary"),
                        ("common", "Terms kept in ≥ 90 % of the documents (stopword candidates)"),
                        ("traditional", "Documents largely in traditional characters")):
        rows = by_kind.get(kind, [])
        if rows:
            out.append(f"<h3>{title}</h3>" + note(" · ".join(
                f"{html.escape(r['term'])} ({r['count']:,})" for r in rows[:60])))
    return "".join(out)


def _counts(column: pa.ChunkedArray | pa.Array) -> dict[Any, int]:
    """Value -> rows holding it (nulls included as None), counted in Arrow."""
    counted = pc.value_counts(column)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(),
                    strict=True))


def _titles(work: Work, doc_ids: pa.Array) -> dict[str, tuple[str, Any]]:
    """doc_id -> (title, or the doc_id without one; year) of the documents ``doc_ids``."""
    docs = work.table("ingest/documents", ["doc_id", "title", "year"])
    if docs is None:
        return {}
    docs = docs.filter(pc.is_in(docs.column("doc_id"), value_set=doc_ids))
    return {d: (t or d, y) for d, t, y in zip(docs.column("doc_id").to_pylist(),
                                             docs.column("title").to_pylist(),
                                             docs.column("year").to_pylist(), strict=True)}


def _keyword_documents(keywords: Any) -> pa.Array:
    """The documents that have keywords, in order of first appearance (streamed)."""
    seen = [pc.unique(batch.column(0)) for batch in iter_batches(keywords, ["doc_id"])]
    return pc.unique(pa.chunked_array(seen, pa.string())) if seen else pa.array([], pa.string())


def keywords(work: Work, top_terms: int = 30, max_docs: int = 200) -> str:
    """Top terms by frequency, then the keywords of each document (and group)."""
    terms = work.table("terms/terms")
    kw = work.stored("terms/keywords")
    if terms is None or kw is None:
        return missing("terms")
    rows = sorted(terms.select(["term", "pos", "tf", "df"]).to_pylist(),
                  key=lambda r: (-r["tf"], r["term"]))[:top_terms]
    out = [f"<h3>Top {len(rows)} terms by frequency</h3>",
           table(["term", "pos", "tf", "df"], [[r[c] for c in ("term", "pos", "tf", "df")]
                                               for r in rows])]
    with_keywords = _keyword_documents(kw)
    titles = _titles(work, with_keywords)
    order = sorted(with_keywords.to_pylist(), key=lambda d: (
        titles.get(d, ("", None))[1] is None, titles.get(d, ("", 0))[1] or 0,
        titles.get(d, (d, 0))[0]))
    # only the keywords of the documents listed are read into Python
    shown = pa.array(order[:max_docs], pa.string())
    by_doc: dict[str, list[dict[str, Any]]] = {}
    method = ""
    for batch in iter_batches(kw):
        method = method or (batch.column("method")[0].as_py() if batch.num_rows else "")
        listed = batch.filter(pc.is_in(batch.column("doc_id"), value_set=shown))
        for r in listed.to_pylist():
            by_doc.setdefault(r["doc_id"], []).append(r)

    def words(rs: list[dict[str, Any]]) -> str:
        if method == "keyness":
            return " · ".join(f"{r['term']} ({r['g2']:.1f}, {r['log_ratio']:+.1f})" for r in rs)
        return " · ".join(f"{r['term']} ({r['score']:.3f})" for r in rs)

    explain = ("keyness: each document against the rest of the corpus; in brackets G² "
               "(log-likelihood) and log ratio (+1 = twice as frequent), see "
               "<code>docs/keyness.md</code>" if method == "keyness" else
               "TF-IDF, idf = ln(N/df); the score in brackets")
    out.append("<h3>Keywords per document</h3>" + note(explain + (
        f"; the first {max_docs} of {len(order):,} documents" if len(order) > max_docs else "")))
    out.append(table(["title", "year", "keywords"],
                     [[titles.get(d, (d, None))[0], titles.get(d, (d, None))[1],
                       words(sorted(by_doc[d], key=lambda r: r["rank"]))]
                      for d in order[:max_docs]], years=(1,)))
    groups = work.table("terms/group_keywords")
    if groups is not None and groups.num_rows:
        by_group: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
        for r in groups.to_pylist():
            by_group.setdefault((r["by"], r["group"], r["n_docs"]), []).append(r)
        by = next(iter(by_group))[0]
        out.append(f"<h3>Keywords per {html.escape(by)}</h3>"
                   + note(f"each {html.escape(by)} against the others; G² and log ratio")
                   + table([by, "documents", "keywords"],
                           [[g, n, " · ".join(f"{r['term']} ({r['g2']:.1f}, "
                                              f"{r['log_ratio']:+.1f})" for r in rs)]
                            for (_, g, n), rs in by_group.items()]))
    return "".join(out)


def figures(work: Work) -> str:
    """Every figure the figures stage wrote, in whatever format exists (PNG, else SVG, else
    PDF), with the CSV of the data it draws."""
    outputs = work.outputs("figures")
    names: dict[str, set[str]] = {}
    for filename in outputs:
        stem, _, ext = filename.rpartition(".")
        names.setdefault(stem, set()).add(ext)
    drawn = {n: e for n, e in names.items() if e & set(FORMATS)}
    if not drawn:
        return missing("figures")
    order = {name: i for i, name in enumerate(CAPTIONS)}
    out = []
    for name in sorted(drawn, key=lambda n: (order.get(n, len(order)), n)):
        fmt = next(f for f in FORMATS if f in drawn[name])
        data = work.file("figures", f"{name}.{fmt}")
        if data is None:
            continue
        others = [f for f in FORMATS if f in drawn[name] and f != fmt]
        if "csv" in names[name]:
            others.append("csv: the data drawn")
        extra = ("; also " + ", ".join(others)) if others else ""
        out.append(figure(name, fmt, data, caption(name), extra))
    return "".join(out)


def ldavis_name(work: Work) -> str | None:
    """The LDAvis page the topics stage wrote, if any."""
    pages = sorted(n for n in work.outputs("topics") if n.startswith("ldavis_"))
    return pages[0] if pages else None


def topics(work: Work, words: int = 10, docs: int = 3) -> str:
    """Model selection with the recommendation and its reason, then each topic of the chosen
    model with its top terms and its most representative documents."""
    selection = work.table("topics/model_selection")
    topic_terms = work.table("topics/topic_terms")
    if selection is None or topic_terms is None:
        return missing("topics")
    metric_cols = [c for c in ("method", "k", "seed", "coherence_cv", "coherence_npmi",
                               "coherence_umass", "perplexity", "topic_diversity", "stability")
                   if c in selection.column_names]
    rows = selection.to_pylist()
    out = ["<h3>Model selection</h3>",
           table(metric_cols, [[r[c] for c in metric_cols] for r in rows],
                 highlight=[bool(r.get("recommended")) for r in rows])]
    recommendation = work.table("topics/recommendation")
    if recommendation is not None and recommendation.num_rows:
        out.append(note("<b>Recommended:</b> " + "; ".join(
            html.escape(r["reason"]) for r in recommendation.to_pylist())))
        for r in recommendation.to_pylist():  # the topics stage's warning, said where read
            if r.get("language_split"):
                out.append(note(f"<b>Warning ({html.escape(str(r['method']).upper())}):</b> "
                                + html.escape(r["language_split"])))
    chosen = [(r["method"], r["k"]) for r in rows if r.get("recommended")]
    heading = ""
    if not chosen:  # no clear k: the closest compromise the topics stage names, said as such
        closest = [(r["method"], r["closest_k"]) for r in (
            recommendation.to_pylist() if recommendation is not None else [])
            if r.get("closest_k") is not None]
        have = set(zip(topic_terms.column("method").to_pylist(),
                       topic_terms.column("k").to_pylist(), strict=True))
        chosen = [c for c in closest if c in have]
        if not chosen:
            return "".join(out)
        heading = (" — the closest model, not a recommendation: no k is clearly best, read "
                   "these topics with the model selection above")
    method, k = chosen[0]
    by_topic: dict[int, list[dict[str, Any]]] = {}
    for r in topic_terms.to_pylist():
        if r["method"] == method and r["k"] == k:
            by_topic.setdefault(r["topic"], []).append(r)
    reps: dict[int, list[dict[str, Any]]] = {}
    rep_table = work.table("topics/representative_docs")
    for r in rep_table.to_pylist() if rep_table is not None else []:
        if r["method"] == method and r["k"] == k:
            reps.setdefault(r["topic"], []).append(r)
    table_rows = []
    for topic in sorted(by_topic):
        ranked = sorted(by_topic[topic], key=lambda r: r["rank"])[:words]
        titles = sorted(reps.get(topic, []), key=lambda r: r["rank"])[:docs]
        table_rows.append([topic, ranked[0].get("label", ""),
                           " · ".join(f"{r['term']} ({r['weight']:.3f})" for r in ranked),
                           " · ".join(f"{_unit(r)} ({r['weight']:.2f})" for r in titles)])
    out += [f"<h3>Topics of {html.escape(method.upper())} k={k}{heading}</h3>",
            table(["topic", "label", f"top {words} terms (weight)",
                   f"most representative documents (share), top {docs}"], table_rows)]
    page = ldavis_name(work)
    if page:
        out.append(note(f"Interactive topic map (LDAvis, Sievert & Shirley 2014): "
                        f"<a href='{html.escape(page)}'>{html.escape(page)}</a>, copied beside "
                        "this report."))
    return "".join(out)


def _unit(row: dict[str, Any]) -> str:
    """A representative unit: the document's title, and its paragraph when topics were
    fitted on paragraphs (``¶3``: the third paragraph), so two paragraphs of one document
    are told apart."""
    name = str(row["title"] or row["doc_id"])
    return name if row.get("para_id") is None else f"{name} ¶{int(row['para_id']) + 1}"


def network(work: Work, top: int = 20) -> str:
    """Size, density and communities of the co-occurrence network; the central terms."""
    nodes = work.table("network/nodes")
    if nodes is None:
        return missing("network")
    edges = work.table("network/edges")
    n, e = nodes.num_rows, edges.num_rows if edges is not None else 0
    params = (work.manifest("network") or {}).get("params", {})
    density = 2 * e / (n * (n - 1)) if n > 1 else 0.0
    communities: dict[int, list[dict[str, Any]]] = {}
    for r in nodes.to_pylist():
        communities.setdefault(r["community"], []).append(r)
    out = [note(f"{n:,} terms (nodes), {e:,} co-occurrence links (edges), density "
                f"{density:.3f}, {len(communities)} communities (Louvain); window "
                f"{html.escape(str(params.get('window', '')))}, edge weight: "
                f"{html.escape(str(params.get('measure', '')))}.")]
    out.append(_network_summary(work))
    columns = ["term", "freq", "degree", "weighted_degree", "betweenness", "eigenvector",
               "community"]
    rows = sorted(nodes.select(columns).to_pylist(),
                  key=lambda r: (-r["weighted_degree"], r["term"]))[:top]
    out.append(f"<h3>Top {len(rows)} terms by weighted degree</h3>"
               + table(columns, [[r[c] for c in columns] for r in rows]))
    comm_rows = [[c, len(rs), " · ".join(r["term"] for r in sorted(
        rs, key=lambda r: (-r["freq"], r["term"]))[:10])]
        for c, rs in sorted(communities.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    out.append("<h3>Communities</h3>" + table(["community", "terms", "most frequent"],
                                               comm_rows))
    return "".join(out)


def _network_summary(work: Work) -> str:
    """``network/summary`` (the whole corpus and each slice): density before and after the
    edge selection, components, clustering, modularity."""
    summary = work.table("network/summary")
    if summary is None or not summary.num_rows:
        return ""
    columns = ["slice", "nodes", "edges", "isolated", "density_candidates", "density",
               "components", "avg_clustering", "communities", "modularity"]
    rows = [[round(r[c], 3) if isinstance(r[c], float) else r[c] for c in columns]
            for r in summary.select(columns).to_pylist()]
    return ("<h3>Network summary (density before and after edge selection)</h3>"
            + table(columns, rows))


def coding(work: Work, top: int = 30) -> str | None:
    """The coding section (code frequencies, saturation, agreement), or None without codes."""
    freq = work.table("code/code_frequencies")
    if freq is None or freq.num_rows == 0:
        return None
    columns = ["level", "name", "group", "units", "documents", "unit_share", "coverage"]
    rows = [[r[c] for c in columns] for r in freq.to_pylist()][:top * 3]
    parts = [table(columns, rows)]
    sat = work.table("code/code_saturation")
    reserve = work.table("code/code_reserve")
    if sat is not None and sat.num_rows:
        # one row per case and level: counted in Arrow (a million cases would not fit as rows)
        codes = sat.filter(pc.equal(sat.column("level"), "code"))
        on_main = pc.is_valid(codes.column("random_median"))  # reserve rows have none
        held = len(codes) - (pc.sum(on_main).as_py() or 0)
        main = codes.filter(on_main)
        new_here = pc.fill_null(pc.not_equal(main.column("new"), 0), False)
        last_new = pc.max(main.column("cases").filter(new_here)).as_py() or 0
        only = [r["name"] for r in (reserve.to_pylist() if reserve is not None else [])
                if r["only_in_reserve"] and r["level"] == "code"]
        text = (f"Saturation: the last new code appeared at case {last_new} of the "
                f"{len(main)} {'main ' if held else ''}cases (corpus order)"
                + (f"; the {held} reserve cases bring "
                   + (f"new codes: {', '.join(only)}" if only else "no new code")
                   if held else "") + ".")
        parts.insert(0, note(html.escape(text)))
    agreement = work.table("code/code_agreement")
    if agreement is not None and agreement.num_rows:
        cols = ["name", "units", "percent_agreement", "kappa", "alpha"]
        parts.append("<h3>Agreement with the reference coding</h3>" + table(
            cols, [[r[c] for c in cols] for r in agreement.to_pylist()]))
    from pipelines.report.coding import coding_checks

    parts.append(coding_checks(work))
    return "".join(parts)
