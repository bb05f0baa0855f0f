"""The report stage: one self-contained HTML page for a methods chapter.

Reads the manifests of every stage (parameters, wenmai version, the files each wrote) and
their tables (``ingest/documents``, ``rejected``, ``duplicates``, ``segment/report``,
``terms/terms``, ``keywords``, ``group_keywords``, ``topics/model_selection``,
``recommendation``, ``topic_terms``, ``representative_docs``, ``network/nodes``, ``edges``),
and the figures in whatever formats the figures stage wrote. Writes ``report/report.html``
(figures and the font subset embedded, so it opens offline and can be mailed alone) and a copy
of the LDAvis page beside it. The page carries no time of its own: the same work folder gives
the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core.params import param
from pipelines.report import sections as S
from pipelines.report.coverage import coverage
from pipelines.report.page import page
from pipelines.report.work import Work

__all__ = ["NAME", "INPUTS", "STREAMED", "OUTPUTS", "SCHEMAS", "Params", "compute", "render",
           "render_report", "SECTIONS"]

NAME = "report"
#: The manifests decide freshness (each changes when its stage reruns, and records the hash
#: of every file the stage wrote); the runner passes their paths. The tables are read by the
#: runner like any stage's inputs.
MANIFESTS = tuple(f"{s}/manifest.json" for s in S.STAGES)
INPUTS = ("ingest/documents", "ingest/rejected", "ingest/duplicates", "segment/report",
          "terms/terms", "terms/keywords", "terms/group_keywords", "topics/model_selection",
          "topics/recommendation", "topics/topic_terms", "topics/representative_docs",
          "network/nodes", "network/edges") + MANIFESTS
#: read by column (never the texts) or a batch at a time (keywords of the documents listed)
STREAMED = ("ingest/documents", "terms/keywords")
OUTPUTS: tuple[str, ...] = ()
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ()
SCHEMAS: dict[str, pa.Schema] = {}


@dataclass(frozen=True)
class Params:
    """Parameters of the report stage."""

    title: str = param("wenmai report (文脉分析报告)", "Title of the page.")
    top_terms: int = param(30, "Most frequent terms listed.", min=1, max=500)
    max_docs: int = param(200, "Documents listed with their keywords.", min=1)


#: (title, builder) in page order; a builder returning None leaves its section out. The code
#: stage's section is ``S.coding``.
SECTIONS = (
    ("Pipeline and parameters", S.pipeline),
    ("Corpus", S.corpus),
    ("Documents analysed", coverage),
    ("Segmentation", S.segmentation),
    ("Terms and keywords", None),
    ("Figures", S.figures),
    ("Topics", S.topics),
    ("Co-occurrence network", S.network),
    ("Coding", S.coding),
)


def render(work: Work, params: Params | None = None) -> str:
    """The report page of a work folder (sections of stages not run say so)."""
    params = params or Params()
    built = []
    for title, builder in SECTIONS:
        html = (S.keywords(work, params.top_terms, params.max_docs) if builder is None
                else builder(work))
        if html is not None:
            built.append((title, html))
    return page(params.title, work.root.name, built)


def render_report(workdir: Path, params: Params | None = None) -> str:
    """The report page of a work folder, whatever has run (sections not run say so)."""
    return render(Work(Path(workdir)), params)


def work_of(tables: dict[str, Any]) -> Work:
    """The work folder the runner read the inputs from (the manifests' paths say it)."""
    # the last stage's manifest: in a subset's folder, where ingest's and segment's are not
    manifest = [v for k, v in tables.items() if k.endswith("/manifest.json")][-1]
    return Work(Path(manifest).parent.parent, tables)


def compute(tables: dict[str, Any], params: Params) -> dict[str, str | bytes]:
    """Build ``report.html`` and copy the LDAvis page beside it.

    Args:
        tables: The tables named in ``INPUTS``; the manifests as paths.
        params: Report parameters.

    Returns:
        ``{"report.html": page, "<ldavis page>.html": bytes}``.
    """
    work = work_of(tables)
    out: dict[str, str | bytes] = {"report.html": render(work, params)}
    name = S.ldavis_name(work)
    data = work.file("topics", name) if name else None
    if data is not None:
        out[name] = data
    return out
