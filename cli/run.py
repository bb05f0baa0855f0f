"""`wenmai run`."""

from __future__ import annotations

import click

from cli.options import App, echo_result, force_option, handle_errors
from pipelines.stages import STAGES

__all__ = ["run"]

@click.command("run")
@force_option
@click.option("--until", type=click.Choice(list(STAGES)), help="Stop after this stage.")
@click.pass_obj
@handle_errors("run")
def run(app: App, force: bool, until: str | None) -> None:
    """Run every stage in order, skipping those whose outputs are fresh.

    Parameters come from wenmai.toml; to change one for a single run, call that stage's own
    command (e.g. `wenmai topics --k 3..12`) and then `wenmai run`.

    \b
    Example:
      wenmai --config data/sample/wenmai.toml --workdir work run
    """
    from pipelines.core.engine import use
    from pipelines.workflow import run_all

    config = app.config()
    workdir = app.workdir(config)
    with use(app.engine(config)):
        results = run_all(config, workdir, force=force, until=until)
    for result in results:
        echo_result(result, workdir)
    if not any(r.ran for r in results):
        click.echo(f"all {len(results)} stages fresh; nothing rerun")
