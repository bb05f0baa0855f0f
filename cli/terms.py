"""`wenmai terms`."""

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
from pipelines import terms as stage

__all__ = ["terms"]


@click.command("terms")
@stage_options(stage.Params)
@force_option
@subset_option
@click.pass_obj
@handle_errors("terms")
def terms(app: App, force: bool, **options: object) -> None:
    """Count terms and find each document's keywords by keyness (G2, log ratio) or TF-IDF.

    Keyness compares each document (and, with --by, each group of documents) with the rest of
    the corpus: log-likelihood G2 (Dunning 1993; Rayson & Garside 2000) ranks the keywords,
    log ratio (Hardie 2014) says how much more often they occur. Every option can also be set
    in the [terms] section of wenmai.toml; the command line wins.

    \b
    Examples:
      wenmai terms --top-keywords 15
      wenmai terms --by year          # keywords of each year against the other years
      wenmai terms --method tfidf
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
