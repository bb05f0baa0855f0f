"""`wenmai network`."""

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
from pipelines import network as stage

__all__ = ["network"]


@click.command("network")
@stage_options(stage.Params)
@force_option
@subset_option
@click.pass_obj
@handle_errors("network")
def network(app: App, force: bool, **options: object) -> None:
    """Build the word co-occurrence network with centralities, communities and bursts.

    The top terms become nodes; pairs are counted in windows (a sentence, paragraph,
    document, or N consecutive tokens), weighted by an association measure (formulas under
    --measure), and only the strongest edges are kept (--select) so the network can be read.
    --by year --slice 5 adds one network per 5 years; bursts come from the documents' years.
    Formulas and sources: docs/network.md. Every option can also be set in the [network]
    section of wenmai.toml; the command line wins.

    \b
    Examples:
      wenmai network --top-n 100 --measure association --select top --max-edges 150
      wenmai network --window 5 --measure npmi --select disparity --alpha 0.05
      wenmai network --by year --slice 5 --community leiden --two-mode year
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
