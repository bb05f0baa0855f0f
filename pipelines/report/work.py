"""What the report reads: the stage tables, manifests and files of one work folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core.store import MANIFEST, StoredTable, open_table, read_all, table_exists

__all__ = ["Work"]


class Work:
    """Tables (those the runner already read, else from disk), manifests and output files.

    Args:
        root: The work folder.
        tables: ``"stage/table"`` -> table, already read (the report stage's inputs).
    """

    def __init__(self, root: Path, tables: Mapping[str, Any] | None = None) -> None:
        self.root = Path(root)
        self._tables = {k: v for k, v in (tables or {}).items()
                        if isinstance(v, pa.Table | StoredTable)}
        self._manifests: dict[str, dict[str, Any] | None] = {}

    def manifest(self, stage: str) -> dict[str, Any] | None:
        """The stage's manifest, or None if it never ran."""
        if stage not in self._manifests:
            path = self.root / stage / MANIFEST
            try:
                self._manifests[stage] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._manifests[stage] = None
        return self._manifests[stage]

    def outputs(self, stage: str) -> dict[str, dict[str, Any]]:
        """File name -> record of what the stage's manifest says it wrote."""
        return (self.manifest(stage) or {}).get("outputs", {})

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table | None:
        """A table of the work folder, or None if its stage has not written it."""
        if name not in self._tables:
            if not table_exists(self.root, name):
                return None
            self._tables[name] = open_table(self.root, name)
        return read_all(self._tables[name], columns or None)

    def stored(self, name: str) -> pa.Table | StoredTable | None:
        """A table of the work folder as the runner gave it or opened lazily (nothing read), or
        None if its stage has not written it; read it with ``store.iter_batches``."""
        if name not in self._tables:
            if not table_exists(self.root, name):
                return None
            self._tables[name] = open_table(self.root, name)
        return self._tables[name]

    def column_names(self, name: str) -> list[str]:
        """The columns of a table (nothing but its footer read), or [] if it is absent."""
        if name not in self._tables and not table_exists(self.root, name):
            return []
        if name not in self._tables:
            self._tables[name] = open_table(self.root, name)
        return list(self._tables[name].schema.names)

    def file(self, stage: str, filename: str) -> bytes | None:
        """An output file the stage's manifest lists, or None."""
        if filename not in self.outputs(stage):
            return None
        path = self.root / stage / filename
        return path.read_bytes() if path.is_file() else None
