"""`wenmai terms`."""

from __future__ import annotations

import click

from cli.options import App, echo_result, force_option, handle_errors, overrides_from, stage_options
from pipelines import terms as stage
from pipelines.config import resolve_params
from pipelines.runner import run_stage

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
    config = app.config()
    workdir = app.workdir(config)
    params = resolve_params(stage, config, overrides_from(stage.Params, options))
    echo_result(run_stage(stage, workdir, params, force=force, root=config.base), workdir)
