"""`wenmai run` on data/sample: every table, sane content, freshness, determinism."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core import store
from pipelines.stages import ORDER
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow

TABLES = ["ingest/documents", "ingest/rejected", "ingest/duplicates", "segment/tokens",
          "terms/terms", "terms/keywords", "topics/model_selection", "topics/topic_terms",
          "topics/doc_topics", "network/nodes", "network/edges", "code/codings",
          "code/code_frequencies", "code/code_matrix", "code/code_saturation"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Copy the sample project and run the whole pipeline once."""
    root = tmp_path_factory.mktemp("e2e")
    project = root / "sample"
    shutil.copytree(SAMPLE, project)
    work = root / "work"
    result = CliRunner().invoke(wenmai, ["--config", str(project / "wenmai.toml"),
                                         "--workdir", str(work), "run"])
    assert result.exit_code == 0, result.output + result.stderr
    return project, work


def _run(project: Path, work: Path, *args: str):
    return CliRunner().invoke(wenmai, ["--config", str(project / "wenmai.toml"),
                                       "--workdir", str(work), *args])


def test_every_table_exists_with_its_schema(sample_run) -> None:
    _, work = sample_run
    for name in TABLES:
        stage, table = name.split("/")
        assert store.table_files(work, name), name  # one file, or a dataset of part files
        module = next(m for m in ORDER if m.NAME == stage)
        schema = module.SCHEMAS.get(table)
        if schema is not None:
            got = store.open_table(work, name).schema
            for field in schema:
                assert field.name in got.names, (name, field.name)


def test_sample_content_is_sane(sample_run) -> None:
    _, work = sample_run
    docs = store.read_table(work, "ingest/documents").to_pylist()
    collection = [d for d in docs if d["source"].startswith("004_")]
    assert len(collection) == 9  # 第1篇 ... 第9篇
    assert collection[0]["title"] == "电子商务扶贫培训"
    assert {d["lang"] for d in docs} >= {"zh", "en"}
    tokens = store.read_table(work, "segment/tokens")
    assert tokens.num_rows > 100
    terms = {r["term"]: r for r in store.read_table(work, "terms/terms").to_pylist()}
    assert terms["扶贫"]["tf"] > 20
    selection = store.read_table(work, "topics/model_selection").to_pylist()
    assert sorted({r["k"] for r in selection}) == [2, 3, 4, 5, 6]
    assert sum(r["recommended"] for r in selection) >= 1
    nodes = store.read_table(work, "network/nodes")
    assert 2 <= nodes.num_rows <= 60
    assert store.read_table(work, "network/edges").num_rows > 0


def test_figures_are_written(sample_run) -> None:
    _, work = sample_run
    for name in ["term_frequency", "wordcloud", "model_selection", "topic_terms", "network"]:
        png = work / "figures" / f"{name}.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    for path in ["network/network.gexf", "network/network.graphml",
                 "network/vosviewer_map.txt", "network/vosviewer_network.txt"]:
        assert (work / path).stat().st_size > 0


def test_second_run_reruns_nothing(sample_run) -> None:
    project, work = sample_run
    result = _run(project, work, "run")
    assert result.exit_code == 0
    assert f"all {len(ORDER)} stages fresh; nothing rerun" in result.output
    assert _run(project, work, "status", "--check").exit_code == 0


def test_topic_option_change_reruns_topics_and_figures_only(sample_run, tmp_path) -> None:
    project, work = sample_run
    copy = tmp_path / "work"
    shutil.copytree(work, copy)
    cfg = project / "wenmai.toml"
    changed = tmp_path / "wenmai.toml"
    changed.write_text(cfg.read_text(encoding="utf-8").replace('k = "2..6"', 'k = "2..5"'),
                       encoding="utf-8")
    shutil.copytree(project / "docs", tmp_path / "docs")
    result = CliRunner().invoke(wenmai, ["--config", str(changed), "--workdir", str(copy),
                                         "status"])
    assert "topics   stale" in result.output
    assert "parameter k changed ('2..6' -> '2..5')" in result.output
    # figures' own inputs are unchanged on disk, but topics upstream will rerun
    assert "figures  stale\n         - upstream topics is stale" in result.output
    assert "network  fresh" in result.output
    check = CliRunner().invoke(wenmai, ["--config", str(changed), "--workdir", str(copy),
                                        "status", "--check"])
    assert check.exit_code == 1
    stale = CliRunner().invoke(wenmai, ["--config", str(changed), "--workdir", str(copy),
                                        "status", "--stale"])
    assert stale.output.split() == ["topics", "figures", "report"]
    result = CliRunner().invoke(wenmai, ["--config", str(changed), "--workdir", str(copy),
                                         "run"])
    assert result.exit_code == 0, result.stderr
    ran = [line.split(":")[0] for line in result.stdout.splitlines() if "done in" in line]
    assert ran == ["topics", "figures", "report"]
    check = CliRunner().invoke(wenmai, ["--config", str(changed), "--workdir", str(copy),
                                        "status", "--check"])
    assert check.exit_code == 0, check.output


