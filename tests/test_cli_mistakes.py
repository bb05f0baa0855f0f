"""The same mistake gets the same one-line message and exit code in every command (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work folder with the sample's five documents ingested and segmented."""
    work = tmp_path_factory.mktemp("mistakes") / "work"
    runner = CliRunner()
    for args in (["ingest", str(SAMPLE / "docs")], ["segment"]):
        done = runner.invoke(wenmai, ["--workdir", str(work), *args])
        assert done.exit_code == 0, done.output
    return work


def _error(work: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(wenmai, ["--workdir", str(work), *args])
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return result.exit_code, lines[0]


def test_a_bad_grouping_column_is_one_message_everywhere(segmented: Path) -> None:
    from pipelines.core import store

    schema = store.open_table(segmented, "ingest/documents").schema
    columns = [c for c in schema.names if c not in ("doc_id", "text")]
    seen = {}
    for command in ("terms", "topics", "network"):
        seen[command] = _error(segmented, command, "--by", "nosuch")
    seen["code"] = _error(segmented, "code", "--codebook", "builtin:policy_instruments",
                          "--by", "year,nosuch")
    for command, (code, line) in seen.items():
        assert code == 2, (command, line)
        assert line.startswith(f"Error: {command}: --by 'nosuch' is not a column of "
                               "ingest/documents; choose one of: "), line
        assert line.endswith(", ".join(columns)), line  # every column, not some
    assert len({line.split(": ", 2)[2] for _, line in seen.values()}) == 1
    code, line = _error(segmented, "network", "--two-mode", "nosuch")
    assert code == 2 and "--two-mode 'nosuch' is not a column" in line


def test_an_unknown_pos_tag_is_refused_with_the_tags(segmented: Path) -> None:
    code, line = _error(segmented, "segment", "--keep-pos", "n,zz", "--force")
    assert code == 2
    assert "--keep-pos zz: no token has a tag starting with it" in line
    assert " nr " in line and " eng " in line and " v " in line
    # a known prefix still works (n keeps nr, ns, nz ...)
    ok = CliRunner().invoke(wenmai, ["--workdir", str(segmented), "segment", "--keep-pos",
                                     "n,v", "--force"])
    assert ok.exit_code == 0, ok.output


def test_report_into_a_missing_folder_is_one_line(segmented: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "folder" / "r.html"
    code, line = _error(segmented, "report", "-o", str(target))
    assert code == 2
    assert f"the folder {target.parent} does not exist" in line
    assert "FileNotFoundError" not in line
    assert not (segmented / "report").exists()  # refused before any work
