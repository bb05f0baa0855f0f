"""`wenmai report`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import App, handle_errors

__all__ = ["report"]


@click.command("report")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: WORKDIR/report.html).")
@click.pass_obj
@handle_errors("report")
def report(app: App, output: Path | None) -> None:
    """Write one self-contained HTML page with every figure and the key tables.

    The page embeds the figures and the font subset it needs, so it opens offline on any
    machine and can be mailed to a supervisor as one file. Stages not yet run are listed with
    the command that makes them.

    \b
    Example:
      wenmai --workdir work report -o thesis_results.html
    """
    from pipelines.report import write_report

    config = app.config()
    workdir = app.workdir(config)
    click.echo(f"wrote {write_report(workdir, output)}")
