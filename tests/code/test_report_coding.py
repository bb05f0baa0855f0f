"""The report's coding section: codebook, examples, warnings, audit and crosstab parts."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from pipelines import code
from pipelines.code.audit import SHEET_COLUMNS
from pipelines.core import store
from pipelines.report import render_report
from tests.code.helpers import book_text, tables


def _write(workdir: Path, out: dict) -> None:
    store.write_outputs(workdir, "code", {k: v for k, v in out.items() if k in code.OUTPUTS},
                        code.SCHEMAS)


def test_codebook_examples_and_warnings(tmp_path: Path, workdir: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训"), ("政府", "政府"), ("无", "扶贫 and 脱贫")),
                    encoding="utf-8")
    t = tables()
    # the counting filters dropped 政府 from the tokens: the words still hold it
    rows = t["segment/tokens"].to_pylist()
    for r in rows:
        r["tokens"] = [w for w in r["tokens"] if w != "政府"]
    t["segment/tokens"] = type(t["segment/tokens"]).from_pylist(rows)
    out = code.compute(t, code.Params(codebook=str(book), orders=0))
    assert out["code_rules"].to_pylist()[1]["filtered_words"] == ["政府"]
    examples = out["code_examples"].to_pylist()
    assert [e["code"] for e in examples] == ["培训", "培训", "政府"]
    _write(workdir, out)
    page = render_report(workdir)
    assert "<h3>Codebook</h3>" in page and "<code>扶贫 and 脱贫</code>" in page
    assert "1 code(s) never fire: 无" in page
    assert "fire in more than a third of the units: 培训 (40%)" in page
    assert "counting filters (stopword lists, short words, POS) drop: 政府 (政府)" in page
    assert "<mark>培训</mark>" in page and "<mark>政府</mark>加大经费投入。" in page
    assert "No audit read back yet" in page


def test_audit_tables_in_the_report(tmp_path: Path, workdir: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训"), ("政府", "政府")), encoding="utf-8")
    out = code.compute(tables(), code.Params(codebook=str(book), orders=0, audit=5))
    wb = load_workbook(io.BytesIO(out["audit_sheet.xlsx"]))
    ws = wb["audit"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, SHEET_COLUMNS.index("judgement") + 1).value = "yes"
    wb.save(tmp_path / "filled.xlsx")
    res = code.compute(tables(), code.Params(codebook=str(book), orders=0,
                                             audit_results=str(tmp_path / "filled.xlsx")))
    _write(workdir, res)
    page = render_report(workdir)
    assert "<h3>Audited precision (partly = half; Wilson 95 % interval)</h3>" in page
    assert "<h3>Estimated recall" in page
