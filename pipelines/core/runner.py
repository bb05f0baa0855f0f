"""The shared runner: resolve inputs, check freshness, compute, write atomically, record.

Every stage module provides ``NAME``, ``INPUTS`` (table names it reads), ``OUTPUTS`` (table
names it always writes), ``SCHEMAS`` (output table -> ``pyarrow.Schema``), a frozen ``Params``
dataclass, ``compute(tables, params)`` and, if it reads files other than tables (raw
documents, user dictionaries), ``external_inputs(params) -> list[Path | str]`` (a str URL is
fingerprinted by its filesystem's version of it, see :mod:`pipelines.core.remote`). A stage may also
provide ``prepare(params)``, which loads what ``compute`` will need (a dictionary, a model)
in a thread while the runner reads the input tables. A stage whose ``RELABEL`` names
parameters that only relabel or regroup finished outputs (topics: ``labels``, ``by``) provides
``relabel(outputs, params, *, tables, previous)`` (``tables``: its inputs, ``previous``: the
parameters the outputs were made with); when nothing but those parameters and the files they
name changed, the runner applies it to the stage's own outputs instead of running ``compute``
again (``relabel`` returns None when it cannot: then the stage runs whole).

``sources`` maps an upstream stage to another work folder its tables are read from: a named
subset's folder (``work/subsets/<name>``) holds its own terms, topics, network, code, figures
and report, and reads ``ingest`` and ``segment`` from the project's work folder.
A stage that lists input tables in ``STREAMED`` gets them as :class:`store.StoredTable`
(read a batch at a time) instead of whole tables, and may return a dataset written with
:class:`store.PartWriter` as an output; parts go to a spool folder in the work folder while
``compute`` runs. ``LIBRARIES`` names the distributions whose code decides the stage's
tables; the manifest records their versions (:mod:`pipelines.core.provenance`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pipelines.core import engine, provenance, remote, store, swap
from pipelines.core import params as P
from pipelines.core.config import outside_project
from pipelines.core.errors import CorruptInput, MissingInput
from pipelines.core.hashcache import InputHashes
from pipelines.core.lock import holds_lock, workdir_lock
from pipelines.core.paths import check_workdir
from pipelines.core.resources import DATA_DIR

#: How a path inside wenmai's own ``data/`` is recorded in manifests (moves with the install)
DATA_PREFIX = "wenmai-data:"

__all__ = ["DATA_PREFIX", "StageResult", "Sources", "source_of", "key_params", "input_hashes",
           "current_state", "run_stage", "library_notes"]

log = logging.getLogger("wenmai")


@dataclass
class StageResult:
    """What a call of :func:`run_stage` did."""

    stage: str
    ran: bool
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _portable(path: str, root: Path | None) -> str:
    """A path relative to the project root (or to wenmai's shipped ``data/``) when it lies
    inside it, so a moved or freshly cloned project keeps its manifests fresh; other paths
    stay as they are."""
    if remote.is_url(path) or path.startswith("builtin:"):
        return path
    resolved = Path(path).resolve()
    if resolved.is_relative_to(DATA_DIR):
        return DATA_PREFIX + resolved.relative_to(DATA_DIR).as_posix()
    if root is not None:
        # by the name the user gave first (a symlink in the project stays ``linked``), then
        # by where it leads
        for given, base in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))),
                            (resolved, root.resolve())):
            if given.is_relative_to(base):
                return given.relative_to(base).as_posix()
    return path


def key_params(params: Any, root: Path | None = None) -> dict[str, Any]:
    """The parameters that decide the outputs, with paths made relative to ``root``."""
    values = P.to_dict(params, key_only=True)
    for spec in P.specs(type(params)):
        value = values.get(spec.name)
        if spec.path and value:
            values[spec.name] = ([_portable(v, root) for v in value] if isinstance(value, list)
                                 else _portable(value, root))
    return values


#: Upstream stage name -> the work folder its tables are read from (default: the stage's own).
Sources = Mapping[str, Path]


def source_of(workdir: Path, name: str, sources: Sources | None) -> Path:
    """The work folder input table ``name`` (``"stage/table"``) is read from."""
    return Path((sources or {}).get(name.split("/", 1)[0], workdir))


def input_hashes(stage: ModuleType, workdir: Path, params: Any, root: Path | None = None,
                 *, cache: InputHashes | None = None, sources: Sources | None = None
                 ) -> dict[str, str]:
    """Content hashes of every input: upstream tables by name, other files by path.

    A file whose size, mtime and ctime are those recorded when it was last hashed is not read
    again (:mod:`pipelines.core.hashcache`); tables reuse the hash their stage's manifest
    recorded in the same way (:func:`store.verified_sha256`).

    Args:
        stage: The stage module.
        workdir: The work folder.
        params: The stage's resolved params.
        root: Project root; external files inside it are keyed by their relative path.
        cache: The stage's input-file hash cache; when given, the caller saves it (after
            the run, when the work folder exists); else it is saved here.
        sources: Where upstream stages' tables are read from (see the module docstring).

    Raises:
        MissingInput: an upstream table or an external file does not exist.
    """
    hashes: dict[str, str] = {}
    for name in stage.INPUTS:
        source = source_of(workdir, name, sources)
        path = store.table_path(source, name)
        if path.name == store.MANIFEST:  # the report reads manifests; no record lists them
            if not path.is_file():
                raise MissingInput(f"{path} does not exist; run `wenmai {name.split('/')[0]}` "
                                   "first")
            hashes[name] = store.file_sha256(path)
            continue
        hashes[name] = store.verified_sha256(source, name)
    # other files are read again only when their size, mtime or ctime changed
    own = cache is None
    cache = cache if cache is not None else InputHashes(workdir, stage.NAME)
    for path in getattr(stage, "external_inputs", lambda _p: [])(params):
        if isinstance(path, str) and remote.is_url(path):  # its version, never its bytes
            hashes[f"url:{path}"] = remote.fingerprint(path)
            continue
        path = Path(path)
        if not path.is_file():
            raise MissingInput(f"{stage.NAME}: input file {path} does not exist")
        name = _portable(str(path), root).encode("utf-8", "surrogateescape")  # non-UTF-8 names
        key = f"file:{name.decode('utf-8', 'replace')}"
        hashes[key] = cache.sha256(key, path)
    if own:
        cache.save()
    if cache.hashed:
        log.debug("%s: %d input file(s) hashed", stage.NAME, cache.hashed)
    return hashes


def current_state(stage: ModuleType, workdir: Path, params: Any, *, root: Path | None = None,
                  sources: Sources | None = None) -> store.StageState:
    """Fresh, stale (with reasons) or missing, from the manifest and the current inputs."""
    try:
        inputs = input_hashes(stage, workdir, params, root, sources=sources)
    except MissingInput as err:
        state = store.stage_state(workdir, stage.NAME, key_params(params, root), {})
        reasons = [str(err) if isinstance(err, CorruptInput) else f"input missing: {err}"]
        return store.StageState(stage.NAME, "missing" if state.state == "missing" else "stale",
                                reasons)
    state = store.stage_state(workdir, stage.NAME, key_params(params, root), inputs)
    if state.state == "fresh":
        manifest = store.read_manifest(workdir, stage.NAME) or {}
        recorded = manifest.get("outputs", {})
        new = [name for name in stage.OUTPUTS if f"{name}.parquet" not in recorded
               and not any(k.startswith(f"{name}/") for k in recorded)]
        if new:  # the stage gained a table since its last run (a newer wenmai)
            return store.StageState(stage.NAME, "stale", [
                f"output {', '.join(new)} is not in the last run's manifest"])
        state.notes = library_notes(stage, manifest)
    return state


def library_notes(stage: ModuleType, manifest: dict[str, Any]) -> list[str]:
    """A fresh stage's libraries whose recorded version is not the installed one, as one note.

    Such a stage stays fresh: its tables are what the manifest says they are, and which
    versions made them is recorded; rerunning it would change tables a user may already cite,
    so that is left to ``--force`` (docs/install.md).
    """
    rerun = f"`wenmai {stage.NAME} --force` recomputes it with the installed ones"
    recorded = manifest.get("libraries")
    if not recorded:
        return [f"library versions not recorded (made before wenmai recorded them); {rerun}"]
    changed = provenance.differences(recorded,
                                     provenance.versions(getattr(stage, "LIBRARIES", ())))
    return [f"made with other library versions: {'; '.join(changed)}; {rerun}"] if changed else []


def _read_input(workdir: Path, name: str, streamed: bool = False) -> Any:
    """A table, or for an input named with an extension (``"figures/manifest.json"``, read by
    the report) the file's path: hashed for freshness like a table, read by the stage. An
    input the stage lists in ``STREAMED`` comes as a :class:`store.StoredTable`, read later
    a batch at a time."""
    if not store.is_table_name(name):
        return store.table_path(workdir, name)
    return store.open_table(workdir, name) if streamed else store.read_table(workdir, name)


def _read_inputs(stage: ModuleType, workdir: Path, params: Any,
                 sources: Sources | None = None) -> dict[str, Any]:
    """The stage's input tables, read while its ``prepare(params)`` (if any) runs in a thread.

    Reading parquet releases the GIL, so the two overlap (segment: rjieba's dictionary, 0.1 s,
    loads while the documents are read).
    """
    streamed = set(getattr(stage, "STREAMED", ()))

    def read_all() -> dict[str, Any]:
        return {name: _read_input(source_of(workdir, name, sources), name, name in streamed)
                for name in stage.INPUTS}

    prepare = getattr(stage, "prepare", None)
    if prepare is None:
        return read_all()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{stage.NAME}-prepare") as pool:
        ready = pool.submit(prepare, params)
        tables = read_all()
        ready.result()  # re-raises what prepare raised
    return tables


def _relabel_only(stage: ModuleType, workdir: Path, recorded: dict[str, Any],
                  inputs: dict[str, str]) -> bool:
    """True when the last run differs only in the stage's ``RELABEL`` parameters (and the files
    they name), with its outputs on disk unmodified and the same wenmai version."""
    names = tuple(getattr(stage, "RELABEL", ()))
    manifest = store.read_manifest(workdir, stage.NAME)
    if not names or not hasattr(stage, "relabel") or manifest is None:
        return False
    from pipelines import __version__

    old_params = manifest.get("params", {})
    if manifest.get("wenmai_version") != __version__ or any(
            old_params.get(k) != recorded.get(k) for k in set(old_params) | set(recorded)
            if k not in names):
        return False

    def heavy(params: dict[str, Any], hashes: dict[str, str]) -> dict[str, str]:
        light = {f"file:{params[n]}" for n in names if params.get(n)}
        return {k: v for k, v in hashes.items() if k not in light}

    if heavy(old_params, manifest.get("inputs", {})) != heavy(recorded, inputs):
        return False
    folder = Path(workdir) / stage.NAME
    return all((folder / name).exists() and store.file_sha256(folder / name) == rec.get("sha256")
               for name, rec in manifest.get("outputs", {}).items())


def _relabel(stage: ModuleType, workdir: Path, params: Any, recorded: dict[str, Any],
             inputs: dict[str, str], sources: Sources | None = None) -> StageResult | None:
    """Apply ``stage.relabel`` to the outputs on disk; write them and the manifest (None, and
    nothing written, when the stage says it cannot)."""
    import pyarrow.parquet as pq

    started = time.time()
    folder = Path(workdir) / stage.NAME
    manifest = store.read_manifest(workdir, stage.NAME) or {}
    previous = manifest.get("params", {})
    outputs: dict[str, Any] = {}
    for name in manifest.get("outputs", {}):
        if name.endswith(".parquet"):
            outputs[name[: -len(".parquet")]] = pq.read_table(folder / name)
        else:
            outputs[name] = (folder / name).read_bytes()
    done = stage.relabel(outputs, params, tables=_read_inputs(stage, workdir, params, sources),
                         previous=previous)
    if done is None:
        return None
    written = store.write_outputs(workdir, stage.NAME, done, getattr(stage, "SCHEMAS", {}))
    finished = time.time()
    # the tables were computed by the last run; only their labels are new
    store.write_manifest(workdir, stage.NAME, params=recorded, inputs=inputs, outputs=written,
                         started=started, finished=finished,
                         libraries=manifest.get("libraries"))
    changed = [k for k in stage.RELABEL if previous.get(k) != recorded.get(k)] or ["files"]
    log.info("%s: relabelled in %.1f s (only %s changed; no model refitted)", stage.NAME,
             finished - started, ", ".join(changed))
    return StageResult(stage.NAME, True, written, ["relabel"], finished - started)


def run_stage(stage: ModuleType, workdir: Path, params: Any, *, force: bool = False,
              root: Path | None = None, sources: Sources | None = None) -> StageResult:
    """Run one stage unless it is fresh; its outputs and manifest replace the stage folder whole.

    Leftovers of an interrupted run of this stage are cleaned first (see
    :func:`pipelines.core.swap.recover`).

    Args:
        stage: The stage module.
        workdir: The work folder.
        params: The stage's resolved params.
        force: Run even when fresh, and write into a folder that is not yet a work folder.
        root: Project root (the config file's folder); see :func:`key_params`.
        sources: Where upstream stages' tables are read from (a named subset's run).
    """
    workdir = Path(workdir)
    check_workdir(workdir, force=force,
                  tables=[store.table_path(source_of(workdir, name, sources), name)
                          for name in stage.INPUTS])
    with workdir_lock(workdir, f"wenmai {stage.NAME}"):
        return _run_locked(stage, workdir, params, force=force, root=root, sources=sources)


def _run_locked(stage: ModuleType, workdir: Path, params: Any, *, force: bool,
                root: Path | None, sources: Sources | None) -> StageResult:
    """:func:`run_stage` while this process holds the work folder's lock: whatever runs of
    this stage left is theirs no longer (a live run would hold the lock), so it is cleaned
    whatever process id it names."""
    locked = holds_lock(workdir)  # False only on a file system without locks
    swap.recover(workdir, stage.NAME, store.MANIFEST, locked=locked)
    store.recover_spool(workdir, stage.NAME, locked=locked)
    outside = outside_project(params, root)
    if outside:  # allowed (inputs are only read), but the user sees where they come from
        log.warning("%s: %d input(s) lie outside the project folder %s: %s", stage.NAME,
                    len(outside), root, ", ".join(outside[:5])
                    + (f" and {len(outside) - 5} more" if len(outside) > 5 else ""))
    recorded = key_params(params, root)
    cache = InputHashes(workdir, stage.NAME)
    inputs = input_hashes(stage, workdir, params, root, cache=cache, sources=sources)
    state = store.stage_state(workdir, stage.NAME, recorded, inputs)
    if state.state == "fresh" and not force:
        cache.save()
        log.info("%s is fresh, skipped", stage.NAME)
        manifest = store.read_manifest(workdir, stage.NAME) or {}
        for note in library_notes(stage, manifest):
            log.warning("%s: %s", stage.NAME, note)
        return StageResult(stage.NAME, False, manifest.get("outputs", {}), [])
    if not force and state.state == "stale" and _relabel_only(stage, workdir, recorded, inputs):
        relabelled = _relabel(stage, workdir, params, recorded, inputs, sources)
        if relabelled is not None:
            return relabelled
    reasons = ["--force"] if force and state.state == "fresh" else state.reasons
    log.info("%s: running (%s)", stage.NAME, "; ".join(reasons))
    started = time.time()
    tables = _read_inputs(stage, workdir, params, sources)
    with store.spooling(workdir, stage.NAME):  # part files written during compute
        with engine.for_stage(stage.NAME):
            outputs = stage.compute(tables, params)
        written = store.write_outputs(workdir, stage.NAME, outputs,
                                      getattr(stage, "SCHEMAS", {}),
                                      manifest={"params": recorded, "inputs": inputs,
                                                "started": started,
                                                "libraries": provenance.versions(
                                                    getattr(stage, "LIBRARIES", ()))})
    cache.save()
    finished = time.time()
    log.info("%s: done in %.1f s", stage.NAME, finished - started)
    return StageResult(stage.NAME, True, written, reasons, finished - started)
