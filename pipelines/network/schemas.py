"""Arrow schemas of the network stage's tables (shared by the stage and its helpers)."""

import pyarrow as pa

__all__ = ["CENTRALITIES", "NODES_SCHEMA", "EDGES_SCHEMA", "SUMMARY_SCHEMA", "SLICES_SCHEMA",
           "SLICE_EDGES_SCHEMA", "BURSTS_SCHEMA", "TWO_MODE_SCHEMA", "SCHEMAS"]

CENTRALITIES = [("degree", pa.int64()), ("weighted_degree", pa.float64()),
                 ("betweenness", pa.float64()), ("closeness", pa.float64()),
                 ("eigenvector", pa.float64()), ("pagerank", pa.float64())]
NODES_SCHEMA = pa.schema([("term", pa.string()), ("freq", pa.int64()), ("windows", pa.int64()),
                          *CENTRALITIES, ("community", pa.int32())])
EDGES_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("target", pa.string()),
    ("cooccurrences", pa.int64()),
    ("weight", pa.float64()),
    ("measure", pa.string()),
])
SUMMARY_SCHEMA = pa.schema([
    ("slice", pa.string()), ("nodes", pa.int64()), ("edges", pa.int64()),
    ("isolated", pa.int64()), ("candidate_edges", pa.int64()),
    ("density_candidates", pa.float64()), ("density", pa.float64()),
    ("components", pa.int64()), ("largest_component", pa.int64()),
    ("avg_clustering", pa.float64()), ("communities", pa.int64()),
    ("modularity", pa.float64()), ("windows", pa.int64()), ("params", pa.string()),
])
SLICES_SCHEMA = pa.schema([("slice", pa.string()), ("term", pa.string()), ("freq", pa.int64()),
                           *CENTRALITIES, ("community", pa.int32())])
SLICE_EDGES_SCHEMA = pa.schema([("slice", pa.string()), *EDGES_SCHEMA])
BURSTS_SCHEMA = pa.schema([("term", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
                           ("strength", pa.float64()), ("first_year", pa.int32()),
                           ("freq", pa.int64())])
TWO_MODE_SCHEMA = pa.schema([("term", pa.string()), ("group", pa.string()),
                             ("cooccurrences", pa.int64()), ("weight", pa.float64()),
                             ("measure", pa.string()), ("by", pa.string())])
SCHEMAS = {"nodes": NODES_SCHEMA, "edges": EDGES_SCHEMA, "summary": SUMMARY_SCHEMA,
           "slices": SLICES_SCHEMA, "slice_edges": SLICE_EDGES_SCHEMA,
           "bursts": BURSTS_SCHEMA, "two_mode": TWO_MODE_SCHEMA}
