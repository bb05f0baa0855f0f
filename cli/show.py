"""`wenmai show`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from cli.options import App, handle_errors, subset_option

__all__ = ["show"]


@click.command("show")
@click.argument("table", required=False)
@click.option("-n", "--rows", type=click.IntRange(0), default=None,
              help="Rows to print or export (0 = all). Default: 10 on screen, all when "
              "exporting (--format csv/json/jsonl/xlsx or -o).")
@click.option("--columns", help="Comma-separated columns to keep.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "jsonl", "xlsx"]),
              default="table", show_default=True,
              help="Output format: table (screen), csv, json (one array), jsonl (one object a "
              "line), xlsx.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout (required for xlsx).")
@subset_option
@click.pass_obj
@handle_errors("show")
def show(app: App, table: str | None, rows: int | None, columns: str | None, fmt: str,
         output: Path | None) -> None:
    """Print the head of a table, or export it as CSV, JSON, JSON lines or Excel.

    TABLE is `stage/table` or a bare table name (`documents`, `model_selection`, ...).
    Without TABLE, list the tables in the work folder.

    \b
    Examples:
      wenmai show documents --columns doc_id,title,year,lang
      wenmai show topic_terms --format xlsx -o appendix_topics.xlsx
      wenmai show nodes --format csv > nodes.csv
      wenmai show keywords -n 50
      wenmai show keywords --subset since_2013
    """
    from pipelines.export import export_table
    from pipelines.subsets import scope
    from pipelines.workflow import resolve_table_name, scoped_tables

    config = app.config()
    where = scope(config, app.workdir(config), app.subset_option)
    located = scoped_tables(where)
    if table is None:
        if not located:
            click.echo(f"no tables in {where.own} yet; run `wenmai run` first")
        for name in located:
            click.echo(name)
        return
    if rows is None:  # the head on screen, everything in an export
        rows = 10 if fmt == "table" and output is None else 0
    name = resolve_table_name(where.own, table, list(located))
    fit = None  # on a terminal, the screen table fits its width
    if fmt == "table" and output is None and sys.stdout.isatty():
        fit = shutil.get_terminal_size().columns
    text = export_table(where.folder(name.split("/")[0]), name, rows=rows, columns=columns,
                        fmt=fmt, output=output, max_width=fit)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))
    elif output is not None:
        click.echo(f"wrote {output}")
