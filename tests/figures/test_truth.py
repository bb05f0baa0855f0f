"""Figures that tell the truth about their data (issue 24): shares inside [0, 1], years
without documents marked, documents without a year shown and counted, whole years on axes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import code
from pipelines.figures import code as code_figures
from pipelines.figures.stage import figure_style
from pipelines.figures.topic_figs import topic_effects
from tests.code.helpers import DOCS, book_text, tables


def _effects_with_gap() -> pa.Table:
    from pipelines.topics import SCHEMAS

    rows = []
    for y in range(2000, 2011):
        docs = 0 if 2004 <= y <= 2007 else 2
        for t in range(2):
            share = 0.9 if t == 0 else 0.1
            rows.append({"method": "lda", "k": 2, "covariate": "year", "value": str(y),
                         "x": float(y), "topic": t, "share": share, "lower": share - 0.08,
                         "upper": min(1.0, share + 0.08), "n_docs": docs,
                         "label": f"Topic {t}"})
    return pa.Table.from_pylist(rows, SCHEMAS["topic_effects"])


def test_topic_effects_marks_years_without_documents_and_stays_below_one() -> None:
    with figure_style():
        fig = topic_effects(_effects_with_gap(), None, method="lda", k=2)
        fig.canvas.draw()
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0.8667,) * 3,
                                                                           abs=1e-3)]
    assert len(spans) == 1
    x0 = spans[0].get_x()
    assert (x0, x0 + spans[0].get_width()) == pytest.approx((2003.5, 2007.5))
    assert ax.get_ylim()[1] <= 1.0
    assert "4 of 11 years without documents" in fig._suptitle.get_text()
    ticks = [float(t) for t in ax.get_xticks()]
    assert all(t == int(t) for t in ticks)  # whole years, never 2017.5
    solid = ax.lines[1].get_ydata()  # the data line is broken over the gap
    assert all(v != v for v in solid[4:8]) and all(v == v for v in solid[:4])


@pytest.fixture
def undated(tmp_path: Path) -> dict:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训"), ("政府", "政府")), encoding="utf-8")
    t = tables(years={d: None for d in DOCS} | {"d2": 2021})
    out = code.compute(t, code.Params(codebook=str(book), orders=10, reserve=1,
                                      by=("year", "source")))
    return {name: out[name.split("/")[1]] for name in code_figures.INPUTS}


def test_code_year_shows_undated_units_as_a_column(undated: dict) -> None:
    csv = code_figures.data(undated)
    header = csv["code_year.csv"].splitlines()[0]
    assert header == "name,2021,no year"
    with figure_style():
        figs = code_figures.draw(undated)
    assert "code_by_source" in figs  # every grouping column of the code stage gets its heatmap
    title = figs["code_year"].axes[0].get_title()
    rows = [line.split(",") for line in csv["code_year.csv"].splitlines()[1:]]
    undated_units = sum(int(float(r[2] or 0)) for r in rows)
    assert undated_units > 0
    assert f"{undated_units} coded units without a year" in title


def _selection(ks: tuple[int, ...]) -> pa.Table:
    from pipelines.topics import SCHEMAS

    schema = SCHEMAS["model_selection"]
    rows = []
    for k in ks:
        for seed in (1, 2):
            row = {f.name: None for f in schema}
            row.update(method="lda", k=k, seed=seed, coherence_cv=0.4 + 0.01 * k + 0.001 * seed,
                       coherence_npmi=0.05 * k, coherence_umass=-1.0 - 0.1 * k,
                       perplexity=900.0 - k, topic_diversity=0.8, stability=0.7,
                       griffiths2004=-1e5 + k, caojuan2009=0.1 * k, arun2010=1.0 / k,
                       deveaud2014=0.5 * k, recommended=(k == ks[0]))
            rows.append(row)
    return pa.Table.from_pylist(rows, schema)


def test_model_selection_csv_holds_every_series_drawn() -> None:
    import csv
    import io

    from pipelines.figures.data import figure_data
    from pipelines.figures.stage import Params

    table = _selection((2, 3, 4))
    text = figure_data("model_selection", {"topics/model_selection": table}, Params(), None)
    header = next(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    for column in ("coherence_cv", "coherence_npmi", "coherence_umass", "perplexity",
                   "topic_diversity", "stability", "arun2010", "caojuan2009", "griffiths2004",
                   "deveaud2014"):
        assert column in header, column


def test_one_fixed_k_says_there_is_nothing_to_choose() -> None:
    from pipelines.figures.topic_figs import model_selection

    with figure_style():
        fig = model_selection(_selection((8,)))
    assert "nothing to choose" in fig._suptitle.get_text()
    assert "best k" not in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
