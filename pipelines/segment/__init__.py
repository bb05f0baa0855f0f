"""The segment stage: ingest/documents → segment/tokens, report.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.segment.stage import (
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    REPORT_SCHEMA,
    SCHEMAS,
    STREAMED,
    TOKENS_SCHEMA,
    Params,
    compute,
    external_inputs,
    partitions,
    prepare,
    segment_documents,
    segment_stream,
    settings_from_params,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "LIBRARIES",
    "SCHEMAS",
    "TOKENS_SCHEMA",
    "REPORT_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "prepare",
    "settings_from_params",
    "STREAMED",
    "segment_documents",
    "segment_stream",
    "partitions",
]
