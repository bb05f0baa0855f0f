"""`wenmai network`."""

from __future__ import annotations

import click

from cli.options import App, force_option, handle_errors, overrides_from, run_one, stage_options
from pipelines import network as stage

__all__ = ["network"]


@click.command("network")
@stage_options(stage.Params)
@force_option
@click.pass_obj
@handle_errors("network")
def network(app: App, force: bool, **options: object) -> None:
    """Build the word co-occurrence network with centralities and communities.

    Every option can also be set in the [network] section of wenmai.toml; the command line wins.

    \b
    Example:
      wenmai network --window sentence --top-n 80 --measure jaccard
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
