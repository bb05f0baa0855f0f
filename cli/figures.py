"""`wenmai figures`."""

from __future__ import annotations

import click

from cli.options import (
    App,
    force_option,
    handle_errors,
    overrides_from,
    run_one,
    stage_options,
    subset_option,
)
from pipelines import figures as stage

__all__ = ["figures"]


@click.command("figures")
@stage_options(stage.Params)
@force_option
@subset_option
@click.pass_obj
@handle_errors("figures")
def figures(app: App, force: bool, **options: object) -> None:
    """Draw the thesis figures (PNG at 300 dpi and SVG) from the stage tables.

    Every option can also be set in the [figures] section of wenmai.toml; the command line wins.

    \b
    Example:
      wenmai figures --top-n 40 --formats png,svg,pdf
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
