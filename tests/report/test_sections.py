"""The report's sections: built from the tables present, figures embedded, stable output."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.report import render
from pipelines.report.work import Work

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


def _write(workdir: Path, name: str, table: pa.Table) -> None:
    path = workdir / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _figures(workdir: Path, files: dict[str, bytes]) -> None:
    folder = workdir / "figures"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = {"stage": "figures", "params": {"formats": ["png"]},
                "outputs": {name: {"sha256": "x", "size": len(d)} for name, d in files.items()}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _workdir(workdir: Path) -> Path:
    _write(workdir, "ingest/documents", pa.table({
        "doc_id": ["a", "b", "c"], "source": ["x/1.txt", "x/2.txt", "y/3.txt"],
        "title": ["职业教育报告", "扶贫", None], "lang": ["zh", "zh", "en"],
        "year": pa.array([2019, None, 2021], pa.int32()),
        "n_chars": pa.array([100, 250, 50], pa.int32()), "text": ["职业教育", "扶贫", "x"]}))
    _write(workdir, "ingest/rejected", pa.table({
        "source": ["bad.pdf", "empty.txt"], "part": pa.array([None, None], pa.int32()),
        "reason": ["scanned", "empty"], "detail": ["no text layer", "no text"]}))
    _write(workdir, "terms/terms", pa.table({
        "term": ["乡村振兴", "教育"], "lang": ["zh", "zh"], "pos": ["n", "n"],
        "tf": pa.array([7, 9], pa.int64()), "df": pa.array([2, 3], pa.int64()),
        "idf": [1.2, 1.0]}))
    _write(workdir, "terms/keywords", pa.table({
        "doc_id": ["a"], "term": ["乡村振兴"], "score": [12.5], "rank": pa.array([1], pa.int32()),
        "method": ["keyness"], "freq": [5], "ref_freq": [2], "g2": [12.5], "log_ratio": [2.0]}))
    _write(workdir, "topics/model_selection", pa.table({
        "method": ["lda", "lda"], "k": pa.array([2, 3], pa.int32()), "seed": [42, 42],
        "coherence_cv": [0.5, 0.6], "coherence_npmi": [0.1, 0.2],
        "coherence_umass": [-1.0, -0.9], "perplexity": [300.0, 280.0],
        "topic_diversity": [1.0, 0.9], "seconds": [0.5, 0.6], "recommended": [False, True]}))
    _write(workdir, "topics/recommendation", pa.table({
        "method": ["lda"], "k": pa.array([3], pa.int32()), "reason": ["k=3: best c_v"]}))
    _write(workdir, "topics/topic_terms", pa.table({
        "method": ["lda"] * 3, "k": pa.array([3] * 3, pa.int32()),
        "topic": pa.array([0, 0, 1], pa.int32()), "rank": pa.array([2, 1, 1], pa.int32()),
        "term": ["培训", "精准扶贫", "教师"], "weight": [0.25, 0.5, 0.4],
        "label": ["扶贫", "扶贫", "Topic 1"]}))
    _write(workdir, "topics/representative_docs", pa.table({
        "method": ["lda"], "k": pa.array([3], pa.int32()), "topic": pa.array([0], pa.int32()),
        "rank": pa.array([1], pa.int32()), "doc_id": ["b"], "title": ["扶贫"],
        "weight": [0.9]}))
    _figures(workdir, {"network.png": PNG, "term_frequency.png": PNG,
                       "term_frequency.csv": b"term,tf\n"})
    return workdir


def test_report_sections_from_the_tables(workdir: Path) -> None:
    page = render(Work(_workdir(workdir)))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # corpus counts: 3 documents, 400 characters, years of the 2 dated documents
    assert "<td>documents</td><td class=\"num\">3</td>" in page
    assert "<td>characters</td><td class=\"num\">400</td>" in page
    assert "2019–2021 (2 distinct, 2 documents dated)" in page
    assert "en 1, zh 2" in page and "empty 1, scanned 1" in page
    # per year without a thousands separator, per source folder, rejected with reasons
    assert '<td class="num">2019</td><td class="num">1</td>' in page
    assert "<td>x</td><td class=\"num\">2</td>" in page
    assert "<td>bad.pdf</td><td></td><td>scanned</td><td>no text layer</td>" in page
    # terms by tf: 教育 (9) before 乡村振兴 (7); keywords with G2 and log ratio and the title
    assert page.index("<td>教育</td>") < page.index("<td>乡村振兴</td>")
    assert "<td>职业教育报告</td>" in page and "乡村振兴 (12.5, +2.0)" in page
    # the recommended row is highlighted with its reason; topic terms and representative docs
    assert '<tr class="rec"><td>lda</td><td class="num">3</td>' in page
    assert "k=3: best c_v" in page
    assert "精准扶贫 (0.500) · 培训 (0.250)" in page and "扶贫 (0.90)" in page
    # figures embedded in FIGURES order; the CSV beside is named; missing stage names its command
    assert page.count("data:image/png;base64,") == 2
    assert page.index('alt="term_frequency"') < page.index('alt="network"')
    assert "csv: the data drawn" in page
    assert "run <code>wenmai network</code>" in page and "run <code>wenmai segment</code>" in page
    # the CJK font is embedded, so the page needs no font on the reader's machine
    assert "@font-face{font-family:\"wenmai-cjk\";src:url(data:font/otf;base64," in page
    assert render(Work(workdir)) == page  # no time of its own


def test_figures_in_whatever_format_exists(workdir: Path) -> None:
    _figures(workdir, {"network.pdf": b"%PDF-1.4 fake", "wordcloud.svg": b"<svg/>"})
    page = render(Work(workdir))
    assert "data:application/pdf;base64," in page and "data:image/svg+xml;base64," in page
    assert "Not run yet: run <code>wenmai figures</code>" not in page


def test_report_of_an_empty_work_folder_lists_every_command(workdir: Path) -> None:
    page = render(Work(workdir))
    for stage in ("ingest", "terms", "topics", "network", "figures"):
        assert f"run <code>wenmai {stage}</code>" in page


def test_font_subset_covers_text_after_a_data_prefix(monkeypatch) -> None:
    """A parameter value such as 'wenmai-data:sample/docs' is text, not a data URL: the
    characters after it still get into the font subset (they showed as tofu)."""
    from pipelines.report import page as P

    seen: list[str] = []
    monkeypatch.setattr(P, "css_font_face", lambda text: seen.append(text) or "")
    P.page("t", "w", [("s", "<code>inputs='wenmai-data:x' split='^第\\s*篇'</code>"
                            '<img src="data:image/png;base64,iVBORw0KGgo=">')])
    assert "第" in seen[0] and "篇" in seen[0] and "iVBORw0KGgo" not in seen[0]


def test_report_shows_the_network_summary(workdir: Path) -> None:
    from pipelines.network.schemas import NODES_SCHEMA, SUMMARY_SCHEMA

    work = _workdir(workdir)
    _write(work, "network/nodes", pa.Table.from_pylist(
        [{"term": "教育", "freq": 9, "windows": 3, "degree": 1, "weighted_degree": 2.0,
          "betweenness": 0.0, "closeness": 1.0, "eigenvector": 0.7, "pagerank": 0.5,
          "community": 0}], NODES_SCHEMA))
    _write(work, "network/summary", pa.Table.from_pylist(
        [{"slice": "all", "nodes": 100, "edges": 150, "isolated": 16, "candidate_edges": 4853,
          "density_candidates": 0.9804, "density": 0.0303, "components": 1,
          "largest_component": 84, "avg_clustering": 0.1547, "communities": 26,
          "modularity": 0.6545, "windows": 26131, "params": "{}"}], SUMMARY_SCHEMA))
    page = render(Work(work))
    assert "Network summary (density before and after edge selection)" in page
    assert "0.98" in page and "0.03" in page


def test_a_datasets_parts_are_listed_as_one_table():
    from pipelines.report.sections import _output_tables

    manifest = {"outputs": {"documents/part-00000.parquet": {"rows": 100_000},
                            "documents/part-00001.parquet": {"rows": 5},
                            "rejected.parquet": {"rows": 2}, "boilerplate.parquet": {"rows": 0},
                            "network.gexf": {"sha256": "x"}}}
    assert _output_tables(manifest) == [("boilerplate", 0, ""), ("documents", 100_005,
                                                                 " in 2 parts"),
                                        ("rejected", 2, "")]


def test_keywords_of_the_documents_listed_from_a_dataset(workdir: Path) -> None:
    from pipelines.core import store
    from pipelines.report.sections import keywords

    _workdir(workdir)
    (workdir / "terms" / "keywords.parquet").unlink()
    rows = [{"doc_id": d, "term": t, "score": s, "rank": r, "method": "tfidf", "freq": 1,
             "ref_freq": 0, "g2": 0.0, "log_ratio": 0.0}
            for d, t, s, r in [("c", "english", 0.9, 1), ("a", "职业", 0.5, 2),
                               ("a", "教育", 0.7, 1), ("b", "扶贫", 0.3, 1)]]
    folder = workdir / "terms" / "keywords"
    folder.mkdir()
    for i in range(0, 4, 2):  # two parts, document a split across them
        store.write_part(folder / f"part-{i // 2:05d}.parquet", pa.Table.from_pylist(rows[i:i + 2]))
    page = keywords(Work(workdir), max_docs=2)
    # dated first by year (a 2019, c 2021), b (no year) left out by max_docs; ranks in order
    assert "the first 2 of 3 documents" in page
    assert page.index("职业教育报告") < page.index("english (0.900)")
    assert "教育 (0.700) · 职业 (0.500)" in page and "扶贫" not in page
