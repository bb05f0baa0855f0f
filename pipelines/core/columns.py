"""The one check of a grouping column (``--by``, ``--two-mode``) that every stage shares.

The same mistake gets the same message and the same exit code (a usage error, 2) in every
command: ``terms``, ``topics``, ``network`` and ``code`` all call :func:`check_column`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipelines.core.errors import BadParams

__all__ = ["check_column", "group_columns"]

#: Columns that never group documents (every value differs, or it is the text itself).
_NOT_GROUPS = ("doc_id", "text")


def group_columns(documents: Any) -> list[str]:
    """The columns of ``documents`` (a table or a dataset) that may group documents."""
    names = list(documents.schema.names) if documents is not None else []
    return [name for name in names if name not in _NOT_GROUPS]


def check_column(documents: Any, columns: str | Iterable[str], *, stage: str,
                 option: str = "by") -> None:
    """Raise BadParams naming every usable column unless each of ``columns`` is one.

    Args:
        documents: The ``ingest/documents`` table or dataset (only its schema is read).
        columns: The column (or columns) the user asked to group by.
        stage: The command, for the message.
        option: The parameter's name (``by``, ``two_mode``), shown as its option.
    """
    names = list(documents.schema.names) if documents is not None else []
    wanted = [columns] if isinstance(columns, str) else list(columns)
    for column in wanted:
        if column not in names or column in _NOT_GROUPS:
            known = ", ".join(group_columns(documents)) or "none"
            flag = "--" + option.replace("_", "-")
            raise BadParams(f"{stage}: {flag} {column!r} is not a column of ingest/documents; "
                            f"choose one of: {known}")
