"""Load and validate ``wenmai.toml``, and resolve a stage's parameters with CLI overrides.

The file has one table per stage (``[ingest]``, ``[segment]``, ...) whose keys are that stage's
parameters, plus an optional top-level ``workdir``, an optional ``[engine]`` table (where
partitions run; see :mod:`pipelines.core.engine`) and an optional ``[subsets]`` table of named
``where`` filters (``since_2013 = "year >= 2013"``; see :mod:`pipelines.subsets`). Paths in
the file are relative to the file and must stay inside its folder (the project; wenmai's
shipped ``data/`` is allowed too); paths given on the command line are relative to the current
folder and may be anywhere. The command line wins.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pipelines.core import params as P
from pipelines.core.engine import engine_from_config
from pipelines.core.errors import BadParams, ConfigError
from pipelines.core.paths import inside
from pipelines.core.resources import DATA_DIR

__all__ = ["Config", "load_config", "resolve_params", "TOP_LEVEL_KEYS"]

TOP_LEVEL_KEYS = ("workdir",)


@dataclass
class Config:
    """A loaded configuration: raw sections plus where the file lives."""

    path: Path | None
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    workdir: Path | None = None
    engine: dict[str, Any] = field(default_factory=dict)
    subsets: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        """Folder that relative paths in the file are relative to."""
        return self.path.parent if self.path else Path.cwd()


def load_config(path: Path | None, stages: Mapping[str, ModuleType]) -> Config:
    """Read and check a ``wenmai.toml``; ``None`` gives an empty configuration.

    Raises:
        ConfigError: the file is missing or not TOML, or names an unknown section or key.
        BadParams: a value is of the wrong kind or outside the allowed values.
    """
    if path is None:
        return Config(None)
    path = Path(path).resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; create one with `wenmai init`") \
            from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {path} cannot be read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path} is not valid TOML: {err}") from err
    config = Config(path)
    for key, value in raw.items():
        if key in stages:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table of settings")
            config.sections[key] = value
        elif key == "workdir":
            config.workdir = _inside_project(str(value), path.parent,
                                             f"{path}: workdir").resolve()
        elif key == "engine" and isinstance(value, dict):
            config.engine = value
            spec = engine_from_config(value, where=f"{path} [engine]")
            unknown = [s for s in spec.stages if s not in stages]
            if unknown:
                raise ConfigError(f"{path} [engine]: stages names {unknown[0]!r}, which is not "
                                  "a stage; choose from " + ", ".join(stages))
        elif key == "subsets" and isinstance(value, dict):
            config.subsets = _subsets(value, f"{path} [subsets]")
        else:
            allowed = ", ".join([*TOP_LEVEL_KEYS, "[engine]", "[subsets]",
                                 *(f"[{s}]" for s in stages)])
            raise ConfigError(f"{path}: unknown key or section {key!r}; allowed: {allowed}")
    for name in config.sections:
        resolve_params(stages[name], config, {})
    return config


def _subsets(table: dict[str, Any], where: str) -> dict[str, str]:
    """The ``[subsets]`` table: a folder-safe name -> a ``where`` expression that parses.

    Raises:
        ConfigError: a name is not letters, digits, ``_`` or ``-``, or a value is not text.
        BadParams: an expression does not parse.
    """
    import re

    from pipelines.core.where import parse

    out = {}
    for name, text in table.items():
        if not re.fullmatch(r"[^\W][\w-]*", name):
            raise ConfigError(f"{where}: subset name {name!r} must be letters, digits, _ or - "
                              "(it names a folder), e.g. since_2013")
        if not isinstance(text, str):
            raise ConfigError(f"{where}: {name} must be a where expression in quotes, e.g. "
                              f'{name} = "year >= 2013"')
        try:
            parse(text)
        except BadParams as err:
            raise BadParams(f"{where} {name}: {err}") from None
        out[name] = text
    return out


def resolve_params(stage: ModuleType, config: Config, overrides: Mapping[str, Any]) -> Any:
    """Build the stage's params: defaults, then the config section, then CLI overrides.

    Args:
        stage: The stage module (has ``NAME`` and ``Params``).
        config: The loaded configuration.
        overrides: Values the user set on the command line (paths relative to the cwd).

    Returns:
        A frozen ``stage.Params`` instance.
    """
    specs = {s.name: s for s in P.specs(stage.Params)}
    section = config.sections.get(stage.NAME, {})
    where_file = f"{config.path} [{stage.NAME}]" if config.path else stage.NAME
    unknown = sorted(set(section) - set(specs))
    if unknown:
        raise ConfigError(f"{where_file}: unknown key {unknown[0]!r}; allowed keys: "
                          + ", ".join(specs))
    values: dict[str, Any] = {}
    for name, value in section.items():
        values[name] = _checked(specs[name], value, where_file, config.base, confined=True)
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in specs:
            raise BadParams(f"{stage.NAME}: unknown option {name!r}")
        values[name] = _checked(specs[name], value, f"{stage.NAME} (command line)", Path.cwd(),
                                confined=False)
    try:
        return stage.Params(**values)
    except (TypeError, ValueError) as err:
        raise BadParams(f"{stage.NAME}: {err}") from err


def _checked(spec: P.ParamSpec, value: Any, where: str, base: Path, *, confined: bool) -> Any:
    value = P.coerce(spec, value, where=where)
    P.validate(spec, value, where=where)
    if spec.path and value:
        where = f"{where} {spec.name}"
        if isinstance(value, tuple):
            value = tuple(_resolve_path(v, base, where, confined) for v in value)
        else:
            value = _resolve_path(value, base, where, confined)
    return value


def _resolve_path(value: str, base: Path, where: str, confined: bool) -> str:
    if "://" in value or value.startswith("builtin:"):
        return value
    if confined:
        return str(_inside_project(value, base, where))
    return str(base / Path(value).expanduser())


def _inside_project(value: str, base: Path, where: str) -> Path:
    """A path from the config file, which must stay inside the project folder (or wenmai's data).

    A project received from someone else must not make wenmai read or write elsewhere on this
    machine (``inputs = ["~/.ssh"]``, ``workdir = "/"``); a path outside the project can still
    be given on the command line.

    Raises:
        ConfigError: the path is absolute outside the project, climbs out with ``..``, or
            leaves it through a symlink.
    """
    text = str(value)
    parts = Path(text).parts
    cut = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), len(parts))
    fixed = base.joinpath(*parts[:cut])  # a glob pattern is checked by its fixed folders
    if text.startswith("~") or ".." in parts or not (inside(fixed, base)
                                                     or inside(fixed, DATA_DIR)):
        raise ConfigError(f"{where}: {text!r} lies outside the project folder {base}; move "
                          "it into the project, or give it on the command line instead")
    return base / text
