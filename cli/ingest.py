"""`wenmai ingest`."""

from __future__ import annotations

import click

from cli.options import App, force_option, handle_errors, overrides_from, run_one, stage_options
from pipelines import ingest as stage

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
    overrides = overrides_from(stage.Params, options)
    if inputs:
        overrides["inputs"] = list(inputs)
    run_one(app, stage, overrides, force=force)
