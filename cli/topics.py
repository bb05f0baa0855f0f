"""`wenmai topics`."""

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
from pipelines import topics as stage

__all__ = ["topics"]


@click.command("topics")
@stage_options(stage.Params)
@force_option
@subset_option
@click.pass_obj
@handle_errors("topics")
def topics(app: App, force: bool, **options: object) -> None:
    """Fit LDA or NMF topic models over a range of topic counts and score each k.

    Every option can also be set in the [topics] section of wenmai.toml; the command line wins.

    \b
    Example:
      wenmai topics --k 2..10 --seeds 3 --method lda
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
