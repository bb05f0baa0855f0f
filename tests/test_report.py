"""The HTML report: sections from the tables present, figures embedded, stable output."""

from __future__ import annotations

import base64
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.report import render_report, write_report

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


def _write(workdir: Path, name: str, table: pa.Table) -> None:
    path = workdir / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _workdir(workdir: Path) -> Path:
    _write(workdir, "ingest/documents", pa.table({
        "doc_id": ["a", "b", "c"], "lang": ["zh", "zh", "en"],
        "year": pa.array([2019, None, 2021], pa.int32()),
        "n_chars": pa.array([100, 250, 50], pa.int32()), "text": ["职业教育", "扶贫", "x"]}))
    _write(workdir, "ingest/rejected", pa.table({
        "source": ["bad.pdf", "empty.txt"], "part": pa.array([None, None], pa.int32()),
        "reason": ["scanned", "empty"], "detail": ["no text layer", "no text"]}))
    _write(workdir, "terms/terms", pa.table({
        "term": ["乡村振兴", "教育"], "lang": ["zh", "zh"], "pos": ["n", "n"],
        "tf": pa.array([7, 9], pa.int64()), "df": pa.array([2, 3], pa.int64()),
        "idf": [1.2, 1.0]}))
    _write(workdir, "topics/model_selection", pa.table({
        "method": ["lda", "lda"], "k": pa.array([2, 3], pa.int32()), "seed": [42, 42],
        "coherence_cv": [0.5, 0.6], "coherence_npmi": [0.1, 0.2],
        "coherence_umass": [-1.0, -0.9], "perplexity": [300.0, 280.0],
        "topic_diversity": [1.0, 0.9], "seconds": [0.5, 0.6], "recommended": [False, True]}))
    _write(workdir, "topics/topic_terms", pa.table({
        "method": ["lda"] * 3, "k": pa.array([3] * 3, pa.int32()),
        "topic": pa.array([0, 0, 1], pa.int32()), "rank": pa.array([2, 1, 1], pa.int32()),
        "term": ["培训", "精准扶贫", "教师"], "weight": [0.25, 0.5, 0.4],
        "label": ["扶贫", "扶贫", "Topic 1"]}))
    (workdir / "figures").mkdir()
    (workdir / "figures" / "network.png").write_bytes(PNG)
    (workdir / "figures" / "term_frequency.png").write_bytes(PNG)
    return workdir


def test_report_sections_from_the_tables(workdir):
    page = render_report(_workdir(workdir))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # corpus counts: 3 documents, 400 characters, years of the 2 dated documents
    assert "<td>documents</td><td class=\"num\">3</td>" in page
    assert "<td>characters</td><td class=\"num\">400</td>" in page
    assert "2019–2021 (2 distinct, 2 documents dated)" in page
    assert "en 1, zh 2" in page and "empty 1, scanned 1" in page
    # terms by tf: 教育 (9) before 乡村振兴 (7)
    assert page.index("<td>教育</td>") < page.index("<td>乡村振兴</td>")
    # the recommended row is highlighted; topic 0's terms in rank order
    assert '<tr class="rec"><td>lda</td><td class="num">3</td>' in page
    assert "精准扶贫 (0.500) · 培训 (0.250)" in page
    # figures embedded in FIGURES order, not alphabetical; missing stage names its command
    assert page.count("data:image/png;base64,") == 2
    assert page.index('alt="term_frequency"') < page.index('alt="network"')
    assert "run <code>wenmai network</code>" in page
    # the CJK font is embedded, so the page needs no font on the reader's machine
    assert "@font-face{font-family:\"wenmai-cjk\";src:url(data:font/otf;base64," in page


def test_report_is_stable_and_written_atomically(workdir):
    _workdir(workdir)
    first = render_report(workdir)
    path = write_report(workdir)
    assert path == workdir / "report.html"
    assert path.read_text(encoding="utf-8") == first
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".report-")] == []


def test_report_of_an_empty_work_folder_lists_every_command(workdir):
    page = render_report(workdir)
    for stage in ("ingest", "terms", "topics", "network", "figures"):
        assert f"run <code>wenmai {stage}</code>" in page


def test_report_shows_the_network_summary(workdir):
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
    page = render_report(work)
    assert "Network summary (density before and after edge selection)" in page
    assert "0.98" in page and "0.03" in page and "0.654" in page
