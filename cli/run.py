"""`wenmai run`."""

from __future__ import annotations

import click

from cli.options import App, echo_result, force_option, handle_errors, subset_option
from pipelines.stages import STAGES

__all__ = ["run"]

@click.command("run")
@force_option
@click.option("--until", type=click.Choice(list(STAGES)), help="Stop after this stage.")
@subset_option
@click.pass_obj
@handle_errors("run")
def run(app: App, force: bool, until: str | None) -> None:
    """Run every stage in order, skipping those whose outputs are fresh.

    Parameters come from wenmai.toml; to change one for a single run, call that stage's own
    command (e.g. `wenmai topics --k 3..12`) and then `wenmai run`.

    With --subset NAME (a filter named under [subsets]), the stages after segment run on that
    subset and write to WORKDIR/subsets/NAME, beside the whole corpus's outputs.

    \b
    Example:
      wenmai --config data/sample/wenmai.toml --workdir work run
      wenmai run --subset since_2013
    """
    from pipelines.core.engine import use
    from pipelines.subsets import scope
    from pipelines.workflow import run_all

    config = app.config()
    workdir = app.workdir(config)
    with use(app.engine(config)):
        results = run_all(config, workdir, force=force, until=until, subset=app.subset_option)
    where = scope(config, workdir, app.subset_option)
    for result in results:
        echo_result(result, where.folder(result.stage))
    if not any(r.ran for r in results):
        click.echo(f"all {len(results)} stages fresh; nothing rerun")
