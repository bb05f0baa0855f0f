"""At --size single and double, no text below 6 pt and none outside the canvas (issue 24).

Every figure is drawn from the test tables, resized as the stage resizes it, rendered, and
each visible text's box is measured against the canvas; font sizes are points on paper.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.figures.plots import target_width
from pipelines.figures.stage import LAYOUT_FIGURES, SIZES, Params, figure_style, fit_width, plan
from tests.figures.test_stage import _tables

MIN_PT = 6.0


def _texts(fig):  # noqa: ANN001, ANN202
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.axes.get_visible())]


@pytest.mark.parametrize("size", ["single", "double"])
def test_no_small_or_clipped_text(size: str) -> None:
    problems = []
    with figure_style():
        for name, build in plan(_tables(), Params(size=size)):
            with target_width(SIZES[size]):
                fig = build()
            fit_width(fig, SIZES[size], scale_text=name in LAYOUT_FIGURES)
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            renderer = canvas.get_renderer()
            width, height = fig.bbox.width, fig.bbox.height
            for text in _texts(fig):
                box = text.get_window_extent(renderer)
                outside = box.x1 < 0 or box.y1 < 0 or box.x0 > width or box.y0 > height
                if not outside and text.get_fontsize() < MIN_PT - 1e-6:  # drawn, too small
                    problems.append(f"{name}: {text.get_text()[:20]!r} at "
                                    f"{text.get_fontsize():.1f} pt")
            # clipped: something drawn on the outermost pixels of the canvas
            pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
            edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
            if (np.abs(edge - 255).sum(axis=1) > 60).any():
                problems.append(f"{name}: drawn up to the edge of the canvas (clipped)")
    assert not problems, "\n".join(problems)
