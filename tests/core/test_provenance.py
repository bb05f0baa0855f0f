"""Manifests record the versions of wenmai and of the libraries that computed the tables, and a
fresh stage made by other versions says so (it stays fresh: docs/install.md)."""

from __future__ import annotations

import json
import logging
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines import __version__
from pipelines.core import provenance
from pipelines.core.runner import current_state, run_stage
from pipelines.stages import ORDER
from tests.conftest import ROOT, ToyParams


def _dependency_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("=")[0].split("[")[0].strip()
        names.add(name.lower().replace("_", "-"))
    return names


def test_version_comes_from_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert __version__ == project["version"] == version("wenmai")


def test_every_stage_names_libraries_it_depends_on() -> None:
    required = _dependency_names()
    for stage in ORDER:
        assert set(stage.LIBRARIES) <= required, stage.NAME
    assert {"rjieba", "jieba"} <= set(next(s for s in ORDER if s.NAME == "segment").LIBRARIES)
    topics = next(s for s in ORDER if s.NAME == "topics").LIBRARIES
    assert {"tomotopy", "gensim", "scikit-learn"} <= set(topics)
    assert "igraph" in next(s for s in ORDER if s.NAME == "network").LIBRARIES


def test_manifest_records_the_installed_versions(workdir: Path, toy_stage) -> None:
    toy_stage.LIBRARIES = ("numpy",)
    run_stage(toy_stage, workdir, ToyParams())
    manifest = json.loads((workdir / "toy" / "manifest.json").read_text())
    assert manifest["wenmai_version"] == version("wenmai")
    import platform

    assert manifest["libraries"] == {"numpy": version("numpy"), "pyarrow": version("pyarrow"),
                                     "python": platform.python_version()}


def _fake(workdir: Path, stage: str, library: str, old: str) -> None:
    path = workdir / stage / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["libraries"][library] = old
    path.write_text(json.dumps(manifest))


def test_other_library_version_stays_fresh_and_says_so(workdir: Path, toy_stage,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    toy_stage.LIBRARIES = ("numpy",)
    run_stage(toy_stage, workdir, ToyParams())
    assert current_state(toy_stage, workdir, ToyParams()).notes == []
    _fake(workdir, "toy", "numpy", "1.0.0")
    state = current_state(toy_stage, workdir, ToyParams())
    assert state.state == "fresh"
    assert state.notes == [f"made with other library versions: numpy 1.0.0 (installed: "
                           f"{version('numpy')}); `wenmai toy --force` recomputes it with the "
                           "installed ones"]
    with caplog.at_level(logging.WARNING, logger="wenmai"):
        assert not run_stage(toy_stage, workdir, ToyParams()).ran
    assert "toy: made with other library versions: numpy 1.0.0" in caplog.text
    assert run_stage(toy_stage, workdir, ToyParams(), force=True).ran
    assert current_state(toy_stage, workdir, ToyParams()).notes == []


def test_manifest_without_versions_is_not_silently_fresh(workdir: Path, toy_stage) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    path = workdir / "toy" / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["libraries"]
    path.write_text(json.dumps(manifest))
    state = current_state(toy_stage, workdir, ToyParams())
    assert state.state == "fresh" and state.notes[0].startswith("library versions not recorded")


def test_differences_lists_changed_and_unrecorded() -> None:
    assert provenance.differences({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == [
        "b 2 (installed: 3)", "c not recorded (installed: 4)"]
    assert provenance.installed_version("no-such-distribution-xyz") == "not installed"


def test_status_names_the_changed_library(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the project folder: the inputs recorded are inside it
    Path("docs").mkdir()
    Path("docs/a.txt").write_text("职业教育是国家教育体系的重要组成部分，也是培养技术技能人才"
                                  "的主要途径。\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(wenmai, ["ingest", "docs"]).exit_code == 0
    _fake(tmp_path / "work", "ingest", "pypdf", "3.0.0")
    result = runner.invoke(wenmai, ["status"])
    assert "ingest   fresh\n         ! made with other library versions: pypdf 3.0.0 " \
           f"(installed: {version('pypdf')})" in result.output
    # what must rerun: segment (never run) and after it, not ingest
    assert runner.invoke(wenmai, ["status", "--stale"]).stdout.split()[0] == "segment"
