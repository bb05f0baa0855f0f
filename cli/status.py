"""`wenmai status`."""

from __future__ import annotations

import click

from cli.options import App, handle_errors

__all__ = ["status"]


@click.command("status")
@click.pass_obj
@handle_errors("status")
def status(app: App) -> None:
    """Say for each stage whether it is fresh, stale (and why) or missing.

    Reads only manifests and input hashes; runs nothing. Exits 0 either way.

    \b
    Example:
      wenmai --workdir work status
    """
    from pipelines.workflow import statuses

    config = app.config()
    workdir = app.workdir(config)
    click.echo(f"work folder: {workdir}")
    for state in statuses(config, workdir):
        click.echo(f"{state.stage:<8} {state.state}")
        for reason in state.reasons:
            click.echo(f"         - {reason}")
