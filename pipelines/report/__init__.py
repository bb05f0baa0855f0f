"""The report stage: manifests, tables and figures of every stage → ``report/report.html``.

The contract lives in ``stage.py``; ``sections`` builds each part of the page, ``page`` the
HTML around them, ``work`` reads the work folder.
"""

from pipelines.report.stage import (
    INPUTS,
    LIBRARIES,
    NAME,
    OUTPUTS,
    SCHEMAS,
    STREAMED,
    Params,
    compute,
    render,
    render_report,
)

__all__ = ["NAME", "INPUTS", "OUTPUTS", "LIBRARIES", "SCHEMAS", "STREAMED", "Params", "compute",
           "render", "render_report"]
