"""The network stage: segment/tokens → co-occurrence nodes, edges and exports.

The contract lives in ``stage.py``; the other modules of this package are its private helpers.
"""

from pipelines.network.stage import (
    EDGES_SCHEMA,
    INPUTS,
    NAME,
    NODES_SCHEMA,
    OUTPUTS,
    SCHEMAS,
    Params,
    compute,
    edge_table,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "SCHEMAS",
    "NODES_SCHEMA",
    "EDGES_SCHEMA",
    "Params",
    "compute",
    "edge_table",
]
