"""Declarative parameter fields shared by every stage's frozen params dataclass.

A stage declares its parameters as a frozen dataclass whose fields are made with
:func:`param`. The metadata (help text, allowed choices, numeric range, whether the value
is a path) drives three things the same way for every stage: validation in ``config``, the
Click options in ``cli``, and the commented ``wenmai.toml`` that ``wenmai init`` writes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.core.errors import BadParams

__all__ = ["param", "ParamSpec", "specs", "validate", "coerce", "to_dict"]


def param(
    default: Any,
    help: str,
    *,
    choices: Sequence[str] | None = None,
    min: float | None = None,
    max: float | None = None,
    path: bool = False,
    anywhere: bool = False,
    cli: bool = True,
    key: bool = True,
) -> Any:
    """Declare one stage parameter.

    Args:
        default: The default value; tuples for list-valued parameters.
        help: One sentence for ``--help`` and the commented config.
        choices: Allowed values (for a tuple field, allowed items).
        min: Smallest allowed number (inclusive).
        max: Largest allowed number (inclusive).
        path: The value is a file path (or tuple of paths), resolved relative to the config.
        anywhere: A path the stage only reads and that may lie anywhere the user names, also
            in a config file (ingest's ``inputs``); other paths in a config file must stay
            inside the project or wenmai's data (see :mod:`pipelines.core.config`).
        cli: Expose the parameter as a command-line option.
        key: The value can change the outputs, so it is part of the freshness key
            (``workers`` is not: it changes speed, never results).

    Returns:
        A dataclass field carrying the metadata.
    """
    meta = {"help": help, "choices": tuple(choices) if choices else None, "min": min,
            "max": max, "path": path, "anywhere": anywhere, "cli": cli, "key": key}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class ParamSpec:
    """What a parameter accepts, read from a dataclass field."""

    name: str
    kind: type  # int, float, bool, str, or tuple (a list of str)
    optional: bool
    default: Any
    help: str
    choices: tuple[str, ...] | None
    min: float | None
    max: float | None
    path: bool
    cli: bool
    key: bool
    anywhere: bool = False

    @property
    def option(self) -> str:
        """The command-line spelling, ``min_df`` -> ``--min-df``."""
        return "--" + self.name.replace("_", "-")


def _kind(annotation: Any) -> tuple[type, bool]:
    """Map a field annotation to (base kind, optional)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        kind, _ = _kind(args[0])
        return kind, True
    if origin is tuple or annotation is tuple:
        return tuple, False
    return annotation, False


def specs(params_cls: type) -> list[ParamSpec]:
    """List the parameter specs of a params dataclass, in declaration order."""
    hints = typing.get_type_hints(params_cls)
    out = []
    for f in dataclasses.fields(params_cls):
        kind, optional = _kind(hints[f.name])
        m = f.metadata
        out.append(ParamSpec(f.name, kind, optional, f.default, m.get("help", ""),
                             m.get("choices"), m.get("min"), m.get("max"),
                             m.get("path", False), m.get("cli", True), m.get("key", True),
                             m.get("anywhere", False)))
    return out


def coerce(spec: ParamSpec, value: Any, *, where: str) -> Any:
    """Convert a config or CLI value to the spec's kind, or raise BadParams naming it."""
    if value is None:
        if spec.optional:
            return None
        raise BadParams(f"{where}: {spec.name} must be set")
    try:
        if spec.kind is tuple:
            if isinstance(value, str):
                items = [v.strip() for v in value.split(",")]
            elif isinstance(value, list | tuple):
                items = []
                for v in value:
                    items.extend(s.strip() for s in str(v).split(","))
            else:
                raise TypeError
            return tuple(v for v in items if v)
        if spec.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "1", "on"):
                return True
            if text in ("false", "no", "0", "off"):
                return False
            raise TypeError
        if spec.kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            return int(value)
        if spec.kind is float:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if spec.kind is str:
            if isinstance(value, list | dict):
                raise TypeError
            return str(value)
    except (TypeError, ValueError):
        raise BadParams(
            f"{where}: {spec.name} must be {_kind_name(spec)}, got {value!r}"
        ) from None
    return value


def _kind_name(spec: ParamSpec) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "text",
            tuple: "a list (or comma-separated text)"}.get(spec.kind, spec.kind.__name__)


def validate(spec: ParamSpec, value: Any, *, where: str) -> None:
    """Check choices and range; raise BadParams naming the key, allowed values and value."""
    if value is None:
        return
    if spec.choices:
        items = value if spec.kind is tuple else (value,)
        bad = [v for v in items if v not in spec.choices]
        if bad:
            raise BadParams(
                f"{where}: {spec.name}={bad[0]!r} is not allowed; choose from "
                + ", ".join(spec.choices)
            )
    if spec.min is not None and value < spec.min:
        raise BadParams(f"{where}: {spec.name}={value!r} is below the minimum {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise BadParams(f"{where}: {spec.name}={value!r} is above the maximum {spec.max:g}")


def to_dict(params: Any, *, key_only: bool = False) -> dict[str, Any]:
    """Params as a JSON-ready dict (tuples become lists).

    Args:
        params: A params dataclass instance.
        key_only: Leave out parameters declared with ``key=False`` (they never change results).
    """
    skip = {s.name for s in specs(type(params)) if not s.key} if key_only else set()
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(params).items() if k not in skip}
