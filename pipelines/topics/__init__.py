"""The topics stage: segment/tokens → model selection and topic tables.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.topics.stage import (
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    RELABEL,
    SCHEMAS,
    STREAMED,
    Params,
    compute,
    external_inputs,
    parse_k,
    relabel,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "LIBRARIES",
    "SCHEMAS",
    "Params",
    "parse_k",
    "compute",
    "external_inputs",
    "RELABEL",
    "STREAMED",
    "relabel",
]
