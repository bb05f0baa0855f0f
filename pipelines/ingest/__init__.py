"""The ingest stage: raw files → ingest/documents, rejected, duplicates.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.ingest.stage import (
    BOILERPLATE_SCHEMA,
    DOCUMENTS_SCHEMA,
    DUPLICATES_SCHEMA,
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    REJECTED_SCHEMA,
    SCHEMAS,
    Params,
    compute,
    external_inputs,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "LIBRARIES",
    "SCHEMAS",
    "Params",
    "compute",
    "external_inputs",
    "DOCUMENTS_SCHEMA",
    "BOILERPLATE_SCHEMA",
    "REJECTED_SCHEMA",
    "DUPLICATES_SCHEMA",
]
