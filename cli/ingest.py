"""`wenmai ingest`."""

from __future__ import annotations

import click

from cli.options import App, echo_result, force_option, handle_errors, overrides_from, stage_options
from pipelines import ingest as stage
from pipelines.config import resolve_params
from pipelines.runner import run_stage

__all__ = ["ingest"]


@click.command("ingest")
@click.argument("inputs", nargs=-1, type=click.Path())
@stage_options(stage.Params, skip=("inputs",))
@force_option
@click.pass_obj
@handle_errors("ingest")
def ingest(app: App, inputs: tuple[str, ...], force: bool, **options: object) -> None:
    """Read document files, folders or globs into the documents table.

    Detects encodings, strips web boilerplate, splits collection files, finds titles and
    years, and records duplicates and unreadable files instead of stopping. INPUTS default to
    `inputs` in the [ingest] section of wenmai.toml.

    \b
    Example:
      wenmai ingest reports/ "cases/*.html" --min-chars 50
    """
    config = app.config()
    workdir = app.workdir(config)
    overrides = overrides_from(stage.Params, options)
    if inputs:
        overrides["inputs"] = list(inputs)
    params = resolve_params(stage, config, overrides)
    echo_result(run_stage(stage, workdir, params, force=force, root=config.base), workdir)
