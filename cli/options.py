"""Shared option decorators, the app context, and the one error-translation wrapper."""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from pipelines.core import params as P
from pipelines.core.config import Config, load_config
from pipelines.core.engine import ENGINES, EngineSpec, engine_from_config, use
from pipelines.core.errors import BadParams, ConfigError, WenmaiError

__all__ = ["App", "stage_options", "subset_option", "force_option", "handle_errors",
           "overrides_from", "echo_result", "run_one"]

log = logging.getLogger("wenmai")


@dataclass
class App:
    """What the `wenmai` group passes to every command."""

    config_path: Path | None
    workdir_option: Path | None
    debug: bool
    engine_option: str | None = None
    scheduler_option: str | None = None
    subset_option: str | None = None

    def config(self) -> Config:
        """Load and validate the configuration (``./wenmai.toml`` when none is given)."""
        from pipelines.stages import STAGES

        path = self.config_path
        if path is None and Path("wenmai.toml").is_file():
            path = Path("wenmai.toml")
        return load_config(path, STAGES)

    def workdir(self, config: Config) -> Path:
        """--workdir, else ``workdir`` in the config, else ``./work``."""
        if self.workdir_option is not None:
            return self.workdir_option.resolve()
        return config.workdir or Path("work").resolve()

    def engine(self, config: Config) -> EngineSpec:
        """--engine/--scheduler, else the ``[engine]`` section, else ``local``."""
        where = f"{config.path} [engine]" if config.path else "[engine]"
        name = self.engine_option or ("dask" if self.scheduler_option else None)
        return engine_from_config(config.engine, where=where, name=name,
                                  scheduler=self.scheduler_option)


def _option_for(spec: P.ParamSpec) -> Callable:
    default = spec.default
    shown = ",".join(default) if isinstance(default, tuple) else default
    help_text = spec.help
    if spec.kind is tuple:
        help_text += " Comma-separated."
    if shown not in (None, ""):
        help_text += f"  [default: {str(shown).lower() if spec.kind is bool else shown}]"
    if spec.kind is bool:
        flag = spec.option[2:]
        return click.option(f"--{flag}/--no-{flag}", spec.name, default=None, help=help_text)
    if spec.choices and spec.kind is str:
        kind: Any = click.Choice(spec.choices)
    elif spec.kind is int:  # a range without bounds would show as [x<=None]
        unbounded = spec.min is None and spec.max is None
        kind = click.INT if unbounded else click.IntRange(spec.min, spec.max)
    elif spec.kind is float:
        unbounded = spec.min is None and spec.max is None
        kind = click.FLOAT if unbounded else click.FloatRange(spec.min, spec.max)
    else:
        kind = str
    metavar = "LIST" if spec.kind is tuple else None
    return click.option(spec.option, spec.name, type=kind, default=None, help=help_text,
                        metavar=metavar)


def _set_on_app(field: str) -> Callable:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        app = ctx.find_object(App)
        if value is not None and app is not None:
            setattr(app, field, value)

    return callback


#: ``--engine`` and ``--scheduler`` after a stage command that has partitions (one with a
#: ``workers`` parameter); they set the same values as the group's options.
engine_options = (
    click.option("--engine", type=click.Choice(ENGINES), expose_value=False,
                 callback=_set_on_app("engine_option"),
                 help="Where this stage's partitions run: local, processes or dask "
                      "(docs/scaling.md).  [default: [engine] in the config, else local]"),
    click.option("--scheduler", metavar="URL", expose_value=False,
                 callback=_set_on_app("scheduler_option"),
                 help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask)."),
)


#: ``--subset NAME`` on the commands that can run on a named subset (the stages after segment,
#: run, status, show); it sets ``App.subset_option``.
subset_option = click.option(
    "--subset", metavar="NAME", expose_value=False, callback=_set_on_app("subset_option"),
    help="Work on the named subset of [subsets] in wenmai.toml: the stages after segment read "
         "the project's documents and tokens filtered by its where, and write to "
         "<workdir>/subsets/NAME (docs/subsets.md).")


def stage_options(params_cls: type, *, skip: Iterable[str] = ()) -> Callable:
    """Add one option per stage parameter (``min_df`` -> ``--min-df``), defaulting to unset,
    and ``--engine``/``--scheduler`` when the stage has partitions (a ``workers`` parameter)."""
    skipped = set(skip)
    specs = P.specs(params_cls)

    def decorate(func: Callable) -> Callable:
        if any(spec.name == "workers" for spec in specs):
            for option in reversed(engine_options):
                func = option(func)
        for spec in reversed(specs):
            if spec.cli and spec.name not in skipped:
                func = _option_for(spec)(func)
        return func

    return decorate


