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
    dates, reads bibliographic exports (CNKI, EndNote, RefWorks, Web of Science, Scopus), and
    records duplicates, removed lines and every file not read instead of stopping. INPUTS default to
    `inputs` in the [ingest] section of wenmai.toml.

    \b
    Examples:
      wenmai ingest reports/ "cases/*.html" --min-chars 50
      wenmai ingest corpus/ --exclude README.md,SOURCE.md
      wenmai ingest news.json --records-path videoList --text-column video_detail.content
    """
    overrides = overrides_from(stage.Params, options)
    if inputs:
        overrides["inputs"] = list(inputs)
    run_one(app, stage, overrides, force=force)
