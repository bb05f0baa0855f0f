"""The commented ``wenmai.toml`` that ``wenmai init`` writes, generated from the params."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

from pipelines.core import params as P
from pipelines.core.errors import BadParams
from pipelines.core.resources import data_path
from pipelines.stages import ORDER

__all__ = ["config_template", "copy_example", "SET_IN_TEMPLATE"]

#: Keys ``wenmai init`` sets (uncommented), not at the library default: a new policy
#: project gets the policy-genre stopwords (see data/stopwords/SOURCE.md).
SET_IN_TEMPLATE: dict[tuple[str, str], Any] = {("segment", "policy_stopwords"): True}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_template(*, inputs: tuple[str, ...] = ("docs",)) -> str:
    """Every stage section with every key, its help and its allowed values, as comments.

    Only ``[ingest] inputs`` and the keys of ``SET_IN_TEMPLATE`` are set; every other key is
    commented out at its default, so the file documents the defaults without pinning them.
    """
    lines = [
        "# wenmai project file. Each [section] is a stage; every key is also a command-line",
        "# option of that stage (min_df <-> --min-df), and the command line wins.",
        "# Paths are relative to this file.",
        "",
        '# workdir = "work"',
    ]
    for stage in ORDER:
        lines += ["", f"[{stage.NAME}]"]
        for spec in P.specs(stage.Params):
            allowed = ""
            if spec.choices:
                allowed = " Allowed: " + ", ".join(spec.choices) + "."
            elif spec.min is not None or spec.max is not None:
                lo = "" if spec.min is None else f"{spec.min:g}"
                hi = "" if spec.max is None else f"{spec.max:g}"
                allowed = f" Range: {lo}..{hi}."
            for text in textwrap.wrap(spec.help + allowed, 94):
                lines.append(f"# {text}")
            if stage.NAME == "ingest" and spec.name == "inputs":
                lines.append(f"inputs = {_toml_value(inputs)}")
            elif (stage.NAME, spec.name) in SET_IN_TEMPLATE:
                lines.append(f"{spec.name} = "
                             f"{_toml_value(SET_IN_TEMPLATE[stage.NAME, spec.name])}")
            elif spec.default is None:
                lines.append(f"# {spec.name} =")
            else:
                lines.append(f"# {spec.name} = {_toml_value(spec.default)}")
    lines += ["",
              "# Where the partitions of ingest, segment, topics and code run (docs/scaling.md).",
              "[engine]", "# local (this machine, forked workers), processes (fresh worker "
              "processes) or dask.", '# name = "local"',
              "# Dask scheduler address; left out, --engine dask starts a LocalCluster here.",
              '# scheduler = "tcp://head-node:8786"',
              "# LocalCluster worker processes (0 = every core).", "# workers = 0",
              "# The stages that use the engine (empty = every stage).", "# stages = []",
              "",
              "# Named subsets: `wenmai run --subset NAME` runs the stages after segment on the "
              "documents", "# passing the filter, in work/subsets/NAME (docs/subsets.md).",
              "[subsets]", '# since_2013 = "year >= 2013"']
    return "\n".join(lines) + "\n"


def copy_example(folder: Path, *, force: bool = False) -> list[Path]:
    """Copy the shipped sample project (``docs/``, ``wenmai.toml``, ``SOURCE.md``) into ``folder``.

    Args:
        folder: The new project folder (made if missing).
        force: Overwrite files of an earlier copy; otherwise any of them existing is an error.

    Returns:
        The paths written, ``wenmai.toml`` first.

    Raises:
        BadParams: ``folder`` already holds one of the files and ``force`` is not given.
    """
    sample = data_path("sample")
    names = ["wenmai.toml", "SOURCE.md"] + [f"docs/{p.name}" for p in
                                             sorted((sample / "docs").iterdir()) if p.is_file()]
    there = [name for name in names if (folder / name).exists()]
    if there and not force:
        raise BadParams(f"{folder / there[0]} exists; use --force to overwrite it")
    written = []
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample / name, target)
        written.append(target)
    return written
