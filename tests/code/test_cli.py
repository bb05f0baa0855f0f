"""`wenmai code` from the command line."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from cli import wenmai
from pipelines.core import store
from tests.code.helpers import book_text, tables


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    for name, table in tables().items():
        path = store.table_path(work, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    return work


def test_code_command_writes_tables(tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训")), encoding="utf-8")
    result = CliRunner().invoke(wenmai, ["--workdir", str(work), "code", "--codebook",
                                         str(book), "--unit", "paragraph", "--orders", "5"])
    assert result.exit_code == 0, result.output
    assert "codings/  2 rows in 1 part" in result.output
    assert (work / "code" / "project.qdpx").is_file()
    show = CliRunner().invoke(wenmai, ["--workdir", str(work), "show", "codings"])
    assert show.exit_code == 0 and "学校开展教师培训。" in show.output


def test_code_without_codebook_writes_empty_tables_and_says_so(tmp_path: Path) -> None:
    """Stage by stage without coding: `wenmai code` must not block `wenmai figures`."""
    work = _workdir(tmp_path)
    result = CliRunner().invoke(wenmai, ["--workdir", str(work), "code"])
    assert result.exit_code == 0, result.output
    assert "no codebook; the code tables are empty" in result.output
    assert "codings/  0 rows in 1 part" in result.output


def test_bad_codebook_exits_1_with_file_and_line(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训 and (")), encoding="utf-8")
    result = CliRunner().invoke(wenmai, ["--workdir", str(_workdir(tmp_path)), "code",
                                         "--codebook", str(book)])
    assert result.exit_code == 1
    assert f"Error: code: {book}:8: rule of code '培训'" in result.output
    assert "Traceback" not in result.output
