"""After `wenmai ingest FOLDER` without a wenmai.toml, `run` and `status` use its inputs."""

from __future__ import annotations

from click.testing import CliRunner

from cli import wenmai
from tests.ingest.helpers import write


def test_status_and_run_use_the_inputs_of_the_last_ingest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for i in range(3):
        write(tmp_path, f"docs/d{i}.txt", f"第{i}份文件：职业教育促进乡村振兴，编号{i * 13}。")
    runner = CliRunner()
    result = runner.invoke(wenmai, ["ingest", "docs", "--min-chars", "5"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(wenmai, ["status"])
    assert status.exit_code == 0, status.output
    assert "no input files" not in status.output
    ingest_line = next(line for line in status.output.splitlines() if line.startswith("ingest "))
    assert "fresh" in ingest_line  # the recorded options too: --min-chars 5 is kept
    run = runner.invoke(wenmai, ["run", "--until", "ingest"])
    assert run.exit_code == 0, run.output
    assert "fresh" in run.output
    write(tmp_path, "docs/d9.txt", "新加入的一份文件：乡村教师队伍建设。")
    status = runner.invoke(wenmai, ["status"])
    assert "stale" in next(line for line in status.output.splitlines()
                           if line.startswith("ingest "))


def test_recorded_inputs_outside_the_project_are_not_used(tmp_path, monkeypatch):
    import json

    project = tmp_path / "project"
    write(tmp_path, "private/secret.txt", "不应被读取的私人文件内容。")
    write(project, "docs/a.txt", "第一份文件：职业教育促进乡村振兴。")
    monkeypatch.chdir(project)
    runner = CliRunner()
    assert runner.invoke(wenmai, ["ingest", "docs", "--min-chars", "5"]).exit_code == 0
    manifest = project / "work" / "ingest" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["params"]["inputs"] = [str(tmp_path / "private")]  # a work folder from someone else
    manifest.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(wenmai, ["run", "--until", "ingest", "--force"])
    assert result.exit_code != 0
    assert "no input files" in result.output
    from pipelines.core import store

    documents = store.read_table(project / "work", "ingest/documents").to_pylist()
    assert [d["source"] for d in documents] == ["a.txt"]


def test_recorded_inputs_inside_wenmais_data_are_found_again(tmp_path, monkeypatch):
    from pipelines.core.resources import DATA_DIR

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(wenmai, ["ingest", str(DATA_DIR / "sample" / "docs")])
    assert result.exit_code == 0, result.output
    manifest = (tmp_path / "work" / "ingest" / "manifest.json").read_text(encoding="utf-8")
    assert '"wenmai-data:sample/docs"' in manifest  # recorded so a moved install stays fresh
    status = runner.invoke(wenmai, ["status"])
    ingest_line = next(line for line in status.output.splitlines() if line.startswith("ingest "))
    assert "fresh" in ingest_line, status.output
