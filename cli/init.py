"""`wenmai init`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import handle_errors

__all__ = ["init"]


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--inputs", default="docs", show_default=True,
              help="Documents folder (or comma-separated list) to put in [ingest] inputs.")
@click.option("--force", is_flag=True, help="Overwrite an existing wenmai.toml.")
@handle_errors("init")
def init(folder: Path, inputs: str, force: bool) -> None:
    """Write a commented wenmai.toml listing every option of every stage.

    \b
    Example:
      wenmai init myproject --inputs reports
      cd myproject && wenmai run
    """
    from pipelines.template import config_template

    target = folder / "wenmai.toml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    items = tuple(s.strip() for s in inputs.split(",") if s.strip())
    target.write_text(config_template(inputs=items), encoding="utf-8")
    click.echo(f"wrote {target}")
