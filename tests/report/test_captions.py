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
