"""Subsets and per-analysis words on the shipped sample, through the command line (issue 29)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core import store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SUBSETS = '\n[subsets]\nrecent = "year >= 2022"\n'


@pytest.fixture(scope="module")
def segmented(tmp_path_factory) -> Path:
    """The sample project with ``[subsets]``, ingested and segmented once."""
    project = tmp_path_factory.mktemp("subsets") / "project"
    shutil.copytree(SAMPLE, project)
    with open(project / "wenmai.toml", "a", encoding="utf-8") as fh:
        fh.write(SUBSETS)
    result = CliRunner().invoke(wenmai, ["--config", str(project / "wenmai.toml"), "--workdir",
                                         str(project / "work"), "run", "--until", "segment"])
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def project(segmented: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(segmented, copy)
    return copy


def _cli(project: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(wenmai, ["--config", str(project / "wenmai.toml"), "--workdir",
                                         str(project / "work"), *args])
    assert result.exit_code == code, result.output
    return result.output


def _hashes(work: Path, stage: str) -> dict[str, str]:
    manifest = json.loads((work / stage / "manifest.json").read_text(encoding="utf-8"))
    return {name: rec["sha256"] for name, rec in manifest["outputs"].items()}


def test_stage_stopwords_leave_tokens_and_codings_alone(project: Path) -> None:
    work = project / "work"
    _cli(project, "code")
    _cli(project, "terms")
    tokens, codings = _hashes(work, "segment"), _hashes(work, "code")
    full = store.read_table(work, "terms/terms").to_pylist()
    top = [r["term"] for r in full if r["pos"].startswith("n")][:3]  # kept by --pos n,v
    (project / "mine.txt").write_text("\n".join(top) + "\n", encoding="utf-8")
    stop = str(project / "mine.txt")
    _cli(project, "terms", "--stopwords", stop, "--pos", "n,v")
    _cli(project, "network", "--stopwords", stop)
    _cli(project, "topics", "--stopwords", stop, "--k", "2", "--seeds", "1", "--iterations",
         "30")
    terms = set(store.read_table(work, "terms/terms").column("term").to_pylist())
    nodes = set(store.read_table(work, "network/nodes").column("term").to_pylist())
    topic_terms = set(store.read_table(work, "topics/topic_terms").column("term").to_pylist())
    assert not set(top) & (terms | nodes | topic_terms)
    tags = set(store.read_table(work, "terms/terms").column("pos").to_pylist())
    assert tags and all(tag.startswith(("n", "v")) for tag in tags)
    # the tokens and the coding are untouched, and still fresh
    assert _hashes(work, "segment") == tokens and _hashes(work, "code") == codings
    words = {w for row in store.read_table(work, "segment/tokens").column("tokens").to_pylist()
             for w in row}
    assert set(top) <= words
    status = _cli(project, "status")
    assert "segment  fresh" in status and "code     fresh" in status
    # the word list is an input of the stages that use it: editing it makes them stale
    manifest = json.loads((work / "terms" / "manifest.json").read_text(encoding="utf-8"))
    assert any(k.startswith("file:") and k.endswith("mine.txt") for k in manifest["inputs"])
    assert "fresh, nothing to do" in _cli(project, "terms", "--stopwords", stop, "--pos", "n,v")
    (project / "mine.txt").write_text(top[0] + "\n", encoding="utf-8")
    assert "terms: done" in _cli(project, "terms", "--stopwords", stop, "--pos", "n,v")
    assert top[1] in set(store.read_table(work, "terms/terms").column("term").to_pylist())


def test_a_subset_writes_beside_the_whole_corpus(project: Path) -> None:
    work = project / "work"
    _cli(project, "terms")
    whole = _hashes(work, "terms")
    out = _cli(project, "terms", "--subset", "recent")
    sub = work / "subsets" / "recent"
    assert str(sub / "terms") in out
    assert _hashes(work, "terms") == whole  # the whole corpus's outputs stay as they were
    docs = store.read_table(work, "ingest/documents", columns=["doc_id", "year"])
    recent = set(docs.filter(pc.greater_equal(docs.column("year"), 2022))
                 .column("doc_id").to_pylist())
    assert 0 < len(recent) < docs.num_rows
    sub_ids = set(store.read_table(sub, "terms/keywords").column("doc_id").to_pylist())
    all_ids = set(store.read_table(work, "terms/keywords").column("doc_id").to_pylist())
    assert sub_ids <= recent and all_ids - recent
    manifest = json.loads((sub / "terms" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["params"]["where"] == "year >= 2022"
    assert not (sub / "ingest").exists() and not (sub / "segment").exists()  # read, not copied
    # status, show and report work on the subset
    status = _cli(project, "status", "--subset", "recent")
    assert "terms    fresh" in status and "ingest   fresh" in status
    assert "doc_id" in _cli(project, "show", "keywords", "--subset", "recent")
    assert "ingest/documents" in _cli(project, "show", "--subset", "recent")
    _cli(project, "report", "--subset", "recent")
    page = (sub / "report" / "report.html").read_text(encoding="utf-8")
    assert (f"the analysis covers {len(recent)} of {docs.num_rows} documents: "
            "year &gt;= 2022") in page
    # a changed filter makes the subset's stage stale, not the whole corpus's
    config = project / "wenmai.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "year >= 2022", "year >= 2023"), encoding="utf-8")
    status = _cli(project, "status", "--subset", "recent")
    assert "parameter where changed ('year >= 2022' -> 'year >= 2023')" in status
    assert "terms    fresh" in _cli(project, "status")


def test_subset_and_stage_filters_join_by_and(project: Path) -> None:
    _cli(project, "terms", "--subset", "recent", "--where", "lang = 'zh'")
    manifest = json.loads((project / "work" / "subsets" / "recent" / "terms" / "manifest.json")
                          .read_text(encoding="utf-8"))
    assert manifest["params"]["where"] == "(year >= 2022) and (lang = 'zh')"


@pytest.mark.parametrize(("args", "message"), [
    (("terms", "--where", "year >> 2013"), "expected a value"),
    (("topics", "--where", "yaer >= 2013"), "'yaer' is not a column of ingest/documents"),
    (("network", "--where", "year >= '2013'"), "a column and a value do not match"),
    (("code", "--where", "year >= 2013 and"), "expected a column name"),
    (("terms", "--subset", "nope"), "--subset 'nope' is not defined under [subsets]"),
    (("run", "--subset", "nope"), "--subset 'nope' is not defined under [subsets]"),
])
def test_a_bad_filter_is_one_line_and_exit_2(segmented: Path, args, message) -> None:
    result = CliRunner().invoke(wenmai, ["--config", str(segmented / "wenmai.toml"),
                                         "--workdir", str(segmented / "work"), *args])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("body", "error", "message"), [
    ('[subsets]\n"../up" = "year >= 2013"\n', "ConfigError", "must be letters, digits"),
    ("[subsets]\nrecent = 2013\n", "ConfigError", "must be a where expression in quotes"),
    ('[subsets]\nrecent = "year >="\n', "BadParams", r"\[subsets\] recent: where 'year >='"),
])
def test_subsets_table_is_checked_when_loaded(tmp_path: Path, body, error, message) -> None:
    from pipelines.core import errors
    from pipelines.core.config import load_config
    from pipelines.stages import STAGES

    path = tmp_path / "wenmai.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(getattr(errors, error), match=message):
        load_config(path, STAGES)
    path.write_text('[subsets]\nsince_2013 = "year >= 2013"\n"西部" = "region = \'西部\'"\n',
                    encoding="utf-8")
    assert load_config(path, STAGES).subsets == {"since_2013": "year >= 2013",
                                                 "西部": "region = '西部'"}
