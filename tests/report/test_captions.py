"""Every figure in the report has a caption saying what it shows and how (issue 24)."""

from __future__ import annotations

from pipelines.figures import code as code_figures
from pipelines.figures.stage import FIGURES
from pipelines.report.sections import caption


def test_every_figure_has_a_real_caption() -> None:
    for name in (*FIGURES, *code_figures.FIGURES, "code_by_province"):
        text = caption(name)
        assert text != name and len(text) > 60, name
        assert "(" in text and "/" in text, name  # names the table it draws


def test_code_by_any_column_is_captioned_with_its_column() -> None:
    assert "without a province value" in caption("code_by_province")


def test_no_clear_k_shows_the_closest_model_labelled_as_such(tmp_path) -> None:  # noqa: ANN001
    import pyarrow as pa

    from pipelines.report import render
    from pipelines.report.work import Work
    from tests.report.test_sections import _workdir, _write

    work = _workdir(tmp_path)
    _write(work, "topics/model_selection", pa.table({
        "method": ["lda", "lda"], "k": pa.array([2, 3], pa.int32()), "seed": [42, 42],
        "coherence_cv": [0.5, 0.6], "recommended": [False, False]}))
    _write(work, "topics/recommendation", pa.table({
        "method": ["lda"], "k": pa.array([None], pa.int32()), "reason": ["no clear k"],
        "closest_k": pa.array([3], pa.int32())}))
    _write(work, "topics/representative_docs", pa.table({
        "method": ["lda"], "k": pa.array([3], pa.int32()), "topic": pa.array([0], pa.int32()),
        "rank": pa.array([1], pa.int32()), "doc_id": ["b"], "para_id": pa.array([2], pa.int32()),
        "title": ["扶贫"], "weight": [0.9]}))
    page = render(Work(work))
    assert "Topics of LDA k=3 — the closest model, not a recommendation" in page
    assert "扶贫 ¶3 (0.90)" in page  # a paragraph, not just its document's title


def test_a_language_split_is_warned_in_the_report(tmp_path) -> None:  # noqa: ANN001
    import pyarrow as pa

    from pipelines.report import render
    from pipelines.report.work import Work
    from tests.report.test_sections import _workdir, _write

    work = _workdir(tmp_path)
    _write(work, "topics/model_selection", pa.table({
        "method": ["lda"], "k": pa.array([2], pa.int32()), "seed": [42],
        "coherence_cv": [0.5], "recommended": [True]}))
    split = "the topics split by language: topic(s) 0 are Chinese-only and 1 English-only"
    _write(work, "topics/recommendation", pa.table({
        "method": ["lda"], "k": pa.array([2], pa.int32()), "reason": ["best coherence"],
        "language_split": [split]}))
    page = render(Work(work))
    assert "<b>Warning (LDA):</b> " + split in page
    _write(work, "topics/recommendation", pa.table({
        "method": ["lda"], "k": pa.array([2], pa.int32()), "reason": ["best coherence"],
        "language_split": pa.array([None], pa.string())}))
    assert "Warning (LDA)" not in render(Work(work))
