"""Named subsets: the analyses of a part of the corpus, beside those of the whole.

``[subsets]`` in wenmai.toml names ``where`` filters (:mod:`pipelines.core.where`)::

    [subsets]
    since_2013 = "year >= 2013"
    west = "province in ('新疆', '西藏')"

``--subset since_2013`` runs the stages after ``segment`` (terms, topics, network, code,
figures, report) with that filter, in the subset's own work folder
``<workdir>/subsets/since_2013/``: its tables, manifests, figures and report sit beside the
whole corpus's, so both can be compared side by side. ``ingest`` and ``segment`` are shared:
a subset reads the project's ``ingest/documents`` and ``segment/tokens`` where they are (no
copy, no second segmentation), and its stages are stale when those change.

The subset's filter is each analysis stage's ``where`` parameter (recorded in its manifest);
a stage's own ``where`` (in its section or on the command line) narrows it further:
``(subset) and (own)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pipelines.core import params as P
from pipelines.core.config import Config
from pipelines.core.errors import BadParams

__all__ = ["SHARED", "FOLDER", "Scope", "scope", "folder_of", "narrowed"]

#: Stages every subset shares with the whole project (their outputs are read, never copied).
SHARED = ("ingest", "segment")
#: The folder of the subsets inside the work folder.
FOLDER = "subsets"


@dataclass(frozen=True)
class Scope:
    """Where a run reads and writes: the project's work folder, or a named subset's.

    Attributes:
        workdir: The project's work folder.
        name: The subset's name (None: the whole corpus).
        where: The subset's filter.
    """

    workdir: Path
    name: str | None = None
    where: str | None = None
    sources: dict[str, Path] = field(default_factory=dict)

    @property
    def own(self) -> Path:
        """The folder of the stages this scope runs itself (the subset's, or the project's)."""
        return self.workdir if self.name is None else folder_of(self.workdir, self.name)

    def folder(self, stage: str) -> Path:
        """The work folder ``stage`` writes into."""
        return self.workdir if stage in SHARED else self.own

    def sources_of(self, stage: str) -> dict[str, Path] | None:
        """Where ``stage`` reads upstream tables that are not in its own folder."""
        if self.name is None or stage in SHARED:
            return None
        return dict(self.sources)


def folder_of(workdir: Path, name: str) -> Path:
    """The work folder of subset ``name``."""
    return Path(workdir) / FOLDER / name


def scope(config: Config, workdir: Path, name: str | None) -> Scope:
    """The scope of ``--subset name`` (the whole corpus when None).

    Raises:
        BadParams: the config defines no subset of that name.
    """
    if name is None:
        return Scope(Path(workdir))
    if name not in config.subsets:
        where = f"{config.path}" if config.path else "wenmai.toml (none given)"
        known = ", ".join(config.subsets) or "none"
        raise BadParams(f"--subset {name!r} is not defined under [subsets] in {where} "
                        f"(defined: {known}); add e.g. {name} = \"year >= 2013\" there")
    workdir = Path(workdir)
    return Scope(workdir, name, config.subsets[name], {s: workdir for s in SHARED})


def narrowed(stage: ModuleType, config: Config, scope: Scope,
             overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` with the subset's filter as the stage's ``where`` (joined with the stage's
    own ``where``, from the command line or its config section, by ``and``)."""
    out = dict(overrides)
    if scope.where is None or stage.NAME in SHARED:
        return out
    if "where" not in {s.name for s in P.specs(stage.Params)}:
        return out
    own = out.get("where") or config.sections.get(stage.NAME, {}).get("where")
    out["where"] = f"({scope.where}) and ({own})" if own else scope.where
    return out

