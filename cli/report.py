"""`wenmai report`."""

from __future__ import annotations

import shutil
from pathlib import Path

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
from pipelines import report as stage

__all__ = ["report"]


@click.command("report")
@stage_options(stage.Params)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also copy the page to this file.")
@force_option
@subset_option
@click.pass_obj
@handle_errors("report")
def report(app: App, output: Path | None, force: bool, **options: object) -> None:
    """Write one self-contained HTML page for a methods chapter: WORKDIR/report/report.html.

    The corpus (documents per year and source, rejected files with reasons, duplicates), every
    stage's parameters and the wenmai version, the segmentation report, keywords, the model
    selection with its recommendation, the topics with representative documents, the network
    and every figure. The page embeds the figures and the font subset it needs, so it opens
    offline and can be mailed as one file; the LDAvis page is copied beside it. `wenmai run`
    builds it as its last stage; before every stage has run, this command writes a partial
    page whose missing sections name the command that makes them.

    \b
    Example:
      wenmai --workdir work report -o thesis_results.html
    """
    from pipelines.core.runner import source_of
    from pipelines.core.store import table_exists
    from pipelines.report.stage import render
    from pipelines.report.work import Work
    from pipelines.subsets import scope

    if output is not None and not output.parent.is_dir():  # before any work, not after
        raise click.BadParameter(f"the folder {output.parent} does not exist; create it or "
                                 "choose another file", param_hint="'-o' / '--output'")
    config = app.config()
    where = scope(config, app.workdir(config), app.subset_option)
    workdir = where.folder(stage.NAME)
    sources = where.sources_of(stage.NAME)
    target = workdir / "report" / "report.html"
    missing = [n for n in stage.INPUTS if not table_exists(source_of(workdir, n, sources), n)]
    if missing:
        from pipelines.core.config import resolve_params

        params = resolve_params(stage, config, overrides_from(stage.Params, options))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(render(Work(workdir, sources=sources), params), encoding="utf-8")
        tmp.replace(target)
        click.echo(f"wrote {target} (partial: {missing[0].split('/')[0]} has not run; "
                   "`wenmai run` makes the whole report)")
    else:
        run_one(app, stage, overrides_from(stage.Params, options), force=force)
    if output is not None:
        try:
            shutil.copyfile(target, output)
        except OSError as err:
            raise click.ClickException(f"report: cannot write {output}: {err.strerror}; the "
                                       f"report is at {target}") from err
        click.echo(f"wrote {output}")
