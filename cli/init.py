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
@click.option("--example", is_flag=True,
              help="Copy the shipped sample project instead (five documents in docs/ and "
                   "their wenmai.toml), to try wenmai before bringing your own.")
@click.option("--force", is_flag=True, help="Overwrite an existing wenmai.toml (and, with "
              "--example, the sample's files).")
@click.pass_context
@handle_errors("init")
def init(ctx: click.Context, folder: Path, inputs: str, example: bool, force: bool) -> None:
    """Write a commented wenmai.toml listing every option of every stage.

    FOLDER is the project folder (default: the current one); it is made if missing. With
    --example, the sample project is copied there instead.

    \b
    Examples:
      wenmai init myproject --inputs reports
      cd myproject && wenmai run
      wenmai init --example try-wenmai      # the sample corpus and its config
      cd try-wenmai && wenmai run && wenmai status
    """
    from pipelines.template import config_template, copy_example

    if example:
        if ctx.get_parameter_source("inputs") is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError("--inputs and --example exclude each other: the example's "
                                   "wenmai.toml names its own docs/")
        written = copy_example(folder, force=force)
        click.echo(f"wrote {written[0]} and {len(written) - 1} more files; now: cd {folder} "
                   "&& wenmai run")
        return
    target = folder / "wenmai.toml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    items = tuple(s.strip() for s in inputs.split(",") if s.strip())
    target.write_text(config_template(inputs=items), encoding="utf-8")
    click.echo(f"wrote {target}")
