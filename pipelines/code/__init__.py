"""The code stage: segment/tokens + ingest/documents → codings, code tables, REFI-QDA files.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.code.stage import (
    CODINGS_SCHEMA,
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    SCHEMAS,
    STREAMED,
    Params,
    compute,
    external_inputs,
)

__all__ = ["NAME", "INPUTS", "STREAMED", "OUTPUTS", "LIBRARIES", "SCHEMAS", "CODINGS_SCHEMA",
           "Params", "compute", "external_inputs"]
