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
