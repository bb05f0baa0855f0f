"""Every CSV wenmai writes keeps a formula-looking cell as text (issue 30): the CSV beside a
figure and the network's node and edge CSVs use the guard of `show`."""

from __future__ import annotations

import csv
import io

import pyarrow as pa

from pipelines.core.cells import defuse
from pipelines.figures.data import to_csv
from pipelines.network.export import csv_text

HOSTILE = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "教育"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_figure_csv_cells_and_headers_stay_text() -> None:
    rows = [{"term": t, "tf": 3} for t in HOSTILE]
    got = _cells(to_csv(rows, ["term", "tf", "=label"]).decode("utf-8"))
    assert got[0] == ["term", "tf", "'=label"]
    assert [r[0] for r in got[1:]] == [defuse(t) for t in HOSTILE]
    assert all(not r[0].startswith(("=", "+", "-", "@", "\t")) for r in got[1:])
    assert [r[1] for r in got[1:]] == ["3"] * len(HOSTILE)  # numbers stay numbers


def test_network_csv_cells_stay_text() -> None:
    table = pa.table({"term": HOSTILE, "freq": [1] * len(HOSTILE),
                      "betweenness": [-0.5] * len(HOSTILE)})
    got = _cells(csv_text(table))
    assert [r[0] for r in got[1:]] == [defuse(t) for t in HOSTILE]
    assert {r[2] for r in got[1:]} == {"-0.5"}  # a negative number is a number
