"""The code figures (skipped without code tables) and the report's coding section."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import code
from pipelines.core import store
from pipelines.figures import code as code_figures
from pipelines.report import render_report
from tests.code.helpers import book_text, tables


@pytest.fixture
def outputs(tmp_path: Path) -> dict:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训"), ("政府", "政府")), encoding="utf-8")
    return code.compute(tables(), code.Params(codebook=str(book), orders=10, reserve=1))


def _code_tables(out: dict) -> dict:
    return {name: out[name.split("/")[1]] for name in code_figures.INPUTS}


def test_figures_and_csv(outputs: dict) -> None:
    from pipelines.figures.stage import figure_style

    with figure_style():
        figs = code_figures.draw(_code_tables(outputs), None)
    assert list(figs) == ["code_frequency", "code_year", "code_saturation"]
    csv = code_figures.data(_code_tables(outputs))
    assert csv["code_year.csv"].splitlines()[0] == "name,2020,2021"
    assert csv["code_frequency.csv"].splitlines()[1].startswith("G,C,培训,2,1,")


def test_figures_skip_without_code_tables() -> None:
    empty = code.compute(tables(), code.Params())
    assert code_figures.draw(_code_tables(empty), None) == {}
    assert code_figures.data(_code_tables(empty)) == {}
    assert code_figures.data({}) == {}  # callers without the code tables at all


def test_report_has_a_coding_section(outputs: dict, workdir: Path) -> None:
    assert "<h2>Coding</h2>" not in render_report(workdir)
    store.write_outputs(workdir, "code", {k: v for k, v in outputs.items()
                                          if k in code.OUTPUTS}, code.SCHEMAS)
    page = render_report(workdir)
    assert "<h2>Coding</h2>" in page and "Saturation: the last new code appeared" in page


def test_the_reports_saturation_sentence_counts_the_table(outputs: dict, workdir: Path) -> None:
    store.write_outputs(workdir, "code", {k: v for k, v in outputs.items()
                                          if k in code.OUTPUTS}, code.SCHEMAS)
    rows = [r for r in outputs["code_saturation"].to_pylist() if r["level"] == "code"]
    main = [r for r in rows if r["random_median"] is not None]
    last = max((r["cases"] for r in main if r["new"]), default=0)
    assert main
    held = len(rows) - len(main)
    expected = (f"Saturation: the last new code appeared at case {last} of the {len(main)} "
                f"{'main ' if held else ''}cases (corpus order)")
    assert expected in render_report(workdir)