def test_run_builds_the_report_and_status_tracks_it(sample_run, tmp_path) -> None:
    project, work = sample_run
    page = (work / "report" / "report.html").read_text(encoding="utf-8")
    assert "Model selection" in page and "Keywords per document" in page
    assert page.count("data:image/png;base64,") >= 5
    ldavis = sorted((work / "report").glob("ldavis_k*.html"))
    assert len(ldavis) == 1 and f"href='{ldavis[0].name}'" in page
    copy = tmp_path / "work"
    shutil.copytree(work, copy)
    trial = _run(project, copy, "figures", "--formats", "pdf")
    assert trial.exit_code == 0, trial.stderr
    status = _run(project, copy, "status")
    assert "report   stale" in status.output
    result = _run(project, copy, "report")
    assert result.exit_code == 0, result.stderr
    page = (copy / "report" / "report.html").read_text(encoding="utf-8")
    assert "data:application/pdf;base64," in page and "Not run yet" not in page


def test_other_library_version_is_named_by_status_and_report(sample_run, tmp_path) -> None:
    """A result made by other library versions stays fresh (status --check passes: nothing
    need rerun) but is not silently fresh; the report states the versions of every stage."""
    import json
    from importlib.metadata import version

    project, work = sample_run
    page = (work / "report" / "report.html").read_text(encoding="utf-8")
    assert f"tomotopy {version('tomotopy')}" in page and f"rjieba {version('rjieba')}" in page
    copy = tmp_path / "work"
    shutil.copytree(work, copy)

    def fake(stage: str, library: str, old: str) -> None:
        path = copy / stage / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        assert manifest["libraries"][library] == version(library)
        manifest["libraries"][library] = old
        path.write_text(json.dumps(manifest), encoding="utf-8")

    fake("report", "pyarrow", "15.0.0")  # no stage reads the report's manifest
    status = _run(project, copy, "status")
    assert ("report   fresh\n         ! made with other library versions: pyarrow 15.0.0 "
            f"(installed: {version('pyarrow')})") in status.output
    assert status.output.count("!") == 1  # the other stages agree with what is installed
    assert _run(project, copy, "status", "--check").exit_code == 0
    fake("topics", "tomotopy", "0.12.0")
    status = _run(project, copy, "status")
    assert ("topics   fresh\n         ! made with other library versions: tomotopy 0.12.0 "
            f"(installed: {version('tomotopy')})") in status.output
    # the report states the topics manifest's versions, so it is made again
    assert "input topics/manifest.json changed" in status.output
    assert _run(project, copy, "status", "--stale").stdout.split() == ["report"]


def test_deleted_output_is_reported_and_rebuilt(sample_run, tmp_path) -> None:
    project, work = sample_run
    copy = tmp_path / "work"
    shutil.copytree(work, copy)
    (copy / "network" / "edges.parquet").unlink()
    status = _run(project, copy, "status")
    assert "network  stale" in status.output and "output edges.parquet is missing" in status.output
    result = _run(project, copy, "run")
    assert result.exit_code == 0
    assert (copy / "network" / "edges.parquet").exists()
    again = _run(project, copy, "status")
    assert "stale" not in again.output and "missing" not in again.output


def test_same_seed_gives_identical_tables(sample_run, tmp_path) -> None:
    project, work = sample_run
    other = tmp_path / "again"
    result = _run(project, other, "run", "--until", "code")
    assert result.exit_code == 0, result.stderr
    for name in TABLES:
        first = store.read_table(work, name)
        second = store.read_table(other, name)
        if "seconds" in first.column_names:  # wall-clock time is the one column that may differ
            first, second = first.drop(["seconds"]), second.drop(["seconds"])
        assert first.equals(second), name
