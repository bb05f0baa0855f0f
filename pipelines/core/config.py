"""Load and validate ``wenmai.toml``, and resolve a stage's parameters with CLI overrides.

The file has one table per stage (``[ingest]``, ``[segment]``, ...) whose keys are that stage's
parameters, plus an optional top-level ``workdir``, an optional ``[engine]`` table (where
partitions run; see :mod:`pipelines.core.engine`) and an optional ``[subsets]`` table of named
``where`` filters (``since_2013 = "year >= 2013"``; see :mod:`pipelines.subsets`). The command
line wins.

One rule for every path value, however it is written (issue 30):

- Paths in the file are relative to the file; paths on the command line are relative to the
  current folder. ``file://`` and ``local://`` URLs are local paths and follow the same rule.
- Inputs (a parameter declared ``anywhere``: ingest's ``inputs``) may lie anywhere the user
  names, in the file or on the command line, symlinks too: wenmai only reads them, and a run
  names those outside the project (:func:`outside_project`).
- Every other path in the file (labels, stopwords, dictionaries, codebooks, metadata, the
  work folder) must resolve inside the project folder or wenmai's shipped ``data/``; the same
  path given on the command line may be anywhere.
- A network URL (``s3://``, ``https://``, ...) is accepted only for inputs, and only when the
  user enables it (``[ingest] remote = true`` or ``--remote``), so a received project cannot
  make wenmai fetch a URL (``http://127.0.0.1/...``) by default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from pipelines.core import params as P
from pipelines.core.engine import engine_from_config
from pipelines.core.errors import BadParams, ConfigError
from pipelines.core.paths import inside
from pipelines.core.remote import is_url
from pipelines.core.resources import DATA_DIR

__all__ = ["Config", "load_config", "resolve_params", "outside_project", "TOP_LEVEL_KEYS"]

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
    _check_urls(stage.NAME, specs, values)
    try:
        return stage.Params(**values)
    except (TypeError, ValueError) as err:
        raise BadParams(f"{stage.NAME}: {err}") from err


def outside_project(params: Any, root: Path | None) -> list[str]:
    """The inputs (``anywhere`` paths) of ``params`` that lie outside the project ``root``,
    symlinks followed; URLs count as outside."""
    if root is None:
        return []
    out = []
    for spec in P.specs(type(params)):
        value = getattr(params, spec.name, None)
        if not (spec.anywhere and value):
            continue
        for item in value if isinstance(value, tuple) else (value,):
            if is_url(item) or not inside(_fixed_part(Path(item)), root):
                out.append(item)
    return out


def _check_urls(stage: str, specs: Mapping[str, P.ParamSpec], values: Mapping[str, Any]
                ) -> None:
    """Network URLs only where the stage reads inputs and the user enabled ``remote``.

    Raises:
        BadParams: a URL elsewhere, or with ``remote`` off.
    """
    remote_on = bool(values.get("remote", False))
    for name, value in values.items():
        spec = specs[name]
        if not (spec.path and value):
            continue
        for item in value if isinstance(value, tuple) else (value,):
            if not is_url(item):
                continue
            if not spec.anywhere:
                raise BadParams(f"{stage}: {name} {item!r} is a URL; give a file path")
            if not remote_on:
                raise BadParams(f"{stage}: input {item!r} is a network URL, and reading from "
                                f"the network is off; set `remote = true` in [{stage}] or pass "
                                "--remote if you mean it")


def _checked(spec: P.ParamSpec, value: Any, where: str, base: Path, *, confined: bool) -> Any:
    value = P.coerce(spec, value, where=where)
    P.validate(spec, value, where=where)
    if spec.path and value:
        where = f"{where} {spec.name}"
        confined = confined and not spec.anywhere
        if isinstance(value, tuple):
            value = tuple(_resolve_path(v, base, where, confined) for v in value)
        else:
            value = _resolve_path(value, base, where, confined)
    return value


def _resolve_path(value: str, base: Path, where: str, confined: bool) -> str:
    """One path value as wenmai will use it (see the module docstring); a network URL is
    returned as written, for :func:`_check_urls` to judge."""
    if value.startswith("builtin:"):
        return value
    if is_url(value):
        scheme, _, rest = value.partition("://")
        if scheme.lower() in _LOCAL_SCHEMES:  # file:///abs, file://rel, local://glob
            value = unquote(rest)
        elif not (base / value.split("/", 1)[0]).exists():  # a folder named "x:" is a path
            return value
    if confined:
        return str(_inside_project(value, base, where))
    return str(base / Path(value).expanduser())


#: URL schemes that name a file on this machine: read as the path they hold
_LOCAL_SCHEMES = ("file", "local")


def _fixed_part(path: Path) -> Path:
    """The folders of ``path`` before its first glob character (a pattern is judged by them)."""
    parts = path.parts
    cut = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), len(parts))
    return Path(*parts[:cut]) if cut else Path(".")


def _inside_project(value: str, base: Path, where: str) -> Path:
    """A path from the config file, which must stay inside the project folder (or wenmai's data).

    A project received from someone else must not make wenmai read or write elsewhere on this
    machine (``labels = "~/.ssh/id_rsa"``, ``workdir = "/"``); a path outside the project can
    still be given on the command line.

    Raises:
        ConfigError: the path is absolute outside the project, climbs out with ``..``, or
            leaves it through a symlink.
    """
    text = str(value)
    fixed = base / _fixed_part(Path(text))  # a glob pattern is checked by its fixed folders
    if text.startswith("~") or ".." in Path(text).parts or not (inside(fixed, base)
                                                                or inside(fixed, DATA_DIR)):
        raise ConfigError(f"{where}: {text!r} lies outside the project folder {base}; move "
                          "it into the project, or give it on the command line instead")
    return base / text
