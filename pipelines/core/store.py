"""Parquet I/O with schema checks, atomic writes, content hashes and stage manifests.

A table is named ``"<stage>/<table>"`` (for example ``"segment/tokens"``) and lives at
``<workdir>/<stage>/<table>.parquet``. Other output files (figures, GEXF, models) are named with
their extension (``"network/network.gexf"``) and live at the same relative path. A stage's
outputs and manifest replace its folder as a whole (:mod:`pipelines.core.swap`); every name
read from a manifest or given as a table name must stay inside its folder
(:mod:`pipelines.core.paths`). See ``docs/safety.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import __version__
from pipelines.core import swap
from pipelines.core.errors import CorruptInput, MissingInput, SchemaError, WenmaiError
from pipelines.core.paths import mark_workdir, safe_child

__all__ = [
    "table_path",
    "read_table",
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
def table_path(workdir: Path, name: str) -> Path:
    """Map ``"stage/table"`` to its parquet path (names with an extension map as they are)."""
    stage, _, rest = name.partition("/")
    if not rest:
        raise WenmaiError(f"table name {name!r} must look like 'stage/table'")
    filename = rest if "." in rest else rest + ".parquet"
    hint = "name a table as stage/table, e.g. ingest/documents; `wenmai show` lists them"
    folder = safe_child(Path(workdir), stage, what=f"table name {name!r}", hint=hint)
    return safe_child(folder, filename, what=f"table name {name!r}", hint=hint)


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
    """Read one table (only ``columns`` if given), checking ``schema`` if given.

    Raises:
        MissingInput: the file does not exist (the message names the command that makes it).
        SchemaError: the file is not a readable parquet table or lacks columns.
    """
    path = table_path(workdir, name)
    if not path.exists():
        stage = name.split("/")[0]
        raise MissingInput(f"{path} does not exist; run `wenmai {stage}` first")
    try:
        # ParquetFile.read avoids pq.read_table's import of pyarrow.dataset (~0.3 s a call)
        table = pq.ParquetFile(path).read(columns=columns)
    except (pa.ArrowException, OSError) as err:
        raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun its stage "
                          "with --force") from err
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
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded_output(path: Path) -> dict[str, Any] | None:
    """The record of ``path`` in its stage's manifest (only a wenmai stage manifest counts)."""
    manifest = path.parent / MANIFEST
    if not manifest.exists():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stage") != path.parent.name:
        return None
    outputs = data.get("outputs")
    record = outputs.get(path.name) if isinstance(outputs, dict) else None
    return record if isinstance(record, dict) else None


def verified_sha256(workdir: Path, name: str) -> str:
    """The hash of input table ``name``, checked against the manifest of the stage that made it.

    Size and modification time equal to the recorded ones reuse the recorded hash; otherwise
    the file is hashed. A table that its producer's manifest does not list, or lists with
    another hash (tables of two runs, or a file replaced by hand), is refused, so a stage never
    builds on outputs its producer did not write together. A producer folder without a
    manifest (tables made by hand) is taken as it is.

    Raises:
        MissingInput: the table does not exist.
        CorruptInput: the table does not match its producer's manifest.
    """
    path = table_path(workdir, name)
    if not os.path.isfile(path):  # a FIFO or a folder in its place would hang or fail later
        raise MissingInput(f"{path} does not exist or is not a file; run "
                           f"`wenmai {name.split('/')[0]}` first")
    stage = name.split("/")[0]
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
    outputs: Mapping[str, pa.Table | bytes | str],
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
        outputs: Table name -> ``pyarrow.Table`` (written as ``<name>.parquet``), or file name
            with extension -> bytes/str.
        schemas: Table name -> required schema, checked before anything is written.
        manifest: ``params``, ``inputs`` and ``started`` of the run; when given, the manifest
            is written inside the new folder before the swap (see :func:`manifest_data`).

    Returns:
        File name -> {"rows"?, "size", "mtime_ns", "sha256"}.

    Raises:
        UnsafePath: an output name would leave the stage folder.
    """
    schemas = schemas or {}
    for name, value in outputs.items():
        if name in schemas and isinstance(value, pa.Table):
            check_schema(value, schemas[name], name=f"{stage}/{name}")
    workdir = Path(workdir)
    hint = "a stage's output names are plain names inside its folder"
    safe_child(workdir, stage, what="stage name", hint=hint)
    mark_workdir(workdir)
    swap.recover(workdir, stage, MANIFEST)
    new = swap.new_folder(workdir, stage)
    try:
        records: dict[str, dict[str, Any]] = {}
        for name, value in outputs.items():
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
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    outputs = data.get("outputs", {}) if isinstance(data, dict) else None
    if not isinstance(outputs, dict) or not all(isinstance(r, dict) for r in outputs.values()):
        return None
    for name in outputs:
        safe_child(folder, name, what=str(path))
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
) -> Path:
    """Write the manifest into an existing stage folder, via a temporary file and a rename.

    The runner does not use this: it passes the manifest to :func:`write_outputs`, which
    writes it inside the new stage folder before the swap.
    """
    data = manifest_data(stage, params=params, inputs=inputs, outputs=outputs,
                         started=started, finished=finished)
    path = Path(workdir) / stage / MANIFEST
    _write_json(path, data)
    return path


def manifest_data(stage: str, *, params: Mapping[str, Any], inputs: Mapping[str, str],
                  outputs: Mapping[str, Mapping[str, Any]], started: float,
                  finished: float) -> dict[str, Any]:
    """The manifest's fields (the format every wenmai version reads)."""
    return {
        "stage": stage,
        "wenmai_version": __version__,
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
    for filename, record in manifest.get("outputs", {}).items():
        path = safe_child(folder, filename, what=str(folder / MANIFEST))
        if not os.path.isfile(path):  # never raises (a name too long, a FIFO: not a file)
            reasons.append(f"output {filename} is missing")
        elif file_sha256(path) != record.get("sha256"):
            reasons.append(f"output {filename} was modified")
    if not reasons and manifest.get("key") != freshness_key(stage, params, inputs):
        reasons.append("freshness key differs")
    return StageState(stage, "stale" if reasons else "fresh", reasons)
