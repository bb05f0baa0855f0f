"""`show` fits the terminal and `kwic` keeps its keyword column aligned (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core.textwidth import cut, fit_columns, pad, width
from pipelines.export import _as_text, _frame
from tests.conftest import SAMPLE


def test_widths_count_cjk_twice() -> None:
    assert width("教育policy") == 10
    assert cut("职业教育发展", 7) == "职业教…" and width(cut("职业教育发展", 7)) <= 7
    assert pad("教育", 6, ">") == "  教育"
    assert fit_columns([10, 30, 6], 40) == [10, 20, 6]
    assert fit_columns([10, 30, 6, 20], 20)[-1] == 0  # left out, not squeezed unreadable


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_a_wide_table_fits_the_terminal(columns: int) -> None:
    table = pa.table({
        "doc_id": [f"doc{i:03d}" for i in range(5)],
        "title": ["国务院关于加快发展现代职业教育的决定" * 2] * 5,
        "text": ["职业教育是国民教育体系和人力资源开发的重要组成部分。" * 5] * 5,
        "year": [2014, 2015, None, 2017, 2018],
        "share": [0.123456, 0.5, 0.25, 1.0, 0.0],
    })
    text = _as_text(_frame(table), table, 5, columns)
    lines = text.splitlines()
    assert all(width(line) <= columns for line in lines), [width(x) for x in lines]
    assert "…" in text
    # each column starts at the same terminal column on every row (header included)
    header, first = lines[0], lines[1]
    assert width(header[:header.index("title")]) == width(first[:first.index("国务院")])
    assert text == _as_text(_frame(table), table, 5, columns)  # stable


def test_kwic_keyword_column_aligned(tmp_path: Path) -> None:
    work = str(tmp_path / "w")
    runner = CliRunner()
    for args in (["ingest", str(SAMPLE / "docs")], ["segment"]):
        assert runner.invoke(wenmai, ["--workdir", work, *args]).exit_code == 0
    out = runner.invoke(wenmai, ["--workdir", work, "kwic", "教育", "-n", "20"])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.stdout.splitlines() if "【" in line]
    assert len(lines) > 3
    starts = {width(line[:line.index("【")]) for line in lines}
    assert len(starts) == 1, starts
