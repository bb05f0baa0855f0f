"""`wenmai terms`."""

from __future__ import annotations

import click

from cli.options import App, force_option, handle_errors, overrides_from, run_one, stage_options
from pipelines import terms as stage

__all__ = ["terms"]


@click.command("terms")
@stage_options(stage.Params)
@force_option
@click.pass_obj
@handle_errors("terms")
def terms(app: App, force: bool, **options: object) -> None:
    """Count term and document frequencies and pick TF-IDF keywords per document.

    Every option can also be set in the [terms] section of wenmai.toml; the command line wins.

    \b
    Example:
      wenmai terms --top-keywords 15
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
