"""The network stage: segment/tokens (and ingest/documents) → co-occurrence nodes, edges,
summary, slices, bursts, two-mode edges and exports.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.network.stage import (
    BURSTS_SCHEMA,
    EDGES_SCHEMA,
    INPUTS,
    LIBRARIES,
    NAME,
    NODES_SCHEMA,
    OUTPUTS,
    SCHEMAS,
    SLICE_EDGES_SCHEMA,
    SLICES_SCHEMA,
    STREAMED,
    SUMMARY_SCHEMA,
    TWO_MODE_SCHEMA,
    Network,
    Params,
    build_network,
    compute,
    edge_table,
    external_inputs,
)

__all__ = [
    "NAME",
    "INPUTS",
    "STREAMED",
    "OUTPUTS",
    "LIBRARIES",
    "SCHEMAS",
    "NODES_SCHEMA",
    "EDGES_SCHEMA",
    "SUMMARY_SCHEMA",
    "SLICES_SCHEMA",
    "SLICE_EDGES_SCHEMA",
    "BURSTS_SCHEMA",
    "TWO_MODE_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "edge_table",
    "Network",
    "build_network",
]
