"""The audit workflow: a seeded sample into a sheet, the sheet filled, precision and recall."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines import code
from pipelines.code.audit import SHEET_COLUMNS
from pipelines.code.precision import wilson
from pipelines.core.errors import BadInputFile
from pipelines.core.sentences import split_sentences
from pipelines.core.store import read_all
from tests.code.helpers import book_text, tables

DOCS_BIG = {f"d{i}": "".join(f"第{j}句讲{'培训' if (i + j) % 3 == 0 else '其他'}。"
                             + ("政府投入。" if (i * j) % 4 == 1 else "")
                             for j in range(6)) for i in range(12)}
TOKENS_BIG = {}
for _doc, _text in DOCS_BIG.items():
    for _s in split_sentences(_text):
        TOKENS_BIG[(_doc, _s.sent_id)] = ["培训"] if "培训" in _s.text else (
            ["政府", "投入"] if "政府" in _s.text else ["其他"])


@pytest.fixture
def book(tmp_path: Path) -> str:
    path = tmp_path / "book.yaml"
    path.write_text(book_text(("培训", "培训"), ("政府", "政府")), encoding="utf-8")
    return str(path)


def _sheet(out: dict) -> list[dict]:
    wb = load_workbook(io.BytesIO(out["audit_sheet.xlsx"]))
    rows = list(wb["audit"].iter_rows(values_only=True))
    assert rows[0] == SHEET_COLUMNS
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_sample_per_code_and_uncoded(book: str) -> None:
    t = tables(DOCS_BIG, TOKENS_BIG)
    out = code.compute(t, code.Params(codebook=book, orders=0, audit=4, seed=7))
    rows = _sheet(out)
    codings = read_all(out["codings"]).to_pylist()
    coded_spans = {(r["doc_id"], r["start"]) for r in codings}
    by_kind = {k: [r for r in rows if r["kind"] == k] for k in ("coded", "uncoded")}
    assert [r["code"] for r in by_kind["coded"]] == ["培训"] * 4 + ["政府"] * 4
    assert len(by_kind["uncoded"]) == 4
    for r in rows:
        assert DOCS_BIG[r["doc_id"]][r["start"]:r["end"]] == r["text"]
    for r in by_kind["coded"]:
        assert (r["doc_id"], r["start"]) in coded_spans and r["matched"] == r["code"]
    for r in by_kind["uncoded"]:
        assert (r["doc_id"], r["start"]) not in coded_spans and "其他" in r["text"]
    assert [r["audit_id"] for r in rows] == list(range(1, 13))
    again = _sheet(code.compute(t, code.Params(codebook=book, orders=0, audit=4, seed=7)))
    other = _sheet(code.compute(t, code.Params(codebook=book, orders=0, audit=4, seed=8)))
    assert again == rows and other != rows


def _closed_wilson(x: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson bounds as the roots of (x/n - p)^2 = z^2 p (1 - p) / n in p."""
    p = x / n
    a = 1 + z * z / n
    b = -(2 * p + z * z / n)
    c = p * p
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def test_wilson_matches_the_quadratic_and_known_values() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662 (Wilson without continuity)
    assert [round(v, 4) for v in wilson(81, 263)] == [0.2553, 0.3662]
    for x, n in ((0, 7), (3, 12), (5.5, 9), (20, 20), (1, 5)):
        assert wilson(x, n) == pytest.approx(_closed_wilson(x, n), abs=1e-12)


