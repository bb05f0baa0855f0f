"""The topics stage on a real corpus: the government work reports 1954-2017 through the CLI.

Issue #5's demonstration in miniature: ingest, segment and a k=2 LDA (tomotopy, seed 42) over the
49 reports, one unit per report. The two topics must split the planned-economy era from the
reform era: every 1950s report is mostly the first topic, every 2010s report mostly the second,
and the hand-over happens in the 1980s-90s. Skipped where ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import wenmai

pytestmark = pytest.mark.slow

OLD_ERA = {"五年计划", "资本主义", "苏联", "帝国主义", "资产阶级", "四人帮", "总产值"}
NEW_ERA = {"经济社会", "民生", "节能", "监管", "和谐", "环保", "统筹", "着力"}


@pytest.fixture(scope="module")
def gov_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ingest, segment and topics (k=2) on the 49 reports once."""
    reports = Path(__file__).resolve().parents[3] / "shared" / "corpora" / \
        "gov-reports-1954-2017" / "govReports"
    if not reports.is_dir():
        pytest.skip("../shared is not present (only CI and developers have it)")
    work = tmp_path_factory.mktemp("gov") / "work"
    topics = ["topics", "--k", "2", "--seeds", "1", "--workers", "1"]
    for args in (["ingest", str(reports)], ["segment"], topics):
        result = CliRunner().invoke(wenmai, ["-q", "--workdir", str(work), *args])
        assert result.exit_code == 0, result.output
    return work


def test_two_topics_split_the_eras(gov_work: Path) -> None:
    trends = pq.read_table(gov_work / "topics" / "topic_trends.parquet").to_pylist()
    share = {(r["year"], r["topic"]): r["share"] for r in trends}
    years = sorted({r["year"] for r in trends})
    assert len(years) == 49
    old = max((0, 1), key=lambda t: share[(1954, t)])
    assert all(share[(y, old)] >= 0.8 for y in years if y <= 1960)
    assert all(share[(y, old)] <= 0.2 for y in years if y >= 2010)
    handover = next(y for y in years if share[(y, old)] < 0.5)
    assert 1985 <= handover <= 2000
    terms = pq.read_table(gov_work / "topics" / "topic_terms.parquet").to_pylist()
    top = {t: {r["term"] for r in terms if r["topic"] == t and r["rank"] <= 20} for t in (0, 1)}
    assert len(top[old] & OLD_ERA) >= 3
    assert len(top[1 - old] & NEW_ERA) >= 3


def test_model_selection_and_recommendation(gov_work: Path) -> None:
    ms = pq.read_table(gov_work / "topics" / "model_selection.parquet").to_pylist()
    assert [(r["k"], r["seed"], r["recommended"], r["unit"]) for r in ms] == \
        [(2, 42, True, "document")]
    assert 0.3 < ms[0]["coherence_cv"] < 0.9
    assert ms[0]["topic_diversity"] > 0.9
    rec = pq.read_table(gov_work / "topics" / "recommendation.parquet").to_pylist()
    assert rec[0]["k"] == 2 and rec[0]["reason"].startswith("k=2:")
