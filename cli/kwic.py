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

    Only tokens that segmentation produced are found, so this is how to check a
    segmentation decision: if 职业教育 is missing but 职业 shows up, add it to a user
    dictionary.

    \b
    Example:
      wenmai kwic 职业教育 --width 15
    """
    from pipelines.core import store
    from pipelines.kwic import kwic as find

    config = app.config()
    workdir = app.workdir(config)
    documents = store.read_table(workdir, "ingest/documents")
    tokens = store.read_table(workdir, "segment/tokens")
    hits = find(documents, tokens, term, width=width, limit=limit or None)
    if hits.num_rows == 0:
        click.echo(f"{term}: no occurrence among the segmented tokens")
        return
    for row in hits.to_pylist():
        click.echo(f"{row['doc_id']}:{row['sent_id']:<4} {row['left']:>{width}} "
                   f"【{row['keyword']}】 {row['right']}")
    click.echo(f"{hits.num_rows} occurrence(s) shown")
