"""Whole-project operations: run the stages in order, report their state, find tables."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.core import params as P
from pipelines.core import store
from pipelines.core.config import Config, resolve_params
from pipelines.core.errors import BadParams
from pipelines.core.lock import workdir_lock
from pipelines.core.paths import check_workdir
from pipelines.core.remote import is_url
from pipelines.core.resources import DATA_DIR
from pipelines.core.runner import DATA_PREFIX, StageResult, current_state, run_stage
from pipelines.stages import ORDER, STAGES
from pipelines.subsets import SHARED, Scope, narrowed, scope

__all__ = ["run_all", "statuses", "upstream", "resolve_table_name", "list_tables",
           "scoped_tables"]

log = logging.getLogger("wenmai")


def run_all(
    config: Config,
    workdir: Path,
    *,
    force: bool = False,
    until: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    subset: str | None = None,
) -> list[StageResult]:
    """Run every stage in order (up to ``until``), skipping fresh ones unless ``force``; with
    ``subset``, the stages after segment run in that subset's folder (:mod:`pipelines.subsets`).
    """
    if until is not None and until not in STAGES:
        raise BadParams(f"run: --until {until!r} is not a stage; choose from "
                        + ", ".join(STAGES))
    overrides = overrides or {}
    where = scope(config, workdir, subset)
    results: list[StageResult] = []
    # the lock for the whole run (not per stage), after the folder is known to be one wenmai
    # may write in
    check_workdir(workdir, force=force, tables=[store.table_path(workdir, name)
                                                for stage in ORDER for name in stage.INPUTS])
    with workdir_lock(workdir, "wenmai run"):
        for stage in ORDER:
            given = {**_recorded(stage, config, workdir), **overrides.get(stage.NAME, {})}
            params = resolve_params(stage, config, narrowed(stage, config, where, given))
            results.append(run_stage(stage, where.folder(stage.NAME), params, force=force,
                                     root=config.base, sources=where.sources_of(stage.NAME)))
            if stage.NAME == until:
                break
    return results


def upstream(stage: Any) -> list[str]:
    """The stages whose outputs ``stage`` reads (from its ``INPUTS``), in run order."""
    names = {name.split("/", 1)[0] for name in stage.INPUTS}
    return [s.NAME for s in ORDER if s.NAME in names and s.NAME != stage.NAME]


def statuses(config: Config, workdir: Path, subset: str | None = None
             ) -> list[store.StageState]:
    """Fresh / stale (with reasons) / missing for every stage, from manifests and inputs.

    A stage is stale when anything upstream is stale or missing, even if its own inputs on
    disk still match its manifest: the upstream stage will rerun, and what it writes decides
    whether this one must ("stale: upstream topics is stale").
    """
    states: dict[str, store.StageState] = {}
    where = scope(config, workdir, subset)
    for stage in ORDER:
        given = narrowed(stage, config, where, _recorded(stage, config, workdir))
        state = current_state(stage, where.folder(stage.NAME),
                              resolve_params(stage, config, given), root=config.base,
                              sources=where.sources_of(stage.NAME))
        behind = [u for u in upstream(stage) if states[u].state != "fresh"]
        if behind and state.state != "missing":
            state.state = "stale"
            state.reasons = state.reasons + [f"upstream {u} is {states[u].state}"
                                             for u in behind]
        states[stage.NAME] = state
    return list(states.values())


def _recorded_path(value: str, base: Path) -> str:
    """A path as the runner recorded it (:func:`runner.key_params`): relative to the project,
    or ``wenmai-data:...`` inside wenmai's own ``data/``."""
    if value.startswith(DATA_PREFIX):
        return str(DATA_DIR / value.removeprefix(DATA_PREFIX))
    if is_url(value) or value.startswith("builtin:"):  # recorded as given
        return value
    return str(base / value)


def _recorded(stage: Any, config: Config, workdir: Path) -> dict[str, Any]:
    """The params a stage last ran with, when the config names no inputs for it.

    After ``wenmai ingest FOLDER`` without a wenmai.toml, ``run`` and ``status`` use the
    inputs (and options) recorded in ingest's manifest instead of failing on "no input files".
    """
    section = config.sections.get(stage.NAME, {})
    if "inputs" not in {s.name for s in P.specs(stage.Params)} or section.get("inputs"):
        return {}
    recorded = (store.read_manifest(workdir, stage.NAME) or {}).get("params") or {}
    if not recorded.get("inputs"):
        return {}
    specs = {s.name: s for s in P.specs(stage.Params)}
    base = config.base.resolve()
    out: dict[str, Any] = {}
    for name, value in recorded.items():
        if name not in specs or name in section:
            continue
        if specs[name].path and value:  # recorded relative to the project root
            values = value if isinstance(value, list) else [value]
            paths = [_recorded_path(v, base) for v in values]
            outside = [p for p, v in zip(paths, values, strict=True)
                       if not v.startswith(DATA_PREFIX)
                       and (is_url(v) or not Path(os.path.abspath(p)).is_relative_to(base))]
            # a work folder from elsewhere must not make us read other files or fetch a URL
            if outside:
                log.warning("%s: the manifest names %s outside %s; not used. Set `inputs` "
                            "under [%s] in wenmai.toml", stage.NAME, outside[0], base,
                            stage.NAME)
                return {}
            value = paths if isinstance(value, list) else paths[0]
        out[name] = value
    log.info("%s: using the inputs of the last `wenmai %s` (%s); set `inputs` under [%s] in "
             "wenmai.toml to fix them", stage.NAME, stage.NAME, ", ".join(recorded["inputs"]),
             stage.NAME)
    return out


def list_tables(workdir: Path) -> list[str]:
    """Names (``stage/table``) of the parquet tables present in the work folder."""
    names = []
    for stage in ORDER:
        folder = Path(workdir) / stage.NAME
        found = {p.stem for p in folder.glob("*.parquet")}
        found |= {p.name for p in folder.glob("*/") if any(p.glob("part-*.parquet"))}
        names.extend(f"{stage.NAME}/{name}" for name in sorted(found))
    return names


def scoped_tables(where: Scope) -> dict[str, Path]:
    """Table name -> the work folder it lies in, for a scope: a subset's own tables and the
    project's ``ingest`` and ``segment`` tables (all of the project's without a subset)."""
    out = {name: where.workdir for name in list_tables(where.workdir)
           if where.name is None or name.split("/")[0] in SHARED}
    if where.name is not None:
        out.update({name: where.own for name in list_tables(where.own)
                    if name.split("/")[0] not in SHARED})
    return out


def resolve_table_name(workdir: Path, name: str, present: list[str] | None = None) -> str:
    """Accept ``stage/table`` or a bare table name that is unique in the work folder (or among
    ``present``)."""
    if "/" in name:
        return name
    present = list_tables(workdir) if present is None else present
    matches = [t for t in present if t.split("/", 1)[1] == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(present) or "none yet (run `wenmai run` first)"
        raise BadParams(f"show: no table named {name!r} in {workdir}; tables: {known}")
    raise BadParams(f"show: {name!r} is ambiguous; use one of " + ", ".join(matches))
