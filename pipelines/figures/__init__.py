"""The figures stage: terms, topics and network tables → PNG/SVG figures.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.figures.stage import (
    FIGURES,
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    SCHEMAS,
    Params,
    choose_model,
    compute,
    draw,
    figure_style,
    save_figure,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "LIBRARIES",
    "SCHEMAS",
    "FIGURES",
    "Params",
    "compute",
    "draw",
    "choose_model",
    "save_figure",
    "figure_style",
]
