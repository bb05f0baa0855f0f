"""`wenmai status`."""

from __future__ import annotations

import click

from cli.options import App, handle_errors, subset_option

__all__ = ["status"]


@click.command("status")
@click.option("--check", is_flag=True,
              help="Exit 1 when any stage is stale or missing (for CI and scripts).")
@click.option("--stale", "list_stale", is_flag=True,
              help="Print only the names of the stages that are not fresh, one a line "
              "(the Makefile uses it).")
@subset_option
@click.pass_obj
@handle_errors("status")
def status(app: App, check: bool, list_stale: bool) -> None:
    """Say for each stage whether it is fresh, stale (and why) or missing.

    A stage is stale when its parameters, its inputs or wenmai's version changed, or when a
    stage upstream of it is stale or missing. A fresh stage whose tables were computed by other
    versions of its libraries (tomotopy, jieba, ...) than those installed stays fresh, with a
    line "! made with other library versions" naming them. Reads only manifests and input
    hashes; runs nothing. Exits 0 unless --check is given and something is not fresh.

    \b
    Examples:
      wenmai --workdir work status
      wenmai status --check || wenmai run      # in CI
      wenmai status --subset since_2013
    """
    from pipelines.workflow import statuses

    config = app.config()
    workdir = app.workdir(config)
    states = statuses(config, workdir, subset=app.subset_option)
    if list_stale:
        for state in states:
            if state.state != "fresh":
                click.echo(state.stage)
    else:
        click.echo(f"work folder: {workdir}" + (f" (subset {app.subset_option}: "
                   f"{workdir / 'subsets' / app.subset_option})" if app.subset_option else ""))
        for state in states:
            click.echo(f"{state.stage:<8} {state.state}")
            for reason in state.reasons:
                click.echo(f"         - {reason}")
            for note in state.notes:
                click.echo(f"         ! {note}")
    if check and any(s.state != "fresh" for s in states):
        raise SystemExit(1)
