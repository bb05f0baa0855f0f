"""code_crosstab: chi-square and adjusted standardized residuals against scipy and by hand."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import chi2_contingency

from pipelines import code
from pipelines.code.crosstab import crosstab
from pipelines.code.tables import MATRIX_SCHEMA
from tests.code.helpers import book_text, tables

#: codes x periods, units coded (a row and a column of zeros are left out)
OBSERVED = {"A": [30, 12, 5, 0], "B": [10, 25, 14, 0], "C": [4, 6, 20, 0], "D": [0, 0, 0, 0]}
PERIODS = ["2000s", "2010s", "2020s", "1990s"]


def _matrix() -> pa.Table:
    rows = [{"level": "code", "name": n, "group": "G" if n != "C" else "H", "by": "period",
             "value": v, "units": o, "documents": o, "value_units": 100, "unit_share": 0.0,
             "row_pct": 0.0, "col_pct": 0.0}
            for n, obs in OBSERVED.items() for v, o in zip(PERIODS, obs, strict=True)]
    return pa.Table.from_pylist(rows, schema=MATRIX_SCHEMA)


def test_chi_square_equals_scipy_and_residuals_a_loop() -> None:
    out = crosstab(_matrix()).to_pylist()
    o = np.array([v[:3] for k, v in OBSERVED.items() if k != "D"], dtype=float)
    stat, p, dof, expected = chi2_contingency(o, correction=False)
    assert {r["name"] for r in out} == {"A", "B", "C"}
    assert {r["value"] for r in out} == {"2000s", "2010s", "2020s"}
    assert out[0]["chi2"] == pytest.approx(stat) and out[0]["p_value"] == pytest.approx(p)
    assert out[0]["dof"] == dof == 4
    n = o.sum()
    for r in out:
        i, j = "ABC".index(r["name"]), PERIODS.index(r["value"])
        row, col = o[i].sum(), o[:, j].sum()
        e = row * col / n
        assert r["expected"] == pytest.approx(expected[i, j])
        want = (o[i, j] - e) / math.sqrt(e * (1 - row / n) * (1 - col / n))
        assert r["residual"] == pytest.approx(want)
        assert r["significant"] == (abs(want) > 1.96)
    # by hand: A in the 2000s, O=30, E=47*44/126=16.413, (1-47/126)(1-44/126)=0.40805,
    # r=(30-16.413)/sqrt(16.413*0.40805)=13.587/2.5879=+5.25
    a = next(r for r in out if (r["name"], r["value"]) == ("A", "2000s"))
    assert round(a["expected"], 3) == 16.413 and round(a["residual"], 2) == 5.25


def test_a_block_with_one_coded_value_is_left_out() -> None:
    rows = [r for r in _matrix().to_pylist() if r["value"] == "2000s"]
    assert crosstab(pa.Table.from_pylist(rows, schema=MATRIX_SCHEMA)).num_rows == 0


def test_stage_writes_the_crosstab(tmp_path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(book_text(("培训", "培训 or training"), ("政府", "政府")), encoding="utf-8")
    out = code.compute(tables(), code.Params(codebook=str(path), orders=0))
    got = out["code_crosstab"].to_pylist()
    assert {(r["level"], r["by"]) for r in got} >= {("code", "year")}


def test_residual_heatmap_marks_the_significant_cells() -> None:
    from pipelines.code.precision import PRECISION_SCHEMA
    from pipelines.figures import code_checks
    from pipelines.figures.stage import figure_style

    cross = crosstab(_matrix())
    tables_ = {"code/code_crosstab": cross, "code/audit_precision": PRECISION_SCHEMA.empty_table()}
    jobs = code_checks.plan(tables_)
    assert [name for name, _ in jobs] == ["code_residuals_period"]
    with figure_style():
        fig = jobs[0][1]()
    texts = [t.get_text() for t in fig.axes[0].texts]
    marked = sum(r["significant"] for r in cross.to_pylist())
    assert len(texts) == 9 and sum(t.endswith("*") for t in texts) == marked > 0
    assert code_checks.data(tables_)["code_residuals_period.csv"].startswith("level,name")