def test_filled_sheet_gives_precision_and_recall(book: str, tmp_path: Path) -> None:
    t = tables(DOCS_BIG, TOKENS_BIG)
    out = code.compute(t, code.Params(codebook=book, orders=0, audit=4, seed=7))
    wb = load_workbook(io.BytesIO(out["audit_sheet.xlsx"]))
    ws = wb["audit"]
    col = {name: i + 1 for i, name in enumerate(SHEET_COLUMNS)}
    answers = {"培训": ["yes", "yes", "partly", "no"], "政府": ["yes", "yes", "yes", "yes"]}
    seen = {"培训": 0, "政府": 0}
    uncoded = 0
    for r in range(2, ws.max_row + 1):
        kind, name = ws.cell(r, col["kind"]).value, ws.cell(r, col["code"]).value
        if kind == "coded":
            ws.cell(r, col["judgement"]).value = answers[name][seen[name]].upper()  # any case
            seen[name] += 1
        else:
            if uncoded == 0:
                ws.cell(r, col["missed_codes"]).value = "培训"
            else:
                ws.cell(r, col["judgement"]).value = "no"
            uncoded += 1
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    res = code.compute(t, code.Params(codebook=book, orders=0, audit_results=str(filled)))
    prec = {(r["level"], r["name"]): r for r in res["audit_precision"].to_pylist()}
    p = prec[("code", "培训")]
    assert (p["judged"], p["yes"], p["partly"], p["no"]) == (4, 2, 1, 1)
    assert p["precision"] == 2.5 / 4 and p["precision_strict"] == 2 / 4
    assert (p["low"], p["high"]) == pytest.approx(_closed_wilson(2.5, 4))
    assert (p["strict_low"], p["strict_high"]) == pytest.approx(_closed_wilson(2, 4))
    # hand-checked: 2 of 4 -> 0.1500 to 0.8500 (Wilson 95 %)
    assert (round(p["strict_low"], 4), round(p["strict_high"], 4)) == (0.15, 0.85)
    everything = prec[("all", "all")]
    assert everything["judged"] == 8 and everything["precision"] == 6.5 / 8
    assert (everything["low"], everything["high"]) == pytest.approx(_closed_wilson(6.5, 8))
    freq = {r["name"]: r["units"] for r in out["code_frequencies"].to_pylist()
            if r["level"] == "code"}
    assert p["codings"] == freq["培训"]
    weighted = (freq["培训"] * 2.5 / 4 + freq["政府"] * 1.0) / (freq["培训"] + freq["政府"])
    assert prec[("group", "G")]["weighted"] == pytest.approx(weighted)
    from pipelines.figures import code_checks
    from pipelines.figures.stage import figure_style

    jobs = dict(code_checks.plan({"code/audit_precision": res["audit_precision"],
                                  "code/code_crosstab": res["code_crosstab"]}))
    with figure_style():
        fig = jobs["code_precision"]()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["[G] (n=8)", "政府 (n=4)", "培训 (n=4)"]
    rec = {r["name"]: r for r in res["audit_recall"].to_pylist()}["all"]
    n_units = sum(1 for _ in DOCS_BIG for _ in range(6)) + sum(
        t_.count("政府") for t_ in DOCS_BIG.values())
    uncoded_units = n_units - len({(r["doc_id"], r["start"])
                                   for r in read_all(out["codings"]).to_pylist()})
    true_coded = freq["培训"] * 2.5 / 4 + freq["政府"]
    missed = 1 / 4 * uncoded_units
    assert rec["uncoded_units"] == uncoded_units
    assert rec["recall"] == pytest.approx(true_coded / (true_coded + missed))


def test_bad_judgement_is_one_clear_error(book: str, tmp_path: Path) -> None:
    t = tables()
    out = code.compute(t, code.Params(codebook=book, orders=0, audit=2))
    wb = load_workbook(io.BytesIO(out["audit_sheet.xlsx"]))
    wb["audit"].cell(2, SHEET_COLUMNS.index("judgement") + 1).value = "maybe"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    with pytest.raises(BadInputFile, match=r"row 2: judgement 'maybe' is not one of yes"):
        code.compute(t, code.Params(codebook=book, orders=0, audit_results=str(filled)))
    with pytest.raises(BadInputFile, match="not found"):
        code.compute(t, code.Params(codebook=book, orders=0,
                                    audit_results=str(tmp_path / "none.xlsx")))


def test_the_sheet_is_the_same_file_on_every_run(book: str) -> None:
    import time

    t = tables(DOCS_BIG, TOKENS_BIG)
    first = code.compute(t, code.Params(codebook=book, orders=0, audit=3))["audit_sheet.xlsx"]
    time.sleep(1.1)  # the zip's times have a resolution of 2 s, openpyxl's dates of 1 s
    again = code.compute(t, code.Params(codebook=book, orders=0, audit=3))["audit_sheet.xlsx"]
    assert first == again
