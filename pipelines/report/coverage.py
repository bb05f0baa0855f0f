"""The report's "Documents analysed" section: how many documents each analysis covers.

An analysis stage run with a ``where`` filter (its own, or a named subset's: see
:mod:`pipelines.subsets`) records it among its parameters; the section counts the documents
of ``ingest/documents`` that pass it, so a reader sees "the analysis covers 412 of 1,310
documents: year >= 2013" beside the results. Without any filter the section is left out.
"""

from __future__ import annotations

import html

from pipelines.core.errors import BadParams
from pipelines.core.where import parse, selected_ids
from pipelines.report.page import missing, note, table
from pipelines.report.work import Work

__all__ = ["ANALYSES", "coverage", "covered"]

#: The stages that take a ``where`` filter.
ANALYSES = ("terms", "topics", "network", "code")


def covered(work: Work, where: str) -> tuple[int, int]:
    """(documents passing ``where``, all documents) of the work folder's documents.

    Raises:
        BadParams: the filter no longer fits the documents (a column gone).
    """
    documents = work.stored("ingest/documents")
    return len(selected_ids(documents, parse(where))), documents.num_rows


def coverage(work: Work) -> str | None:
    """One line per filter used by the analyses, and a table of which analysis used which;
    None when no analysis stage ran with a filter."""
    used = {stage: ((work.manifest(stage) or {}).get("params") or {}).get("where")
            for stage in ANALYSES if work.manifest(stage) is not None}
    filters = {w: [s for s, v in used.items() if v == w] for w in used.values() if w}
    if not filters:
        return None
    if work.stored("ingest/documents") is None:
        return missing("ingest")
    lines, rows = [], []
    for where, stages in filters.items():
        try:
            n, total = covered(work, where)
            text = f"the analysis covers {n:,} of {total:,} documents: {where}"
        except BadParams as err:
            text = f"the filter no longer applies to these documents ({err})"
        lines.append(note(f"{', '.join(stages)}: {html.escape(text)}"))
    for stage, where in used.items():
        rows.append([stage, where or "all documents"])
    return "".join(lines) + table(["analysis", "documents (where)"], rows)
