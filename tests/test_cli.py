"""The Click layer: help on every command, exit codes, errors as one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from tests.conftest import SAMPLE

COMMANDS = ["init", "ingest", "segment", "terms", "topics", "network", "figures", "report", "run",
            "status", "show", "kwic"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_group_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(wenmai, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(wenmai, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert "wenmai" in result.output


def test_stage_options_are_generated_from_params(runner: CliRunner) -> None:
    result = runner.invoke(wenmai, ["topics", "--help"])
    assert "--k" in result.output and "--seed" in result.output and "--force" in result.output


def test_missing_input_exits_1_with_one_error_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(wenmai, ["--workdir", str(tmp_path / "w"), "segment"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "run `wenmai ingest` first" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_option_value_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(wenmai, ["--workdir", str(tmp_path), "network", "--window", "page"])
    assert result.exit_code == 2
    assert "'page' is not one of" in result.stderr


def test_bad_config_value_exits_2_naming_key(runner: CliRunner, tmp_path: Path) -> None:
    cfg = tmp_path / "wenmai.toml"
    cfg.write_text('[network]\nwindow = "page"\n', encoding="utf-8")
    result = runner.invoke(wenmai, ["--config", str(cfg), "--workdir", str(tmp_path), "status"])
    assert result.exit_code == 2
    assert "window='page' is not allowed; choose from" in result.stderr


def test_ingest_nothing_usable_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(wenmai, ["--workdir", str(tmp_path / "w"), "ingest", str(empty)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: ingest: no usable document")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w" / "ingest" / "documents.parquet").exists()
    assert not (tmp_path / "w" / "ingest" / "documents").exists()


def test_init_writes_a_config_that_loads(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(wenmai, ["init", str(tmp_path / "proj")])
    assert result.exit_code == 0, result.output
    cfg = tmp_path / "proj" / "wenmai.toml"
    text = cfg.read_text(encoding="utf-8")
    assert "[topics]" in text and "# k = " in text
    result = runner.invoke(wenmai, ["--config", str(cfg), "--workdir", str(tmp_path / "w"),
                                    "status"])
    assert result.exit_code == 0, result.output
    assert "ingest   missing" in result.output
    again = runner.invoke(wenmai, ["init", str(tmp_path / "proj")])
    assert again.exit_code == 2 and "use --force" in again.stderr


def test_ingest_then_show_formats(runner: CliRunner, tmp_path: Path) -> None:
    work = str(tmp_path / "w")
    result = runner.invoke(wenmai, ["--workdir", work, "ingest", str(SAMPLE / "docs")])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"ingest/documents/  13 rows in 1 part$", result.output, re.M)
    shown = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--columns",
                                   "title,year,lang", "-n", "3"])
    assert shown.exit_code == 0 and "[3 of 13 rows shown; 3 columns]" in shown.output
    csv = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "-n", "0",
                                 "--format", "csv", "--columns", "doc_id,lang"])
    assert csv.output.splitlines()[0] == "doc_id,lang"
    whole = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--format", "csv",
                                   "--columns", "doc_id"])  # an export has every row
    assert len(whole.stdout.splitlines()) == 1 + 13
    head = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--columns", "doc_id"])
    assert "[10 of 13 rows shown; 1 column]" in head.stdout
    years = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--format", "csv",
                                   "--columns", "year"]).stdout.split()
    assert "2024" in years and not any(y.endswith(".0") for y in years)
    as_json = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--format",
                                     "json", "--columns", "doc_id,year"]).stdout
    rows = json.loads(as_json)
    assert len(rows) == 13 and set(rows[0]) == {"doc_id", "year"}
    lines = runner.invoke(wenmai, ["--workdir", work, "show", "documents", "--format",
                                   "jsonl", "--columns", "doc_id"]).stdout.splitlines()
    assert len(lines) == 13 and all(set(json.loads(x)) == {"doc_id"} for x in lines)
    xlsx = tmp_path / "docs.xlsx"
    out = runner.invoke(wenmai, ["--workdir", work, "show", "ingest/documents", "--format",
                                 "xlsx", "-o", str(xlsx)])
    assert out.exit_code == 0 and xlsx.stat().st_size > 0
    bad = runner.invoke(wenmai, ["--workdir", work, "show", "nosuch"])
    assert bad.exit_code == 2 and "no table named 'nosuch'" in bad.stderr


def test_no_unbounded_range_in_help_and_negative_seeds_rejected(runner: CliRunner) -> None:
    for command in COMMANDS:
        result = runner.invoke(wenmai, [command, "--help"])
        assert "None]" not in result.output, command
    bad = runner.invoke(wenmai, ["network", "--seed", "-1"])
    assert bad.exit_code == 2 and "-1 is not in the range x>=0" in bad.stderr
