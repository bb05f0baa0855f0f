"""`wenmai kwic`."""

from __future__ import annotations

import click

from cli.options import App, handle_errors

__all__ = ["kwic"]


@click.command("kwic")
@click.argument("term")
@click.option("--width", type=click.IntRange(1), default=20, show_default=True,
              help="Characters of context on each side.")
@click.option("-n", "--limit", type=click.IntRange(0), default=50, show_default=True,
              help="Occurrences to show (0 = all).")
@click.pass_obj
@handle_errors("kwic")
def kwic(app: App, term: str, width: int, limit: int) -> None:
    """Show each occurrence of a segmented TERM in its context (keyword in context).

    Each line names the document by its title and year. English is matched in any case and
    inflection (Policy finds "policies"). Every word that segmentation produced is found,
    stopwords included (they are dropped for counting only); a word segmentation never cuts
    out is not, so this is how to check a segmentation decision: if 职业教育 is missing but
    职业 shows up, add it to a user dictionary.

    \b
    Example:
      wenmai kwic 职业教育 --width 15
    """
    from pipelines.core import store
    from pipelines.kwic import kwic as find

    config = app.config()
    workdir = app.workdir(config)
    documents = store.open_table(workdir, "ingest/documents")  # read a batch at a time
    tokens = store.open_table(workdir, "segment/tokens")
    hits = find(documents, tokens, term, width=width)
    if hits.num_rows == 0:
        click.echo(f"{term}: no occurrence among the segmented words")
        return
    from pipelines.core.textwidth import cut, pad

    shown = hits if not limit else hits.slice(0, limit)
    rows = shown.to_pylist()
    # columns, not characters: a Chinese character takes two, so every keyword lines up
    source = max(_display_width(_source(row)) for row in rows)
    left = max(_display_width(row["left"] or "") for row in rows)
    for row in rows:
        line = (f"{pad(_source(row), source)}  {pad(row['left'] or '', left, '>')} "
                f"【{row['keyword']}】 {row['right'] or ''}")
        click.echo(cut(line, _screen_width()) if _screen_width() else line)
    total = hits.num_rows
    click.echo(f"{shown.num_rows:,} of {total:,} occurrence{'s' * (total != 1)} shown"
               + (" (-n 0 shows all)" if shown.num_rows < total else ""))


def _display_width(text: str) -> int:
    from pipelines.core.textwidth import width

    return width(text)


def _screen_width() -> int | None:
    """The terminal's width when stdout is one (lines are cut there), else None."""
    import shutil
    import sys

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _source(row: dict[str, object], columns: int = 30) -> str:
    """The document as ``title (year)``, the title cut to ``columns`` terminal columns."""
    from pipelines.core.textwidth import cut

    title = cut(str(row["title"] or row["doc_id"]).replace("\n", " "), columns)
    year = f" ({row['year']})" if row["year"] is not None else ""
    return f"{title}{year}"
