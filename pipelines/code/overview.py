"""What the report shows of a codebook: its rules (``code_rules``) and example segments
(``code_examples``).

``code_rules`` has one row per code: group, category, name, description, rule, and the words
of the rule that the counting filters (stopword lists, short words, POS) drop from
``segment/tokens``: found among the words of the text but never as a counting token. Rules
still see them (they read the words); the warning says that term counts, topics and networks
do not, so a code and a term table may disagree about them.

``code_examples`` holds up to ``EXAMPLES`` coded segments per code, drawn at random (seeded,
the same way as the audit sample, :mod:`pipelines.code.audit`).
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.code.audit import _BottomK, _key
from pipelines.code.codebook import Codebook
from pipelines.core.store import StoredTable, iter_batches

__all__ = ["RULES_SCHEMA", "EXAMPLES_SCHEMA", "EXAMPLES", "rules_table", "examples_table"]

EXAMPLES = 3
RULES_SCHEMA = pa.schema([
    ("group", pa.string()), ("category", pa.string()), ("code", pa.string()),
    ("description", pa.string()), ("rule", pa.string()),
    ("filtered_words", pa.list_(pa.string())),
])
EXAMPLES_SCHEMA = pa.schema([
    ("code", pa.string()), ("doc_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
    ("matched", pa.list_(pa.string())), ("text", pa.string()),
])


def rules_table(book: Codebook, filtered: set[str]) -> pa.Table:
    """``code_rules``: the codebook, with the words of each rule in ``filtered`` (the words the
    counting filters dropped every time)."""
    from pipelines.code.rules import Near, Word, atoms

    rows = []
    for c in book.codes:
        labels = []
        for a in atoms(c.rule):
            for w in (a.a, a.b) if isinstance(a, Near) else (a,):
                if isinstance(w, Word) and w.label() in filtered and w.label() not in labels:
                    labels.append(w.label())
        rows.append({"group": c.group, "category": c.category, "code": c.name,
                     "description": c.description, "rule": c.rule_text,
                     "filtered_words": labels})
    return pa.Table.from_pylist(rows, schema=RULES_SCHEMA)


def examples_table(codings: pa.Table | StoredTable, book: Codebook, *, seed: int,
                   n: int = EXAMPLES) -> pa.Table:
    """``code_examples``: ``n`` coded segments per code drawn at random (seeded), in codebook
    order and, within a code, in the order of their keys."""
    strata = {c.name: _BottomK(n) for c in book.codes}
    columns = ["doc_id", "code", "start", "end", "matched", "text"]
    for batch in iter_batches(codings, columns):
        for row in batch.to_pylist():
            strata[row["code"]].offer(_key(seed, "example", row["code"], row["doc_id"],
                                           row["start"]), row)
    rows = [{c: item[c] for c in EXAMPLES_SCHEMA.names}
            for code in book.codes for item in strata[code.name].items()]
    return pa.Table.from_pylist(rows, schema=EXAMPLES_SCHEMA)
