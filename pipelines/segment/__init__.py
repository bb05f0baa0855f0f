"""The segment stage: ingest/documents → segment/tokens, report.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.segment.stage import (
    INPUTS,
    NAME,
    OUTPUTS,
    REPORT_SCHEMA,
    SCHEMAS,
    TOKENS_SCHEMA,
    Params,
    compute,
    external_inputs,
    partition_by_size,
    prepare,
    segment_documents,
    settings_from_params,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "SCHEMAS",
    "TOKENS_SCHEMA",
    "REPORT_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "prepare",
    "settings_from_params",
    "segment_documents",
    "partition_by_size",
]
