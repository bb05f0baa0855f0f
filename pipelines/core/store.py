"""Parquet I/O with schema checks, atomic writes, content hashes and stage manifests.

A table is named ``"<stage>/<table>"`` (for example ``"segment/tokens"``) and lives at
``<workdir>/<stage>/<table>.parquet``, or, written as a partitioned dataset, as part files
``<workdir>/<stage>/<table>/part-00000.parquet``, ``part-00001.parquet``, ... (read in name
order; each part recorded in the manifest). :class:`StoredTable` reads either lazily, a row
group at a time; :class:`PartWriter` writes parts into the run's spool folder as partitions
finish, so no stage needs a whole large table in memory (issue 16, ``docs/scaling.md``).

Other output files (figures, GEXF, models) are named with
their extension (``"network/network.gexf"``) and live at the same relative path. A stage's
outputs and manifest replace its folder as a whole (:mod:`pipelines.core.swap`); every name
read from a manifest or given as a table name must stay inside its folder
(:mod:`pipelines.core.paths`). See ``docs/safety.md``.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import __version__
from pipelines.core import swap
from pipelines.core.errors import CorruptInput, MissingInput, SchemaError, WenmaiError
from pipelines.core.paths import mark_workdir, own_folder, safe_child, safe_children

__all__ = [
    "table_path",
    "table_files",
    "table_exists",
    "is_table_name",
    "read_table",
    "open_table",
    "StoredTable",
    "SpooledFile",
    "spool_file",
    "iter_batches",
    "read_all",
    "PartWriter",
    "write_part",
    "spool_dir",
    "spooling",
    "recover_spool",
    "write_outputs",
    "manifest_data",
    "verified_sha256",
    "check_schema",
    "file_sha256",
    "freshness_key",
    "read_manifest",
    "write_manifest",
    "StageState",
    "stage_state",
    "MANIFEST",
]

MANIFEST = "manifest.json"
PART_PREFIX = "part-"
log = logging.getLogger("wenmai")
BATCH_ROWS = 65_536


def table_path(workdir: Path, name: str) -> Path:
    """Map ``"stage/table"`` to its parquet path (names with an extension map as they are)."""
    stage, _, rest = name.partition("/")
    if not rest:
        raise WenmaiError(f"table name {name!r} must look like 'stage/table'")
    filename = rest if "." in rest else rest + ".parquet"
    hint = "name a table as stage/table, e.g. ingest/documents; `wenmai show` lists them"
    folder = safe_child(Path(workdir), stage, what=f"table name {name!r}", hint=hint)
    return safe_child(folder, filename, what=f"table name {name!r}", hint=hint)


def is_table_name(name: str) -> bool:
    """True for a table name (``"stage/table"``), False for a file named with its extension."""
    return "." not in name.partition("/")[2]


#: The names of a dataset's part files; anything else in its folder is never read.
_PART_NAME = re.compile(rf"{PART_PREFIX}\d{{5,}}\.parquet")
#: Bounds on what a manifest may be: larger is damage or a trap, and reads as no manifest.
MAX_MANIFEST_BYTES = 64 << 20
MAX_MANIFEST_OUTPUTS = 200_000


def _part_files(folder: Path) -> list[Path]:
    """The part files of a dataset folder, in order: those named ``part-NNNNN.parquet``. A
    copy that a sync client or a file manager made beside them (``part-00000 (1).parquet``)
    is ignored, never read (issue 30); a well-named part the manifest does not list is
    refused by :func:`verified_sha256`."""
    named, stray = [], []
    for path in folder.glob("*.parquet"):
        (named if _PART_NAME.fullmatch(path.name) else stray).append(path)
    if stray:
        log.warning("%s: ignored %s (not a part wenmai wrote; a sync copy?)", folder,
                    ", ".join(sorted(p.name for p in stray)[:3]))
    return sorted(p for p in named if p.is_file())


def table_files(workdir: Path, name: str) -> list[Path]:
    """The parquet files of table ``name`` in read order: ``[<table>.parquet]``, or the part
    files of the dataset folder ``<table>/``; empty when the table does not exist."""
    path = table_path(workdir, name)
    if path.is_file():
        return [path]
    folder = path.with_suffix("")
    return _part_files(folder) if folder.is_dir() else []


def table_exists(workdir: Path, name: str) -> bool:
    """True when table ``name`` exists as one file or as a dataset folder with parts."""
    path = table_path(workdir, name)
    return path.is_file() or path.with_suffix("").is_dir()


class StoredTable:
    """A table on disk, read lazily: one parquet file or the ordered part files of a dataset.

    Stages that declare an input in ``STREAMED`` get one of these from the runner instead of
    a ``pyarrow.Table``; :func:`iter_batches` and :func:`read_all` accept either, so a stage's
    ``compute`` works on both (tests pass plain tables).
    """

    def __init__(self, files: Sequence[Path], name: str = "table",
                 schema: pa.Schema | None = None) -> None:
        self.files = [Path(f) for f in files]
        self.name = name
        self._schema = schema
        self._rows: int | None = None

    def __repr__(self) -> str:
        return f"StoredTable({self.name!r}, {len(self.files)} file(s))"

    def _open(self, path: Path, *, pre_buffer: bool = True) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(path, pre_buffer=pre_buffer)
        except (pa.ArrowException, OSError) as err:
            raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun its "
                              "stage with --force") from err

    @property
    def schema(self) -> pa.Schema:
        """The arrow schema (of the first part; every part has the same)."""
        if self._schema is None:
            if not self.files:
                raise SchemaError(f"table {self.name} has no part files and no schema")
            self._schema = self._open(self.files[0]).schema_arrow
        return self._schema

    @property
    def num_rows(self) -> int:
        """Rows in all parts, from the parquet footers (nothing else is read)."""
        if self._rows is None:
            self._rows = sum(self._open(f).metadata.num_rows for f in self.files)
        return self._rows

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    def iter_batches(self, columns: Sequence[str] | None = None,
                     rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Record batches of at most ``rows`` rows, part by part, in order."""
        cols = list(columns) if columns is not None else None
        for path in self.files:
            # pre-buffered column chunks stay allocated until the file is read to its end
            # (pyarrow 26: 3 MB held per batch of 1,024 documents, 400 MB for 1 GB of text)
            parquet = self._open(path, pre_buffer=False)
            try:
                yield from parquet.iter_batches(batch_size=rows, columns=cols,
                                                use_threads=False)
            except (pa.ArrowException, OSError) as err:
                raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun its "
                                  "stage with --force") from err

    def read(self, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole table (only ``columns`` if given) in memory."""
        cols = list(columns) if columns is not None else None
        if not self.files:
            schema = self.schema if cols is None else pa.schema(
                [self.schema.field(c) for c in cols])
            return schema.empty_table()
        tables = []
        for path in self.files:
            try:
                tables.append(self._open(path).read(columns=cols))
            except (pa.ArrowException, OSError) as err:
                raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun its "
                                  "stage with --force") from err
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def iter_batches(source: pa.Table | StoredTable, columns: Sequence[str] | None = None,
                 rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Record batches of ``source`` (a table in memory or a :class:`StoredTable`), in order."""
    if isinstance(source, StoredTable):
        yield from source.iter_batches(columns, rows)
        return
    table = source.select(list(columns)) if columns is not None else source
    yield from table.to_batches(max_chunksize=rows)


def read_all(source: pa.Table | StoredTable, columns: Sequence[str] | None = None) -> pa.Table:
    """``source`` as one ``pyarrow.Table`` (only ``columns`` if given)."""
    if isinstance(source, StoredTable):
        return source.read(columns)
    return source.select(list(columns)) if columns is not None else source


def open_table(workdir: Path, name: str, schema: pa.Schema | None = None) -> StoredTable:
    """Table ``name`` as a :class:`StoredTable` (nothing read but footers), schema checked.

    Raises:
        MissingInput: the table does not exist (the message names the command that makes it).
        SchemaError: a file is not readable parquet, or lacks columns of ``schema``.
    """
    files = table_files(workdir, name)
    if not files:
        stage = name.split("/")[0]
        raise MissingInput(f"{table_path(workdir, name)} does not exist; run `wenmai {stage}` "
                           "first")
    table = StoredTable(files, name)
    if schema is not None:
        check_schema(table.schema.empty_table(), schema, name=name)
    return table


_SPOOL: contextvars.ContextVar[Path | None] = contextvars.ContextVar("wenmai_spool",
                                                                    default=None)


@contextlib.contextmanager
def spooling(workdir: Path, stage: str) -> Iterator[Path]:
    """A spool folder for the part files a stage run writes (``<workdir>/.spool/<stage>-*``).

    It lies inside the work folder, so parts move into the stage folder by rename and workers
    of a cluster that share the work folder can write there; it is removed when the run ends.
    """
    root = own_folder(workdir, ".spool")  # never a symlink leading out
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{stage}-{os.getpid()}-", dir=root))
    token = _SPOOL.set(folder)
    try:
        yield folder
    finally:
        _SPOOL.reset(token)
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # only when no other run spools there
            root.rmdir()


def recover_spool(workdir: Path, stage: str, *, locked: bool = False) -> None:
    """Remove spool folders of ``stage`` left by runs that were killed: with ``locked`` (the
    caller holds the work folder's lock) every one not of this process, else those whose
    process id is not alive here."""
    root = Path(workdir) / ".spool"
    if root.is_symlink() or not root.is_dir():  # a link out is refused when a run spools
        return
    for folder in root.glob(f"{stage}-*-*"):
        pid = folder.name[len(stage) + 1:].split("-", 1)[0]
        if pid.isdigit() and (int(pid) != os.getpid() if locked else not swap.alive(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


def spool_dir() -> Path:
    """The current run's spool folder; outside a run (a test calling ``compute``) a temporary
    folder that lives until the process ends."""
    folder = _SPOOL.get()
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="wenmai-spool-"))
        _SPOOL.set(folder)
        import atexit

        atexit.register(shutil.rmtree, folder, True)
    return folder


def write_part(path: Path | str, table: pa.Table) -> int:
    """Write one part file (the store's parquet settings) via a temporary name and a rename;
    return its rows. Workers call this with a path inside :func:`spool_dir`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(_serialise(table))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return table.num_rows


class PartWriter:
    """Collect the part files of one output dataset, in order.

    ``write(table)`` writes the next part; a worker can write a part itself with
    :func:`write_part` to a path from :meth:`path_for` and the parent then calls
    :meth:`add`. :meth:`finish` returns the :class:`StoredTable` that ``compute`` returns as the
    output; the store moves the parts into ``<stage>/<table>/part-NNNNN.parquet``. Cut parts at
    boundaries that depend only on the data and the params, never on workers or the engine.
    """

    def __init__(self, schema: pa.Schema, name: str = "table",
                 folder: Path | None = None) -> None:
        self.schema = schema
        self.name = name
        self.folder = Path(folder) if folder is not None else Path(
            tempfile.mkdtemp(prefix=name.replace("/", "-") + "-", dir=spool_dir()))
        self._parts: dict[int, Path] = {}

    def path_for(self, index: int) -> Path:
        """Where part ``index`` (0-based, its place in the table) is written."""
        return self.folder / f"{PART_PREFIX}{index:05d}.parquet"

    def write(self, table: pa.Table, index: int | None = None) -> Path:
        """Write ``table`` as part ``index`` (default: the next after the highest so far)."""
        index = (max(self._parts) + 1 if self._parts else 0) if index is None else index
        path = self.path_for(index)
        write_part(path, table)
        return self.add(path, index)

    def add(self, path: Path | str, index: int | None = None) -> Path:
        """Register a part a worker wrote (``index`` defaults to the number in its name)."""
        path = Path(path)
        if index is None:
            index = int(path.stem.removeprefix(PART_PREFIX))
        if index in self._parts:
            raise WenmaiError(f"{self.name}: part {index} written twice")
        self._parts[index] = path
        return path

    def finish(self) -> StoredTable:
        """The dataset written so far, parts in index order (empty parts are kept)."""
        return StoredTable([self._parts[i] for i in sorted(self._parts)], self.name,
                           self.schema)


class SpooledFile:
    """An output file written on disk in the spool folder rather than held as bytes.

    A stage whose output file grows with the corpus (the code stage's ``.qdpx`` archive)
    writes it to :func:`spool_file` and returns ``SpooledFile(path)`` as the output value; the
    store moves it into the stage folder (copies it when it lies outside the run's spool) and
    hashes it a block at a time.
    """

    __slots__ = ("path",)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SpooledFile({str(self.path)!r})"


def spool_file(name: str) -> Path:
    """A fresh path named ``name`` in the current run's spool folder (its own subfolder, so two
    calls never collide); write the file there and return :class:`SpooledFile` of it."""
    folder = Path(tempfile.mkdtemp(prefix="file-", dir=spool_dir()))
    return folder / Path(name).name


def check_schema(table: pa.Table, schema: pa.Schema, *, name: str) -> None:
    """Raise SchemaError if ``table`` lacks a column of ``schema`` or has it with another type."""
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise SchemaError(f"table {name} lacks column(s) {', '.join(missing)}")
    for f in schema:
        actual = table.schema.field(f.name).type
        if actual != f.type and not (pa.types.is_null(actual) and f.nullable):
            raise SchemaError(f"table {name}: column {f.name} is {actual}, expected {f.type}")


def read_table(workdir: Path, name: str, schema: pa.Schema | None = None, *,
               columns: list[str] | None = None) -> pa.Table:
    """Read one table whole (only ``columns`` if given), checking ``schema`` if given; a
    dataset's parts are concatenated in order.

    Raises:
        MissingInput: the table does not exist (the message names the command that makes it).
        SchemaError: the file is not a readable parquet table or lacks columns.
    """
    # ParquetFile.read (in StoredTable) avoids pq.read_table's import of pyarrow.dataset
    table = open_table(workdir, name).read(columns)
    if schema is not None:
        check_schema(table, schema, name=name)
    return table


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, reusing the hash its stage manifest recorded if unchanged."""
    path = Path(path)
    st = path.stat()
    recorded = _recorded_output(path)
    unchanged = recorded and (recorded.get("size"), recorded.get("mtime_ns")) == (
        st.st_size, st.st_mtime_ns) and isinstance(recorded.get("sha256"), str)
    if unchanged:
        return recorded["sha256"]
    return _hash_file(path)


_PARSED: dict[str, tuple[tuple[int, int, int], Any]] = {}


def _parsed_manifest(path: Path) -> Any:
    """A manifest's JSON, parsed once per version of the file (its size, mtime and inode):
    a dataset's thousand parts all look up the same manifest."""
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    cached = _PARSED.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if len(_PARSED) > 64:
        _PARSED.clear()
    _PARSED[str(path)] = (stamp, data)
    return data


def _recorded_output(path: Path) -> dict[str, Any] | None:
    """The record of ``path`` in its stage's manifest (only a wenmai stage manifest counts);
    a part file of a dataset (``<stage>/<table>/part-00000.parquet``) is looked up in the
    manifest one folder up."""
    candidates = [(path.parent, path.name)]
    if path.name.startswith(PART_PREFIX):
        candidates.append((path.parent.parent, f"{path.parent.name}/{path.name}"))
    for folder, key in candidates:
        data = _parsed_manifest(folder / MANIFEST)
        if not isinstance(data, dict) or data.get("stage") != folder.name:
            continue
        outputs = data.get("outputs")
        record = outputs.get(key) if isinstance(outputs, dict) else None
        if isinstance(record, dict):
            return record
    return None


def verified_sha256(workdir: Path, name: str) -> str:
    """The hash of input table ``name``, checked against the manifest of the stage that made it.

    Size and modification time equal to the recorded ones reuse the recorded hash; otherwise
    the file is hashed. A table that its producer's manifest does not list, or lists with
    another hash (tables of two runs, or a file replaced by hand), is refused, so a stage never
    builds on outputs its producer did not write together. A producer folder without a
    manifest (tables made by hand) is taken as it is. A dataset's hash is the sha256 of its
    parts' names and hashes, in order.

    Raises:
        MissingInput: the table does not exist.
        CorruptInput: the table does not match its producer's manifest.
    """
    path = table_path(workdir, name)
    stage = name.split("/")[0]
    folder = path.with_suffix("")
    if not os.path.isfile(path) and folder.is_dir() and not folder.is_symlink():
        return _verified_dataset(Path(workdir), stage, folder)
    if not os.path.isfile(path):  # a FIFO or a folder in its place would hang or fail later
        raise MissingInput(f"{path} does not exist or is not a file; run "
                           f"`wenmai {stage}` first")
    digest = file_sha256(path)
    manifest = read_manifest(workdir, stage)
    if manifest is None:
        return digest
    record = manifest["outputs"].get(path.relative_to(Path(workdir) / stage).as_posix())
    if record is None or record.get("sha256") != digest:
        how = "is not listed in" if record is None else "does not match the hash in"
        raise CorruptInput(f"{path} {how} {Path(workdir) / stage / MANIFEST} (changed by "
                           f"hand, or an interrupted run); rerun `wenmai {stage} --force`")
    return digest


def _verified_dataset(workdir: Path, stage: str, folder: Path) -> str:
    """The hash of a dataset folder's parts, checked part by part against the manifest."""
    parts = _part_files(folder)
    prefix = f"{folder.name}/"
    lines = []
    manifest = read_manifest(workdir, stage)
    recorded = {k for k in (manifest or {}).get("outputs", {}) if k.startswith(prefix)}
    for part in parts:
        key = prefix + part.name
        digest = file_sha256(part)
        if manifest is not None:
            record = manifest["outputs"].get(key)
            if record is None or record.get("sha256") != digest:
                how = "is not listed in" if record is None else "does not match the hash in"
                raise CorruptInput(f"{part} {how} {workdir / stage / MANIFEST} (changed by "
                                   f"hand, or an interrupted run); rerun `wenmai {stage} "
                                   "--force`")
        lines.append(f"{key} {digest}\n")
    missing = sorted(recorded - {prefix + p.name for p in parts})
    if missing:
        raise CorruptInput(f"{workdir / stage / missing[0]} is listed in "
                           f"{workdir / stage / MANIFEST} but missing; rerun `wenmai {stage} "
                           "--force`")
    if not parts and manifest is None:
        raise MissingInput(f"{folder} has no part files; run `wenmai {stage}` first")
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _serialise(value: pa.Table | bytes | str) -> bytes:
    if isinstance(value, pa.Table):
        sink = pa.BufferOutputStream()
        # no min/max statistics for list columns (token lists): nothing uses them, and
        # computing them costs a fifth of writing the segment tokens
        stats = [f.name for f in value.schema if not pa.types.is_list(f.type)]
        pq.write_table(value, sink, compression="zstd", write_statistics=stats)
        return sink.getvalue().to_pybytes()
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def write_outputs(
    workdir: Path,
    stage: str,
    outputs: Mapping[str, pa.Table | StoredTable | SpooledFile | bytes | str],
    schemas: Mapping[str, pa.Schema] | None = None,
    *,
    manifest: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Write a stage's outputs as a whole new stage folder and swap it in; return the records.

    Everything (the manifest too, when ``manifest`` is given) is written into a new folder
    beside the stage folder, which then replaces the old one in one swap
    (:func:`pipelines.core.swap.install`): a run killed at any moment leaves the old outputs
    or the new ones, never a mix, and files of the previous run that the new run does not
    produce go with the old folder. No name read from the old manifest is ever unlinked.

    Args:
        workdir: The work folder.
        stage: Stage name (the folder).
        outputs: Table name -> ``pyarrow.Table`` (written as ``<name>.parquet``) or
            :class:`StoredTable` (a dataset of parts), or file name with extension -> bytes/str
            or :class:`SpooledFile` (moved into place).
        schemas: Table name -> required schema, checked before anything is written.
        manifest: ``params``, ``inputs``, ``started`` and ``libraries`` of the run; when
            given, the manifest is written inside the new folder before the swap (see
            :func:`manifest_data`).

    Returns:
        File name -> {"rows"?, "size", "mtime_ns", "sha256"}.

    Raises:
        UnsafePath: an output name would leave the stage folder.
    """
    schemas = schemas or {}
    for name, value in outputs.items():
        if name in schemas and isinstance(value, pa.Table):
            check_schema(value, schemas[name], name=f"{stage}/{name}")
        elif name in schemas and isinstance(value, StoredTable):
            check_schema(value.schema.empty_table(), schemas[name], name=f"{stage}/{name}")
    workdir = Path(workdir)
    hint = "a stage's output names are plain names inside its folder"
    safe_child(workdir, stage, what="stage name", hint=hint)
    mark_workdir(workdir)
    swap.recover(workdir, stage, MANIFEST)
    new = swap.new_folder(workdir, stage)
    try:
        records: dict[str, dict[str, Any]] = {}
        for name, value in outputs.items():
            if isinstance(value, StoredTable):
                records.update(_place_parts(new, name, value, hint))
                continue
            if isinstance(value, SpooledFile):
                records[name] = _place_file(new, name, value, hint)
                continue
            filename = name if "." in name else name + ".parquet"
            target = safe_child(new, filename, what=f"{stage} output", hint=hint)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = _serialise(value)
            target.write_bytes(data)
            st = target.stat()
            record: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                      "sha256": hashlib.sha256(data).hexdigest()}
            if isinstance(value, pa.Table):
                record["rows"] = value.num_rows
            records[filename] = record
        if manifest is not None:
            data = manifest_data(stage, outputs=records, finished=time.time(), **manifest)
            _write_json(new / MANIFEST, data)
        swap.install(new, workdir / stage)
        return records
    finally:
        swap.remove(new)


def _place_parts(new: Path, name: str, table: StoredTable, hint: str
                 ) -> dict[str, dict[str, Any]]:
    """Put a dataset's parts into ``new/<name>/part-NNNNN.parquet`` (moved out of this run's
    spool folder, copied from anywhere else) and return their records."""
    folder = safe_child(new, name, what="dataset output", hint=hint)
    folder.mkdir(parents=True, exist_ok=True)
    spool = _SPOOL.get()
    records: dict[str, dict[str, Any]] = {}
    for index, source in enumerate(table.files):
        target = folder / f"{PART_PREFIX}{index:05d}.parquet"
        if spool is not None and Path(source).resolve().is_relative_to(spool.resolve()):
            shutil.move(source, target)
        else:
            shutil.copyfile(source, target)
        st = target.stat()
        rows = pq.ParquetFile(target).metadata.num_rows
        records[f"{name}/{target.name}"] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                            "sha256": _hash_file(target), "rows": rows}
    if not table.files:  # an empty dataset is one empty part, so the table exists
        target = folder / f"{PART_PREFIX}00000.parquet"
        write_part(target, table.schema.empty_table())
        st = target.stat()
        records[f"{name}/{target.name}"] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                            "sha256": _hash_file(target), "rows": 0}
    return records


def _place_file(new: Path, name: str, value: SpooledFile, hint: str) -> dict[str, Any]:
    """Put a spooled output file into ``new/<name>`` and return its record."""
    target = safe_child(new, name, what="output file", hint=hint)
    target.parent.mkdir(parents=True, exist_ok=True)
    spool = _SPOOL.get()
    if spool is not None and value.path.resolve().is_relative_to(spool.resolve()):
        shutil.move(value.path, target)
    else:
        shutil.copyfile(value.path, target)
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _hash_file(target)}


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def freshness_key(stage: str, params: Mapping[str, Any], inputs: Mapping[str, str]) -> str:
    """sha256 of stage, params, input hashes and version as sorted-key JSON (no timestamps)."""
    blob = json.dumps({"stage": stage, "params": params, "inputs": inputs,
                       "version": __version__}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_manifest(workdir: Path, stage: str) -> dict[str, Any] | None:
    """The stage's manifest, or None if it has none (or it is unreadable or malformed).

    Raises:
        UnsafePath: the manifest names an output outside the stage folder (absolute, with
            ``..``, or through a symlink); nothing is read or deleted through such a name.
    """
    folder = Path(workdir) / stage
    path = folder / MANIFEST
    try:
        with open(path, "rb") as fh:  # bounded: a manifest is small (issue 30)
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            log.warning("%s is larger than %d MB; not read (the stage counts as never run)",
                        path, MAX_MANIFEST_BYTES >> 20)
            return None
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # deep nesting is damage like any other
        return None
    outputs = data.get("outputs", {}) if isinstance(data, dict) else None
    if not isinstance(outputs, dict) or not all(isinstance(r, dict) for r in outputs.values()):
        return None
    if len(outputs) > MAX_MANIFEST_OUTPUTS:
        log.warning("%s lists %d outputs, more than %d; not read", path, len(outputs),
                    MAX_MANIFEST_OUTPUTS)
        return None
    safe_children(folder, outputs, what=str(path))
    return data


def write_manifest(
    workdir: Path,
    stage: str,
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, str],
    outputs: Mapping[str, Mapping[str, Any]],
    started: float,
    finished: float,
    libraries: Mapping[str, str] | None = None,
) -> Path:
    """Write the manifest into an existing stage folder, via a temporary file and a rename.

    The runner does not use this for a run: it passes the manifest to :func:`write_outputs`,
    which writes it inside the new stage folder before the swap.
    """
    data = manifest_data(stage, params=params, inputs=inputs, outputs=outputs,
                         started=started, finished=finished, libraries=libraries)
    path = Path(workdir) / stage / MANIFEST
    _write_json(path, data)
    return path


def manifest_data(stage: str, *, params: Mapping[str, Any], inputs: Mapping[str, str],
                  outputs: Mapping[str, Mapping[str, Any]], started: float,
                  finished: float, libraries: Mapping[str, str] | None = None
                  ) -> dict[str, Any]:
    """The manifest's fields (the format every wenmai version reads); ``libraries`` holds the
    versions of Python and of the libraries that computed the tables
    (:mod:`pipelines.core.provenance`)."""
    return {
        "stage": stage,
        "wenmai_version": __version__,
        "libraries": dict(libraries or {}),
        "key": freshness_key(stage, params, inputs),
        "params": dict(params),
        "inputs": dict(inputs),
        "outputs": {k: dict(v) for k, v in outputs.items()},
        "started": _iso(started),
        "finished": _iso(finished),
        "seconds": round(finished - started, 3),
    }


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ts))


@dataclass
class StageState:
    """Whether a stage is fresh, and if not, why."""

    stage: str
    state: str  # "fresh", "stale" or "missing"
    reasons: list[str] = field(default_factory=list)
    #: what a fresh stage's user should know: e.g. made by other library versions
    notes: list[str] = field(default_factory=list)


def stage_state(
    workdir: Path, stage: str, params: Mapping[str, Any], inputs: Mapping[str, str]
) -> StageState:
    """Compare the manifest with the current params and input hashes and the outputs on disk."""
    manifest = read_manifest(workdir, stage)
    if manifest is None:
        if swap.leftovers(workdir, stage):
            return StageState(stage, "missing", [
                "interrupted while replacing its outputs; its next run restores or redoes them"])
        return StageState(stage, "missing", ["never run (no manifest)"])
    reasons: list[str] = []
    if manifest.get("wenmai_version") != __version__:
        reasons.append(f"wenmai version changed ({manifest.get('wenmai_version')} -> "
                       f"{__version__})")
    old_params = manifest.get("params", {})
    for key in sorted(set(old_params) | set(params)):
        if old_params.get(key) != params.get(key):
            reasons.append(f"parameter {key} changed ({old_params.get(key)!r} -> "
                           f"{params.get(key)!r})")
    old_inputs = manifest.get("inputs", {})
    for key in sorted(set(old_inputs) | set(inputs)):
        if key not in inputs:
            reasons.append(f"input {key} is no longer used")
        elif key not in old_inputs:
            reasons.append(f"new input {key}")
        elif old_inputs[key] != inputs[key]:
            reasons.append(f"input {key} changed")
    folder = Path(workdir) / stage
    outputs = manifest.get("outputs", {})
    paths = safe_children(folder, outputs, what=str(folder / MANIFEST))
    for (filename, record), path in zip(outputs.items(), paths, strict=True):
        if not os.path.isfile(path):  # never raises (a name too long, a FIFO: not a file)
            reasons.append(f"output {filename} is missing")
        elif file_sha256(path) != record.get("sha256"):
            reasons.append(f"output {filename} was modified")
    if not reasons and manifest.get("key") != freshness_key(stage, params, inputs):
        reasons.append("freshness key differs")
    return StageState(stage, "stale" if reasons else "fresh", reasons)