def overrides_from(params_cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The stage options the user actually set (config resolves their paths against the cwd)."""
    out = {}
    for spec in P.specs(params_cls):
        value = kwargs.get(spec.name)
        if value is None:
            continue
        out[spec.name] = value
    return out


force_option = click.option("--force", is_flag=True,
                            help="Rerun even if the outputs are fresh.")


def handle_errors(stage: str) -> Callable:
    """Map errors to one line and an exit code: usage 2, known errors 1, the rest 1."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            app: App | None = click.get_current_context().find_object(App)
            debug = bool(app and app.debug)
            try:
                return func(*args, **kwargs)
            except (ConfigError, BadParams) as err:
                if debug:
                    raise
                raise click.UsageError(str(err)) from err
            except WenmaiError as err:
                if debug:
                    raise
                raise click.ClickException(str(err)) from err
            except click.ClickException:
                raise
            except BrokenPipeError:
                # the reader (`| head`) left; the work is done, so leave quietly
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(0)
            except KeyboardInterrupt:
                raise click.ClickException(f"{stage}: interrupted; outputs of the stage that "
                                           "was running were not replaced") from None
            except OSError as err:
                if debug or err.errno not in _OUT_OF_SPACE:
                    if debug:
                        raise
                    raise click.ClickException(_unexpected(stage, err)) from err
                raise click.ClickException(_out_of_space(stage, err, app)) from err
            except Exception as err:  # the one place that catches everything
                if debug:
                    raise
                raise click.ClickException(_unexpected(stage, err)) from err

        return wrapper

    return decorate


#: errno values that mean the disk, a quota or a file-size limit ran out
_OUT_OF_SPACE = {errno.ENOSPC: "disk space", errno.EFBIG: "the file-size limit",
                 errno.EDQUOT: "the disk quota"}


def _unexpected(stage: str, err: BaseException) -> str:
    return (f"{stage} failed unexpectedly: {type(err).__name__}: {err}; "
            "rerun with --debug for the traceback")


def _out_of_space(stage: str, err: OSError, app: App | None) -> str:
    """What ran out, where, and that nothing finished was replaced (a stage's outputs are
    swapped in whole only after every file is written)."""
    where = err.filename
    if where is None and app is not None:
        with contextlib.suppress(WenmaiError, OSError):
            where = app.workdir(app.config())
    return (f"{stage}: ran out of {_OUT_OF_SPACE[err.errno]} ({err.strerror}) while writing "
            f"in {where or 'the work folder'}; the previous outputs are intact (nothing was "
            "replaced); free space or raise the limit (`ulimit -f`) and rerun")


def echo_result(result: Any, workdir: Path) -> None:
    """Print what a stage did to stdout: the files written with row counts, or 'fresh'."""
    if not result.ran:
        click.echo(f"{result.stage}: fresh, nothing to do (use --force to rerun)")
        return
    click.echo(f"{result.stage}: done in {result.seconds:.1f} s")
    datasets: dict[str, list[int]] = {}  # a dataset's part files: one line
    for filename, record in sorted(result.outputs.items()):
        folder, _, name = filename.rpartition("/")
        if folder and name.startswith("part-") and "rows" in record:
            datasets.setdefault(folder, []).append(int(record["rows"]))
            continue
        rows = f"  {record['rows']} rows" if "rows" in record else ""
        click.echo(f"  {workdir / result.stage / filename}{rows}")
    for folder, rows in sorted(datasets.items()):
        parts = f"{len(rows)} part{'s' if len(rows) > 1 else ''}"
        click.echo(f"  {workdir / result.stage / folder}/  {sum(rows)} rows in {parts}")


def run_one(app: App, stage: Any, overrides: dict[str, Any], *, force: bool) -> None:
    """The recipe of every stage command: config, params with CLI overrides, run, report."""
    from pipelines.core.config import resolve_params
    from pipelines.core.runner import run_stage
    from pipelines.subsets import narrowed, scope

    config = app.config()
    where = scope(config, app.workdir(config), app.subset_option)
    params = resolve_params(stage, config, narrowed(stage, config, where, overrides))
    folder = where.folder(stage.NAME)
    with use(app.engine(config)):
        result = run_stage(stage, folder, params, force=force, root=config.base,
                           sources=where.sources_of(stage.NAME))
    echo_result(result, folder)
