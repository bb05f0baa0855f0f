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
        tables: ``"stage/table"`` -> table, already read (the report stage's inputs); the
            paths of the manifests among them say which folder each stage is read from.
        sources: Stage -> another work folder it is read from (a subset reads ``ingest`` and
            ``segment`` from the project's, :mod:`pipelines.subsets`).
    """

    def __init__(self, root: Path, tables: Mapping[str, Any] | None = None,
                 sources: Mapping[str, Path] | None = None) -> None:
        self.root = Path(root)
        self._tables = {k: v for k, v in (tables or {}).items()
                        if isinstance(v, pa.Table | StoredTable)}
        self._manifests: dict[str, dict[str, Any] | None] = {}
        self._folders = {s: Path(f) for s, f in (sources or {}).items()}
        for name, value in (tables or {}).items():
            if name.endswith("/" + MANIFEST) and isinstance(value, str | Path):
                self._folders.setdefault(name.split("/")[0], Path(value).parent.parent)

    def folder(self, stage: str) -> Path:
        """The work folder ``stage``'s outputs are read from."""
        return self._folders.get(stage, self.root)

    def manifest(self, stage: str) -> dict[str, Any] | None:
        """The stage's manifest, or None if it never ran."""
        if stage not in self._manifests:
            path = self.folder(stage) / stage / MANIFEST
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
            if not table_exists(self.folder(name.split("/")[0]), name):
                return None
            self._tables[name] = open_table(self.folder(name.split("/")[0]), name)
        return read_all(self._tables[name], columns or None)

    def stored(self, name: str) -> pa.Table | StoredTable | None:
        """A table of the work folder as the runner gave it or opened lazily (nothing read), or
        None if its stage has not written it; read it with ``store.iter_batches``."""
        if name not in self._tables:
            if not table_exists(self.folder(name.split("/")[0]), name):
                return None
            self._tables[name] = open_table(self.folder(name.split("/")[0]), name)
        return self._tables[name]

    def column_names(self, name: str) -> list[str]:
        """The columns of a table (nothing but its footer read), or [] if it is absent."""
        folder = self.folder(name.split("/")[0])
        if name not in self._tables and not table_exists(folder, name):
            return []
        if name not in self._tables:
            self._tables[name] = open_table(folder, name)
        return list(self._tables[name].schema.names)

    def file(self, stage: str, filename: str) -> bytes | None:
        """An output file the stage's manifest lists, or None."""
        if filename not in self.outputs(stage):
            return None
        path = self.folder(stage) / stage / filename
        return path.read_bytes() if path.is_file() else None
