"""`wenmai segment`."""

from __future__ import annotations

import click

from cli.options import App, force_option, handle_errors, overrides_from, run_one, stage_options
from pipelines import segment as stage

__all__ = ["segment"]


@click.command("segment")
@stage_options(stage.Params)
@force_option
@click.pass_obj
@handle_errors("segment")
def segment(app: App, force: bool, **options: object) -> None:
    """Cut documents into sentences and tokens: jieba for Chinese, a lemmatiser for English.

    Every option can also be set in the [segment] section of wenmai.toml; the command line wins.

    \b
    Example:
      wenmai segment --backend jieba --keep-pos n,nz,vn,v --user-dicts mydict.txt
    """
    run_one(app, stage, overrides_from(stage.Params, options), force=force)
