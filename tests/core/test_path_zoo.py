"""Received projects: one rule for every path value however it is written (issues 22, 30).

Inputs may lie anywhere the user's config or command line names (read only, named by the run);
every other path in a config stays inside the project or wenmai's data; URLs skip no check:
``file://`` and ``local://`` are paths, a folder named ``x:`` is a path, and a network URL is
read only when the user enabled ``remote``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core.config import load_config, outside_project, resolve_params
from pipelines.core.errors import BadParams, ConfigError
from pipelines.stages import STAGES

DOC = "第一份文件：职业教育促进乡村振兴，加强农村学校建设。"


@pytest.fixture()
def received(tmp_path: Path) -> Path:
    """A project folder beside a private folder it must not reach."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "labels.txt").write_text("0\tSECRET-LABEL\n", encoding="utf-8")
    (private / "secret.txt").write_text(DOC, encoding="utf-8")
    project = tmp_path / "proj"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "a.txt").write_text(DOC, encoding="utf-8")
    return project


def _load(project: Path, body: str):
    (project / "wenmai.toml").write_text(body, encoding="utf-8")
    return load_config(project / "wenmai.toml", STAGES)


@pytest.mark.parametrize("value", [
    "file:///{private}/labels.txt",       # an absolute file URL
    "file://../private/labels.txt",       # a relative one
    "local://../private/*.txt",           # fsspec's local protocol, a glob
    "x://../../private/labels.txt",       # a shipped empty folder named x: makes this a path
    "/{private}/labels.txt",
    "FILE:///{private}/labels.txt",
])
def test_a_config_path_outside_the_project_is_refused_however_written(
        received: Path, value: str) -> None:
    (received / "x:").mkdir()
    value = value.format(private=str(received.parent / "private").lstrip("/"))
    with pytest.raises(ConfigError, match=r"topics\] labels: .* lies outside the project"):
        _load(received, f'[topics]\nlabels = "{value}"\n')
    with pytest.raises(ConfigError, match=r"segment\] stopwords: .* lies outside the project"):
        _load(received, f'[segment]\nstopwords = ["{value}"]\n')


@pytest.mark.parametrize("value", ["http://127.0.0.1:9/corpus/", "https://example.org/a.txt",
                                   "s3://bucket/corpus/", "x://host/a.txt"])
def test_network_urls_are_read_only_when_the_user_enables_them(received: Path,
                                                               value: str) -> None:
    with pytest.raises(BadParams, match=r"input .* is a network URL, and reading from the "
                       r"network is off; set `remote = true` in \[ingest\] or pass --remote"):
        _load(received, f'[ingest]\ninputs = ["{value}"]\n')
    config = _load(received, f'[ingest]\ninputs = ["{value}"]\nremote = true\n')
    params = resolve_params(STAGES["ingest"], config, {})
    assert params.inputs == (value,)
    assert outside_project(params, received) == [value]
    with pytest.raises(BadParams, match="is a URL; give a file path"):  # never for other paths
        _load(received, f'[topics]\nlabels = "{value}"\n')


def test_a_file_url_input_is_the_path_it_names(received: Path) -> None:
    private = received.parent / "private"
    config = _load(received, f'[ingest]\ninputs = ["file://{private}", "file://docs"]\n')
    params = resolve_params(STAGES["ingest"], config, {})
    assert params.inputs == (str(private), str(received / "docs"))
    assert outside_project(params, received) == [str(private)]


def test_inputs_anywhere_the_user_names_run_and_are_named(received: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    for i in range(3):
        (corpus / f"d{i}.txt").write_text(f"{DOC}编号{i}。", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(wenmai, ["init", "fresh", "--inputs", str(corpus)])
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(tmp_path / "fresh")
    result = runner.invoke(wenmai, ["run", "--until", "ingest"])
    assert result.exit_code == 0, result.output
    assert f"ingest: 1 input(s) lie outside the project folder {tmp_path / 'fresh'}: " \
           f"{corpus}" in result.output
    manifest = json.loads((tmp_path / "fresh" / "work" / "ingest" / "manifest.json")
                          .read_text(encoding="utf-8"))
    assert manifest["params"]["inputs"] == [str(corpus)]  # as given
    # a symlinked input folder inside the project: read, recorded by its name in the project
    os.symlink(corpus, tmp_path / "fresh" / "linked")
    (tmp_path / "fresh" / "wenmai.toml").write_text('[ingest]\ninputs = ["linked"]\n',
                                                   encoding="utf-8")
    result = runner.invoke(wenmai, ["run", "--until", "ingest"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "fresh" / "work" / "ingest" / "manifest.json")
                          .read_text(encoding="utf-8"))
    assert manifest["params"]["inputs"] == ["linked"]


@pytest.mark.parametrize("folder", [".cache", ".spool"])
def test_a_symlink_leading_out_of_the_work_folder_is_never_written_through(
        received: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str) -> None:
    monkeypatch.chdir(received)
    runner = CliRunner()
    assert runner.invoke(wenmai, ["ingest", "docs", "--min-chars", "5"]).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    work = received / "work"
    if (work / folder).exists():
        import shutil

        shutil.rmtree(work / folder)
    os.symlink(outside, work / folder)
    result = runner.invoke(wenmai, ["ingest", "docs", "--min-chars", "5", "--force"])
    if folder == ".spool":
        assert result.exit_code == 1
        assert f"Error: {work / folder} is a symlink leading out of the work folder" \
               in result.output
    else:  # only a cache: not used, the run goes on
        assert result.exit_code == 0, result.output
        assert "is a symlink leading out of the work folder" in result.output
    assert list(outside.iterdir()) == []
